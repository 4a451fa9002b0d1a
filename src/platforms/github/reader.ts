import type { ProbotOctokit } from 'probot';
import { z } from 'zod';
import {
  BoundedRepoReader,
  DEFAULT_READ_BUDGET,
  type RawRepoAccess,
  type ReadBudget,
} from '../bounded-reader.js';
import { NO_READ_CACHE, type ReadCache } from '../read-cache.js';

/** One blob of a recursive tree listing. */
interface TreeBlob {
  sha: string;
  size?: number;
}

interface Tree {
  blobs: Map<string, TreeBlob>;
  /** GitHub cuts recursive listings at 100,000 entries or 7 MB; paths beyond are read one by one. */
  truncated: boolean;
}

/** A tree listing as the read cache stores it: `[path, blob sha, size]` rows. */
const StoredTree = z.object({
  blobs: z.array(z.tuple([z.string(), z.string(), z.number().optional()])),
  truncated: z.boolean(),
});
type StoredTree = z.infer<typeof StoredTree>;

export interface GitHubRepoRef {
  owner: string;
  repo: string;
}

interface ReaderLog {
  warn(fields: object, message: string): void;
}

export interface GitHubReaderOptions {
  maxFileBytes: number;
  log?: ReaderLog;
  /** Blobs by sha and listings by commit, shared across reviews (and workers, with Redis). */
  cache?: ReadCache;
}

/**
 * Raw repository access through the Git Data API: one recursive `git.getTree` per commit, then
 * `git.getBlob` for the files the analysis asks for. Blobs bigger than `maxFileBytes` (the tree says
 * how big) are refused before they are downloaded. Both go through the read cache: a blob is fetched
 * once for as long as the cache keeps it, so a push that changes one file fetches one blob.
 */
export function gitHubRawAccess(
  octokit: ProbotOctokit,
  { owner, repo }: GitHubRepoRef,
  options: GitHubReaderOptions,
): RawRepoAccess {
  // Only these two go into request parameters: Octokit sends unknown keys along in the body.
  const ref: GitHubRepoRef = { owner, repo };
  const cache = options.cache ?? NO_READ_CACHE;
  const scope = cacheScope(octokit, ref);
  const trees = new Map<string, Promise<Tree>>();

  const treeOf = (sha: string): Promise<Tree> => {
    let pending = trees.get(sha);
    if (!pending) {
      pending = cache
        .json(scope, 'tree', sha, StoredTree, () => loadTree(octokit, ref, sha, options.log))
        .then(toTree);
      trees.set(sha, pending);
      // A failed listing should not stick for the rest of the review.
      pending.catch(() => trees.delete(sha));
    }
    return pending;
  };

  return {
    async listAll(sha) {
      return [...(await treeOf(sha)).blobs.keys()];
    },
    async fetch(path, sha) {
      const tree = await treeOf(sha);
      const blob = tree.blobs.get(path);
      if (!blob) return tree.truncated ? fetchByPath(octokit, ref, path, sha) : null;
      if (blob.size !== undefined && blob.size > options.maxFileBytes) {
        throw new Error(`${blob.size} bytes, over the ${options.maxFileBytes}-byte limit`);
      }
      return cache.blob(scope, blob.sha, async () => {
        const { data } = await octokit.rest.git.getBlob({ ...ref, file_sha: blob.sha });
        return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
      });
    },
  };
}

/**
 * Entries are kept per repository and API host, not shared across them: an object id proves what the
 * bytes are, but only a listing of this repository proves this installation may read them.
 */
function cacheScope(octokit: ProbotOctokit, { owner, repo }: GitHubRepoRef): string {
  const host = new URL(octokit.request.endpoint.DEFAULTS.baseUrl).host;
  return `github:${host}/${owner}/${repo}`.toLowerCase();
}

function toTree(stored: StoredTree): Tree {
  const blobs = new Map<string, TreeBlob>();
  for (const [path, sha, size] of stored.blobs) blobs.set(path, size === undefined ? { sha } : { sha, size });
  return { blobs, truncated: stored.truncated };
}

async function loadTree(
  octokit: ProbotOctokit,
  ref: GitHubRepoRef,
  sha: string,
  log?: ReaderLog,
): Promise<StoredTree> {
  const { data } = await octokit.rest.git.getTree({ ...ref, tree_sha: sha, recursive: 'true' });
  const blobs: StoredTree['blobs'] = [];
  for (const entry of data.tree) {
    if (entry.type === 'blob' && entry.path && entry.sha) blobs.push([entry.path, entry.sha, entry.size]);
  }
  if (data.truncated) {
    log?.warn(
      { repo: `${ref.owner}/${ref.repo}`, listed: blobs.length },
      'GitHub truncated the tree listing',
    );
  }
  return { blobs, truncated: data.truncated };
}

/** Falls back to the contents API for a path a truncated tree did not list. */
async function fetchByPath(
  octokit: ProbotOctokit,
  ref: GitHubRepoRef,
  path: string,
  sha: string,
): Promise<Uint8Array | null> {
  try {
    const { data } = await octokit.rest.repos.getContent({ ...ref, path, ref: sha });
    // Files over 1 MB come back with `encoding: none` and no content.
    if (Array.isArray(data) || data.type !== 'file' || data.encoding !== 'base64') return null;
    return Buffer.from(data.content, 'base64');
  } catch (error) {
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}

/** The RepoReader a GitHub review uses: tree + blobs behind the read cache and the review's budget. */
export function createGitHubReader(
  octokit: ProbotOctokit,
  ref: GitHubRepoRef,
  budget: ReadBudget = DEFAULT_READ_BUDGET,
  options: Omit<GitHubReaderOptions, 'maxFileBytes'> = {},
): BoundedRepoReader {
  return new BoundedRepoReader(
    gitHubRawAccess(octokit, ref, { ...options, maxFileBytes: budget.maxFileBytes }),
    budget,
  );
}
