import { LRUCache } from 'lru-cache';
import type { ProbotOctokit } from 'probot';

type OctokitPlugin = Parameters<(typeof ProbotOctokit)['plugin']>[0];
type Octokit = Parameters<OctokitPlugin>[0];
type Endpoint = Parameters<Octokit['request']['endpoint']['parse']>[0];

/** HTTP 304: the copy the client holds is current. */
export const NOT_MODIFIED = 304;

/** Bytes of response bodies one process keeps to make its GETs conditional. */
export const CONDITIONAL_STORE_BYTES = 16 * 1024 * 1024;

/**
 * Blobs and trees are immutable and kept by the read cache: asking again, even conditionally, would
 * be a request the cache exists to avoid.
 */
const CONTENT_ADDRESSED = /\/git\/(?:blobs|trees)\//;

interface Kept {
  etag: string;
  status: number;
  url: string;
  headers: Record<string, unknown>;
  data: unknown;
}

/**
 * Makes every REST GET conditional: the last answer to the same URL (and media type) is kept with its
 * ETag and sent back as `If-None-Match`; GitHub answers `304 Not Modified` when nothing changed, and a
 * 304 does not count against the installation's rate limit
 * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api). These
 * are the reads a review repeats on every push — the pull request, its files and comments, the
 * configuration. A 304 is only ever sent to a client GitHub authorised for the URL, so a kept answer
 * is never handed to a client that could not read it. One store per Octokit class: per process.
 */
export function conditionalRequests(maxBytes: number = CONDITIONAL_STORE_BYTES): OctokitPlugin {
  const store = new LRUCache<string, Kept>({
    maxSize: maxBytes,
    sizeCalculation: (kept) => Math.max(1, JSON.stringify(kept.data ?? null).length),
  });
  return (octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      const { method = 'GET', url = '' } = options as { method?: string; url?: string };
      if (method !== 'GET' || CONTENT_ADDRESSED.test(url)) return request(options);
      const parsed = octokit.request.endpoint.parse(options as Endpoint);
      const key = `${parsed.headers.accept ?? ''} ${parsed.url}`;
      const kept = store.get(key);
      // Hooks share one options object (each layer is bound to it): the header is set on it.
      if (kept) options.headers = { ...options.headers, 'if-none-match': kept.etag };
      try {
        const response = await request(options);
        const etag = response.headers.etag;
        if (typeof etag === 'string') {
          const { status, url: answered, headers, data } = response;
          store.set(key, { etag, status, url: answered, headers: { ...headers }, data });
        }
        return response;
      } catch (error) {
        const answer = error as { status?: number; response?: { headers?: Record<string, unknown> } };
        if (!kept || answer.status !== NOT_MODIFIED) throw error;
        // Fresh headers (rate limit, date), a copy of the kept body (callers may change what they get).
        const headers = { ...kept.headers, ...answer.response?.headers };
        return { ...kept, headers, data: structuredClone(kept.data) } as Awaited<ReturnType<typeof request>>;
      }
    });
    return {};
  };
}
