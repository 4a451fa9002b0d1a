import type { RawRepoAccess } from '../bounded-reader.js';
import { isNotFound, type GitlabApi } from './client.js';

/** GitLab's tree endpoint pages at most 100 entries. */
export const TREE_PAGE_SIZE = 100;
/**
 * Pages of the recursive tree listed per review (20 000 paths). Confirmation only needs to find helpers
 * and constants; a monorepo beyond this is searched partially rather than costing hundreds of calls.
 */
export const MAX_TREE_PAGES = 200;

/**
 * Raw repository access for one project (the merge request's target project: GitLab keeps every
 * merge request's head, forks included, under `refs/merge-requests/<iid>/head` there, so head SHAs
 * resolve in it). Caching and budgets come from BoundedRepoReader.
 */
export class GitlabRepoAccess implements RawRepoAccess {
  constructor(
    private readonly api: GitlabApi,
    private readonly projectId: number,
  ) {}

  async fetch(path: string, ref: string): Promise<Uint8Array | string | null> {
    let body: string | Blob;
    try {
      body = await this.api.RepositoryFiles.showRaw(this.projectId, path, ref);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    // Text types arrive as strings; anything GitLab serves as binary arrives as a Blob.
    if (typeof body === 'string') return body;
    return new Uint8Array(await body.arrayBuffer());
  }

  async listAll(ref: string): Promise<string[]> {
    let entries: { path: string; type: string }[];
    try {
      entries = await this.api.Repositories.allRepositoryTrees(this.projectId, {
        ref,
        recursive: true,
        // Keyset pagination is what GitLab recommends for large trees; gitbeaker follows the Link header.
        pagination: 'keyset',
        perPage: TREE_PAGE_SIZE,
        maxPages: MAX_TREE_PAGES,
      });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return entries.filter((entry) => entry.type === 'blob').map((entry) => entry.path);
  }
}
