import type { ProbotOctokit } from 'probot';
import { addedLinesFromPatch } from '../diff.js';
import type { ChangedFile, LineRange } from '../types.js';

/** Owner, repository and number of one pull request. */
export interface PullRef {
  owner: string;
  repo: string;
  pullNumber: number;
}

/** The pull request's files as GitHub diffs them, plus what the review needs to place comments. */
export interface GitHubChanges {
  files: ChangedFile[];
  /** New-side line ranges of each file's hunks (added and context lines): where a comment may go. */
  hunks: Map<string, LineRange[]>;
  /** User-facing notes about files that were not fully diffed, for the check run summary. */
  notes: string[];
}

/** GitHub's pull request files endpoint lists at most this many files, however large the change. */
export const GITHUB_MAX_LISTED_FILES = 3_000;
const FILES_PER_PAGE = 100;

/** File types the analysers read: a missing diff for one of these is worth telling the user about. */
const SOURCE_EXTENSION = /\.(?:[cm]?[jt]sx?|py|go|java|kt|kts|rs|rb|cs)$/i;

type GitHubFileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';

interface GitHubFile {
  filename: string;
  status: GitHubFileStatus | string;
  patch?: string;
  previous_filename?: string;
}

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/;

/** New-side ranges of a patch's hunks, read from the `@@ -a,b +c,d @@` headers. */
export function hunkRangesFromPatch(patch: string): LineRange[] {
  const ranges: LineRange[] = [];
  for (const line of patch.split('\n')) {
    const match = HUNK_HEADER.exec(line);
    if (!match) continue;
    const start = Number(match[1]);
    const count = match[2] === undefined ? 1 : Number(match[2]);
    if (count > 0) ranges.push({ start, end: start + count - 1 });
  }
  return ranges;
}

/** Whether `start..end` lies inside one hunk: GitHub rejects a multi-line comment spanning two. */
export function withinOneHunk(hunks: readonly LineRange[] | undefined, start: number, end: number): boolean {
  return (hunks ?? []).some((hunk) => hunk.start <= start && end <= hunk.end);
}

/**
 * Maps one entry of `pulls.listFiles`. GitHub leaves `patch` out for binary files and for diffs too
 * large to show; such a file keeps its status but no added lines, so the analysis may still read it
 * and report what it finds in the summary, while no inline comment is attempted on a diff GitHub
 * does not display.
 */
export function toChangedFile(file: GitHubFile): {
  file: ChangedFile;
  hunks: LineRange[];
  missingPatch: boolean;
} {
  const status = mapStatus(file.status);
  const base: ChangedFile = {
    path: file.filename,
    status,
    addedLines: [],
    ...(file.previous_filename ? { previousPath: file.previous_filename } : {}),
  };
  if (status === 'removed') return { file: base, hunks: [], missingPatch: false };
  if (file.patch === undefined) return { file: base, hunks: [], missingPatch: true };
  return {
    file: { ...base, addedLines: addedLinesFromPatch(file.patch) },
    hunks: hunkRangesFromPatch(file.patch),
    missingPatch: false,
  };
}

function mapStatus(status: string): ChangedFile['status'] {
  switch (status) {
    case 'added':
    case 'copied':
      return 'added';
    case 'removed':
      return 'removed';
    case 'renamed':
      return 'renamed';
    default:
      // modified, changed (mode only), unchanged
      return 'modified';
  }
}

/** Lists the pull request's files (all pages) and derives added lines and hunks from their patches. */
export async function listChanges(
  octokit: ProbotOctokit,
  pull: PullRef,
  changedFileCount?: number,
): Promise<GitHubChanges> {
  const listed = (await octokit.paginate(octokit.rest.pulls.listFiles, {
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.pullNumber,
    per_page: FILES_PER_PAGE,
  })) as GitHubFile[];
  const files: ChangedFile[] = [];
  const hunks = new Map<string, LineRange[]>();
  const undiffed: string[] = [];
  for (const entry of listed) {
    const mapped = toChangedFile(entry);
    files.push(mapped.file);
    hunks.set(mapped.file.path, mapped.hunks);
    if (mapped.missingPatch && SOURCE_EXTENSION.test(mapped.file.path)) undiffed.push(mapped.file.path);
  }
  const notes: string[] = [];
  if (undiffed.length > 0) {
    notes.push(
      `GitHub shows no diff for ${undiffed.length} file(s) (too large to diff): ${formatPaths(undiffed)}. ` +
        'Their findings, if any, are listed in this summary only.',
    );
  }
  if (changedFileCount !== undefined && changedFileCount > listed.length) {
    notes.push(
      `This pull request changes ${changedFileCount} files; GitHub lists only the first ${listed.length}, ` +
        'so the rest were not reviewed.',
    );
  }
  return { files, hunks, notes };
}

const MAX_PATHS_IN_NOTE = 10;

function formatPaths(paths: string[]): string {
  const shown = paths.slice(0, MAX_PATHS_IN_NOTE).map((path) => `\`${path}\``);
  const more = paths.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}
