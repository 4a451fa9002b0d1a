import type { ProbotOctokit } from 'probot';
import {
  BoundedRepoReader,
  DEFAULT_READ_BUDGET,
  type RawRepoAccess,
  type ReadBudget,
} from '../bounded-reader.js';

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

export interface GitHubRepoRef {
  owner: string;
  repo: string;
}

interface ReaderLog {
  warn(fields: object, message: string): void;
}

/**
 * Raw repository access through the Git Data API: one recursive `git.getTree` per ref, then
 * `git.getBlob` for the files the analysis asks for. Blobs bigger than `maxFileBytes` (the tree says
 * how big) are refused before they are downloaded.
 */
export function gitHubRawAccess(
  octokit: ProbotOctokit,
  { owner, repo }: GitHubRepoRef,
  options: { maxFileBytes: number; log?: ReaderLog },
): RawRepoAccess {
  // Only these two go into request parameters: Octokit sends unknown keys along in the body.
  const ref: GitHubRepoRef = { owner, repo };
  const trees = new Map<string, Promise<Tree>>();

  const treeOf = (sha: string): Promise<Tree> => {
    let pending = trees.get(sha);
    if (!pending) {
      pending = loadTree(octokit, ref, sha, options.log);
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
      const { data } = await octokit.rest.git.getBlob({ ...ref, file_sha: blob.sha });
      return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8');
    },
  };
}

async function loadTree(
  octokit: ProbotOctokit,
  ref: GitHubRepoRef,
  sha: string,
  log?: ReaderLog,
): Promise<Tree> {
  const { data } = await octokit.rest.git.getTree({ ...ref, tree_sha: sha, recursive: 'true' });
  const blobs = new Map<string, TreeBlob>();
  for (const entry of data.tree) {
    if (entry.type === 'blob' && entry.path && entry.sha) {
      blobs.set(entry.path, { sha: entry.sha, ...(entry.size !== undefined ? { size: entry.size } : {}) });
    }
  }
  if (data.truncated) {
    log?.warn({ repo: `${ref.owner}/${ref.repo}`, listed: blobs.size }, 'GitHub truncated the tree listing');
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

/** The RepoReader a GitHub review uses: tree + blobs behind the shared cache and budget. */
export function createGitHubReader(
  octokit: ProbotOctokit,
  ref: GitHubRepoRef,
  budget: ReadBudget = DEFAULT_READ_BUDGET,
  log?: ReaderLog,
): BoundedRepoReader {
  return new BoundedRepoReader(
    gitHubRawAccess(octokit, ref, { maxFileBytes: budget.maxFileBytes, ...(log ? { log } : {}) }),
    budget,
  );
}
