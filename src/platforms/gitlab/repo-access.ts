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

/**
 * Directories listed one by one when a new commit's listing is pieced together from the cached
 * listings of its unchanged subtrees; a commit that changes more than this is listed whole instead.
 */
export const MAX_DIRECTORY_LISTINGS = 12;

/** A listing as the read cache stores it: `[path, blob id]` rows, and whether the page cap cut it. */
const StoredListing = z.object({ blobs: z.array(z.tuple([z.string(), z.string()])), cut: z.boolean() });
type StoredListing = z.infer<typeof StoredListing>;

/** One directory's own entries, `[name, 'blob' | 'tree', id]`, cached by the directory's tree id. */
const StoredDirectory = z.array(z.tuple([z.string(), z.enum(['blob', 'tree']), z.string()]));
type StoredDirectory = z.infer<typeof StoredDirectory>;

interface TreeEntry {
  id: string;
  name: string;
  type: string;
  path: string;
}

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
 * Across reviews, the read cache keeps listings by commit, each directory's entries by its tree id,
 * and blobs by id. A whole listing costs a request per 100 paths, so it is made only when the review
 * asks for one, and a new commit is listed from its root down through the directories whose tree id
 * changed, reusing the cached entries of the others — a push that changes one file lists the
 * directories on its path. Once the commit's listing is known, files are read as blobs by id, each
 * fetched once for as long as the cache keeps it. Without a listing a file is read by path and ref.
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
    const pieced = this.cache === NO_READ_CACHE ? undefined : await this.listFromCachedDirectories(ref);
    return pieced ?? this.listWhole(ref);
  }

  /**
   * The commit's root, then level by level the directories whose tree id no earlier listing showed.
   * Undefined (list the whole tree instead) when more than {@link MAX_DIRECTORY_LISTINGS} directories
   * changed, or when nothing below the root is cached (a project seen for the first time): listing
   * directories one by one would then cost more than one recursive listing.
   */
  private async listFromCachedDirectories(ref: string): Promise<StoredListing | undefined> {
    const blobs: [string, string][] = [];
    let level: { path: string; entries: StoredDirectory }[] = [
      { path: '', entries: await this.listDirectory(ref, '') },
    ];
    let budget = MAX_DIRECTORY_LISTINGS;
    let hits = 0;
    for (let depth = 1; level.length > 0; depth += 1) {
      const subtrees: { path: string; id: string }[] = [];
      for (const { path, entries } of level) {
        for (const [name, type, id] of entries) {
          const full = path ? `${path}/${name}` : name;
          if (type === 'blob') blobs.push([full, id]);
          else subtrees.push({ path: full, id });
        }
      }
      const cached = await Promise.all(
        subtrees.map(({ id }) => this.cache.peek(this.scope, 'dir', id, StoredDirectory)),
      );
      const missing = subtrees.filter((_, index) => cached[index] === undefined);
      hits += subtrees.length - missing.length;
      // A single changed top directory (`src/`) is the usual shape of a push; below it, a push shows hits.
      const cold = hits === 0 && missing.length > 0 && (depth > 1 || missing.length > 1);
      if (cold || missing.length > budget) return undefined;
      budget -= missing.length;
      const listed = new Map(
        await Promise.all(
          missing.map(async ({ path, id }) => {
            const entries = await this.listDirectory(ref, path);
            await this.cache.remember(this.scope, 'dir', id, entries);
            return [path, entries] as const;
          }),
        ),
      );
      level = subtrees.map(({ path }, index) => ({ path, entries: cached[index] ?? listed.get(path)! }));
    }
    return { blobs: blobs.sort(byPath), cut: false };
  }

  /** One recursive listing; every directory in it is remembered by its tree id for the next commit. */
  private async listWhole(ref: string): Promise<StoredListing> {
    const entries = await this.tree(ref, '', true);
    const cut = entries.length >= TREE_PAGE_SIZE * MAX_TREE_PAGES;
    if (!cut) {
      const children = new Map<string, StoredDirectory>();
      for (const entry of entries) {
        if (entry.type !== 'blob' && entry.type !== 'tree') continue;
        const parent = entry.path.slice(0, Math.max(0, entry.path.lastIndexOf('/')));
        const list = children.get(parent) ?? [];
        list.push([entry.name, entry.type, entry.id]);
        children.set(parent, list);
      }
      await Promise.all(
        entries
          .filter((entry) => entry.type === 'tree')
          .map((entry) => this.cache.remember(this.scope, 'dir', entry.id, children.get(entry.path) ?? [])),
      );
    }
    const blobs = entries
      .filter((entry) => entry.type === 'blob')
      .map((entry): [string, string] => [entry.path, entry.id]);
    return { blobs: blobs.sort(byPath), cut };
  }

  /** A directory's own entries at `ref` (submodules left out). */
  private async listDirectory(ref: string, path: string): Promise<StoredDirectory> {
    const entries = await this.tree(ref, path, false);
    return entries.flatMap((entry): StoredDirectory =>
      entry.type === 'blob' || entry.type === 'tree' ? [[entry.name, entry.type, entry.id]] : [],
    );
  }

  private async tree(ref: string, path: string, recursive: boolean): Promise<TreeEntry[]> {
    return this.api.Repositories.allRepositoryTrees(this.projectId, {
      ref,
      ...(path ? { path } : {}),
      recursive,
      // Keyset pagination is what GitLab recommends for large trees; gitbeaker follows the Link header.
      pagination: 'keyset',
      perPage: TREE_PAGE_SIZE,
      maxPages: MAX_TREE_PAGES,
    });
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

/** Both ways of listing give the same order, whatever order GitLab answered in. */
function byPath([a]: [string, string], [b]: [string, string]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toListing(stored: StoredListing): Listing {
  return { blobs: new Map(stored.blobs), cut: stored.cut };
}

async function bytesOf(body: string | Blob | null): Promise<Uint8Array | null> {
  if (body === null) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return new Uint8Array(await body.arrayBuffer());
}
