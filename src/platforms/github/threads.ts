import type { ProbotOctokit } from 'probot';
import type { EarlierComment } from '../types.js';
import type { PullRef } from './changes.js';
import { parseFingerprintMarker } from '../../review/render.js';

/** Start of the reply to a comment whose finding is gone; also how an answered one is recognised. */
const FIXED_REPLY_PREFIX = 'Fixed in ';

const COMMENTS_PER_PAGE = 100;
const THREADS_PER_PAGE = 100;
/** A pull request with more review threads than this is not reconciled beyond them. */
const MAX_THREAD_PAGES = 20;

interface ReviewComment {
  id: number;
  body: string;
  path: string;
  line?: number | null;
  original_line?: number | null;
  in_reply_to_id?: number;
  user: { login: string; type?: string } | null;
}

interface ThreadState {
  threadId: string;
  isResolved: boolean;
}

interface ThreadsPage {
  repository: {
    pullRequest: {
      reviewThreads: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: { id: string; isResolved: boolean; comments: { nodes: { databaseId: number | null }[] } }[];
      };
    } | null;
  } | null;
}

// The REST API has no review threads; GraphQL links each thread to its first comment's REST id.
const REVIEW_THREADS_QUERY = /* GraphQL */ `
  query jitterbotReviewThreads($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
    repository(owner: $owner, name: $repo) {
      pullRequest(number: $number) {
        reviewThreads(first: ${THREADS_PER_PAGE}, after: $cursor) {
          pageInfo { hasNextPage endCursor }
          nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
        }
      }
    }
  }
`;

const RESOLVE_THREAD_MUTATION = /* GraphQL */ `
  mutation jitterbotResolveThread($threadId: ID!) {
    resolveReviewThread(input: { threadId: $threadId }) {
      thread {
        id
        isResolved
      }
    }
  }
`;

/**
 * The bot's own earlier inline comments: top-level review comments written by `botLogin` that carry the
 * fingerprint marker (a marker quoted by a human, or by another bot, is ignored), with the state of
 * their review thread.
 */
export async function listEarlierComments(
  octokit: ProbotOctokit,
  pull: PullRef,
  botLogin: string | undefined,
): Promise<EarlierComment[]> {
  const comments = (await octokit.paginate(octokit.rest.pulls.listReviewComments, {
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.pullNumber,
    per_page: COMMENTS_PER_PAGE,
  })) as ReviewComment[];
  const ours = comments.filter((comment) => isOurs(comment, botLogin));
  if (ours.length === 0) return [];
  // Roots the bot already answered: a failed resolve is retried without a second "Fixed in" reply.
  const answered = new Set(
    comments
      .filter((comment) => comment.in_reply_to_id != null && comment.body.startsWith(FIXED_REPLY_PREFIX))
      .filter((comment) =>
        botLogin !== undefined ? comment.user?.login === botLogin : comment.user?.type === 'Bot',
      )
      .map((comment) => comment.in_reply_to_id),
  );
  const threads = await reviewThreadsByRootComment(octokit, pull);
  return ours.map((comment) => {
    const fingerprint = parseFingerprintMarker(comment.body)!;
    const thread = threads.get(comment.id);
    const line = comment.line ?? comment.original_line ?? undefined;
    return {
      id: String(comment.id),
      fingerprint,
      path: comment.path,
      ...(line !== undefined ? { line } : {}),
      resolved: thread?.isResolved ?? false,
      answered: answered.has(comment.id),
      ...(thread ? { threadId: thread.threadId } : {}),
    };
  });
}

function isOurs(comment: ReviewComment, botLogin: string | undefined): boolean {
  if (comment.in_reply_to_id !== undefined && comment.in_reply_to_id !== null) return false;
  if (parseFingerprintMarker(comment.body) === null) return false;
  // Without a known login (token mode), any bot account's marked comment is taken as ours.
  return botLogin !== undefined ? comment.user?.login === botLogin : comment.user?.type === 'Bot';
}

async function reviewThreadsByRootComment(
  octokit: ProbotOctokit,
  pull: PullRef,
): Promise<Map<number, ThreadState>> {
  const threads = new Map<number, ThreadState>();
  let cursor: string | null = null;
  for (let page = 0; page < MAX_THREAD_PAGES; page += 1) {
    const data: ThreadsPage = await octokit.graphql<ThreadsPage>(REVIEW_THREADS_QUERY, {
      owner: pull.owner,
      repo: pull.repo,
      number: pull.pullNumber,
      cursor,
    });
    const connection = data.repository?.pullRequest?.reviewThreads;
    if (!connection) break;
    for (const node of connection.nodes) {
      const rootId = node.comments.nodes[0]?.databaseId;
      if (typeof rootId === 'number') threads.set(rootId, { threadId: node.id, isResolved: node.isResolved });
    }
    if (!connection.pageInfo.hasNextPage) break;
    cursor = connection.pageInfo.endCursor;
  }
  return threads;
}

/** Answers a fixed finding in its thread and resolves the thread. */
export async function markFixed(
  octokit: ProbotOctokit,
  pull: PullRef,
  comment: EarlierComment,
  headSha: string,
): Promise<void> {
  if (!comment.answered) {
    await octokit.rest.pulls.createReplyForReviewComment({
      owner: pull.owner,
      repo: pull.repo,
      pull_number: pull.pullNumber,
      comment_id: Number(comment.id),
      body: `${FIXED_REPLY_PREFIX}${headSha}.`,
    });
  }
  if (comment.threadId) {
    await octokit.graphql(RESOLVE_THREAD_MUTATION, { threadId: comment.threadId });
  }
}
