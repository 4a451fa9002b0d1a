import { z } from 'zod';
import type { RawRepoAccess } from '../bounded-reader.js';
import { NO_READ_CACHE, type ReadCache } from '../read-cache.js';
import { isNotFound, type GitlabApi } from './client.js';

/** GitLab's tree endpoint pages at most 100 entries. */
export const TREE_PAGE_SIZE = 100;
/**
 * Pages of the recursive tree listed per review (20 000 paths). Confirmation only needs to find helpers
 * and constants; a monorepo beyond this is searched partially rather than costing hundreds of calls.
 */
export const MAX_TREE_PAGES = 200;

/** A listing as the read cache stores it: `[path, blob id]` rows, and whether the page cap cut it. */
const StoredListing = z.object({ blobs: z.array(z.tuple([z.string(), z.string()])), cut: z.boolean() });
type StoredListing = z.infer<typeof StoredListing>;

interface Listing {
  /** Blob id by path. */
  blobs: Map<string, string>;
  /** Not every path is listed (page cap, or no listing at all): an unlisted path is read by path. */
  cut: boolean;
}

const NO_LISTING: Listing = { blobs: new Map(), cut: true };

/**
 * Raw repository access for one project (the merge request's target project: GitLab keeps every
 * merge request's head, forks included, under `refs/merge-requests/<iid>/head` there, so head SHAs
 * resolve in it). Per-review caching and budgets come from BoundedRepoReader.
 *
 * Across reviews, the read cache keeps listings by commit and blobs by id. A listing costs a request
 * per 100 paths, so it is made only when the review asks for one; once the commit's listing is known
 * (listed now, or by an earlier review), files are read as blobs by id, each fetched once for as long
 * as the cache keeps it. Without a listing a file is read by path and ref.
 */
export class GitlabRepoAccess implements RawRepoAccess {
  private readonly cache: ReadCache;
  private readonly scope: string;
  private readonly listed = new Map<string, Promise<Listing>>();
  private readonly peeked = new Map<string, Promise<Listing | undefined>>();

  constructor(
    private readonly api: GitlabApi,
    private readonly projectId: number,
    options: { cache?: ReadCache } = {},
  ) {
    this.cache = options.cache ?? NO_READ_CACHE;
    // Per instance and project, never wider: see the GitHub reader's cacheScope.
    this.scope = `gitlab:${api.Repositories.url}/${projectId}`.toLowerCase();
  }

  async fetch(path: string, ref: string): Promise<Uint8Array | string | null> {
    const listing = await this.knownListing(ref);
    const id = listing?.blobs.get(path);
    if (id !== undefined) return this.cache.blob(this.scope, id, () => this.fetchBlob(id));
    if (listing && !listing.cut) return null;
    return this.fetchByPath(path, ref);
  }

  async listAll(ref: string): Promise<string[]> {
    return [...(await this.listingOf(ref)).blobs.keys()];
  }

  private listingOf(ref: string): Promise<Listing> {
    let pending = this.listed.get(ref);
    if (!pending) {
      pending = this.cache
        .json(this.scope, 'tree', ref, StoredListing, () => this.loadListing(ref))
        .then(toListing, (error: unknown) => {
          if (isNotFound(error)) return NO_LISTING;
          throw error;
        });
      this.listed.set(ref, pending);
      // A failed listing should not stick for the rest of the review.
      pending.catch(() => this.listed.delete(ref));
    }
    return pending;
  }

  /** This review's listing of `ref`, or one an earlier review left in the cache; never a new request. */
  private knownListing(ref: string): Promise<Listing | undefined> {
    const listed = this.listed.get(ref);
    if (listed) return listed.catch(() => undefined);
    let pending = this.peeked.get(ref);
    if (!pending) {
      pending = this.cache
        .peek(this.scope, 'tree', ref, StoredListing)
        .then((stored) => stored && toListing(stored));
      this.peeked.set(ref, pending);
    }
    return pending;
  }

  private async loadListing(ref: string): Promise<StoredListing> {
    const entries = await this.api.Repositories.allRepositoryTrees(this.projectId, {
      ref,
      recursive: true,
      // Keyset pagination is what GitLab recommends for large trees; gitbeaker follows the Link header.
      pagination: 'keyset',
      perPage: TREE_PAGE_SIZE,
      maxPages: MAX_TREE_PAGES,
    });
    return {
      blobs: entries.filter((entry) => entry.type === 'blob').map((entry) => [entry.path, entry.id]),
      cut: entries.length >= TREE_PAGE_SIZE * MAX_TREE_PAGES,
    };
  }

  private async fetchBlob(id: string): Promise<Uint8Array | null> {
    return bytesOf(await notFoundAsNull(() => this.api.Repositories.showBlobRaw(this.projectId, id)));
  }

  private async fetchByPath(path: string, ref: string): Promise<Uint8Array | string | null> {
    const body = await notFoundAsNull(() => this.api.RepositoryFiles.showRaw(this.projectId, path, ref));
    // Text types arrive as strings; anything GitLab serves as binary arrives as a Blob.
    return typeof body === 'string' ? body : bytesOf(body);
  }
}

async function notFoundAsNull<T>(request: () => Promise<T>): Promise<T | null> {
  try {
    return await request();
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function toListing(stored: StoredListing): Listing {
  return { blobs: new Map(stored.blobs), cut: stored.cut };
}

async function bytesOf(body: string | Blob | null): Promise<Uint8Array | null> {
  if (body === null) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return new Uint8Array(await body.arrayBuffer());
}
