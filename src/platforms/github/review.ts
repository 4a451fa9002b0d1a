import type { ProbotOctokit } from 'probot';
import type { LineRange, PublishedFinding } from '../types.js';
import { withinOneHunk, type PullRef } from './changes.js';

/** An inline comment as `pulls.createReview` takes it. */
export interface ReviewCommentInput {
  path: string;
  body: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
}

export interface PlannedComment {
  published: PublishedFinding;
  comment: ReviewCommentInput;
}

/** A finding that could not be placed inline, and why (shown in the check run summary). */
export interface UnplacedFinding {
  published: PublishedFinding;
  reason: string;
}

/**
 * Anchors each finding. A suggestion block replaces exactly the lines the comment spans, so a finding
 * with a suggestion is anchored on `suggestionLines` or not at all — moving it would make GitHub apply
 * the patch to the wrong lines. Without a suggestion, the finding's own range is used, narrowed to its
 * first line when the range leaves the hunk. GitHub only accepts comments inside one diff hunk.
 */
export function planComments(
  toPost: readonly PublishedFinding[],
  hunks: ReadonlyMap<string, readonly LineRange[]>,
): { planned: PlannedComment[]; unplaced: UnplacedFinding[] } {
  const planned: PlannedComment[] = [];
  const unplaced: UnplacedFinding[] = [];
  for (const published of toPost) {
    const { path, range } = published.finding;
    const fileHunks = hunks.get(path);
    const candidates: LineRange[] = published.suggestionLines
      ? [published.suggestionLines]
      : [
          { start: range.startLine, end: range.endLine },
          { start: range.startLine, end: range.startLine },
        ];
    const anchor = candidates.find((lines) => withinOneHunk(fileHunks, lines.start, lines.end));
    if (!anchor) {
      unplaced.push({ published, reason: 'its lines are not part of the diff GitHub shows' });
      continue;
    }
    planned.push({ published, comment: commentAt(path, published.body, anchor) });
  }
  return { planned, unplaced };
}

function commentAt(path: string, body: string, lines: LineRange): ReviewCommentInput {
  const comment: ReviewCommentInput = { path, body, line: lines.end, side: 'RIGHT' };
  if (lines.start < lines.end) {
    comment.start_line = lines.start;
    comment.start_side = 'RIGHT';
  }
  return comment;
}

export interface PostedReview {
  posted: PlannedComment[];
  rejected: UnplacedFinding[];
}

interface ReviewLog {
  warn(fields: object, message: string): void;
}

const UNPROCESSABLE = 422;

function isUnprocessable(error: unknown): boolean {
  return (error as { status?: number } | null)?.status === UNPROCESSABLE;
}

/**
 * Posts one review (event COMMENT) with all planned comments. GitHub answers 422 for the whole review
 * when any one comment is outside the diff, without saying which. Then each comment is tried alone in a
 * pending review (a draft only its author sees, deleted at once) to find the offenders, and the review
 * is posted once more without them — still a single visible review.
 */
export async function postReview(
  octokit: ProbotOctokit,
  pull: PullRef,
  headSha: string,
  body: string,
  planned: PlannedComment[],
  log?: ReviewLog,
): Promise<PostedReview> {
  if (planned.length === 0) return { posted: [], rejected: [] };
  const create = (comments: ReviewCommentInput[], event?: 'COMMENT') =>
    octokit.rest.pulls.createReview({
      owner: pull.owner,
      repo: pull.repo,
      pull_number: pull.pullNumber,
      commit_id: headSha,
      body,
      comments,
      ...(event ? { event } : {}),
    });
  try {
    await create(
      planned.map((entry) => entry.comment),
      'COMMENT',
    );
    return { posted: planned, rejected: [] };
  } catch (error) {
    if (!isUnprocessable(error)) throw error;
    log?.warn(
      { comments: planned.length },
      'GitHub refused the review (422); finding the comments it rejects',
    );
  }
  const accepted: PlannedComment[] = [];
  const rejected: UnplacedFinding[] = [];
  for (const entry of planned) {
    try {
      const { data } = await create([entry.comment]);
      accepted.push(entry);
      await octokit.rest.pulls.deletePendingReview({
        owner: pull.owner,
        repo: pull.repo,
        pull_number: pull.pullNumber,
        review_id: data.id,
      });
    } catch (error) {
      if (!isUnprocessable(error)) throw error;
      rejected.push({ published: entry.published, reason: 'GitHub refused a comment on these lines' });
    }
  }
  if (accepted.length > 0) {
    await create(
      accepted.map((entry) => entry.comment),
      'COMMENT',
    );
  }
  return { posted: accepted, rejected };
}
