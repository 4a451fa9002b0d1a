import { addedLinesFromPatch } from '../diff.js';
import type { ChangedFile } from '../types.js';
import { isNotFound, type GitlabApi } from './client.js';

/** Entries per page of the merge request diffs endpoint (GitLab's maximum). */
export const DIFFS_PAGE_SIZE = 100;

/** One entry of `GET /projects/:id/merge_requests/:iid/diffs` (and of the older `/changes`). */
export interface GitlabDiff {
  old_path: string;
  new_path: string;
  new_file: boolean;
  renamed_file: boolean;
  deleted_file: boolean;
  /** Hunks only, no `diff --git` header. Empty when GitLab collapsed the diff as too large. */
  diff: string;
  too_large?: boolean | null;
  collapsed?: boolean | null;
}

/** A file whose diff GitLab did not include: it is listed, with no added lines, and said so in logs. */
export interface DiffGap {
  path: string;
  reason: string;
}

export async function listMergeRequestDiffs(
  api: GitlabApi,
  projectId: number,
  mrIid: number,
): Promise<GitlabDiff[]> {
  try {
    const diffs = await api.MergeRequests.allDiffs(projectId, mrIid, { perPage: DIFFS_PAGE_SIZE });
    return diffs as unknown as GitlabDiff[];
  } catch (error) {
    // `/diffs` arrived in GitLab 15.7; older self-managed instances only have `/changes`.
    if (!isNotFound(error)) throw error;
    const changes = await api.MergeRequests.showChanges(projectId, mrIid);
    return changes.changes as unknown as GitlabDiff[];
  }
}

export function toChangedFiles(diffs: readonly GitlabDiff[]): { files: ChangedFile[]; gaps: DiffGap[] } {
  const files: ChangedFile[] = [];
  const gaps: DiffGap[] = [];
  for (const diff of diffs) {
    const previousPath = diff.renamed_file && diff.old_path !== diff.new_path ? diff.old_path : undefined;
    const base = {
      path: diff.deleted_file ? diff.old_path : diff.new_path,
      ...(previousPath ? { previousPath } : {}),
    };
    if (diff.deleted_file) {
      files.push({ ...base, status: 'removed', addedLines: [] });
      continue;
    }
    if (diff.diff.startsWith('Binary files ')) {
      files.push({ ...base, status: 'binary', addedLines: [] });
      continue;
    }
    const status = diff.new_file ? 'added' : previousPath ? 'renamed' : 'modified';
    if (diff.diff === '' && (diff.too_large || diff.collapsed)) {
      gaps.push({ path: base.path, reason: diff.too_large ? 'diff too large' : 'diff collapsed' });
    }
    files.push({ ...base, status, addedLines: addedLinesFromPatch(diff.diff) });
  }
  return { files, gaps };
}
