/**
 * The GitHub REST and GraphQL endpoints one pull request review touches, served by nock from plain data,
 * with every write recorded. Reads persist (the pipeline may read a file or the tree more than once);
 * `failFirst` puts one-shot failures in front of an endpoint.
 */
import { createHash } from 'node:crypto';
import nock from 'nock';
import { API, BASE_SHA, BOT_LOGIN, HEAD_SHA, INSTALLATION, OWNER, PULL, REPO, REPO_PATH } from './harness.js';

export interface FakeFile {
  filename: string;
  status: 'added' | 'modified' | 'removed' | 'renamed';
  patch?: string;
}

export interface FakeReviewComment {
  id: number;
  body: string;
  path: string;
  line: number | null;
  user: { login: string; type: string };
  in_reply_to_id?: number;
}

export interface FakeRepo {
  headSha?: string;
  /** Repository contents at the head commit. */
  files: Record<string, string>;
  /** `pulls.listFiles` answer. */
  changed: FakeFile[];
  /** Raw `.github/jitterbot.yml` on the default branch; absent → 404. */
  config?: string;
  draft?: boolean;
  earlierComments?: FakeReviewComment[];
  /** Review threads, keyed by their root comment id. */
  threads?: { id: string; rootCommentId: number; isResolved: boolean }[];
  /** Commenter permission for `repos.getCollaboratorPermissionLevel`. */
  permissions?: Record<string, 'admin' | 'write' | 'read' | 'none'>;
  failFirst?: {
    method: 'GET' | 'POST' | 'PATCH';
    path: string | RegExp;
    status: number;
    headers?: Record<string, string>;
  }[];
}

export interface Recorded {
  reviews: Record<string, unknown>[];
  checkRunsCreated: Record<string, unknown>[];
  checkRunUpdates: Record<string, unknown>[];
  replies: { commentId: number; body: Record<string, unknown> }[];
  graphqlMutations: Record<string, unknown>[];
  reactions: Record<string, unknown>[];
  permissionChecks: string[];
  /** Every request the fake answered, as `METHOD /path`, in order. */
  requests: string[];
}

export const CHECK_RUN_ID = 4242;
const REVIEW_ID = 80;

// nock 15 calls a reply function with the fetch `Request` (a two-parameter function is taken as
// callback style), so bodies are read with `request.json()`.
async function bodyOf(request: Request): Promise<Record<string, unknown>> {
  return (await request.json()) as Record<string, unknown>;
}

function segments(request: Request): string[] {
  return new URL(request.url).pathname.split('/');
}

function blobSha(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0${content}`)
    .digest('hex');
}

export function fakeGitHub(repo: FakeRepo): Recorded {
  const headSha = repo.headSha ?? HEAD_SHA;
  const recorded: Recorded = {
    reviews: [],
    checkRunsCreated: [],
    checkRunUpdates: [],
    replies: [],
    graphqlMutations: [],
    reactions: [],
    permissionChecks: [],
    requests: [],
  };

  const failing = nock(API);
  for (const failure of repo.failFirst ?? []) {
    const interceptor =
      failure.method === 'GET'
        ? failing.get(failure.path)
        : failure.method === 'POST'
          ? failing.post(failure.path)
          : failing.patch(failure.path);
    interceptor
      .query(true)
      .once()
      .reply(failure.status, { message: `injected ${failure.status}` }, failure.headers);
  }

  const api = nock(API).persist();
  api.on('request', (request: Request) =>
    recorded.requests.push(`${request.method} ${new URL(request.url).pathname}`),
  );
  api.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, {
    token: 'ghs_installation_token',
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    permissions: {
      pull_requests: 'write',
      checks: 'write',
      contents: 'read',
      issues: 'write',
      metadata: 'read',
    },
    repository_selection: 'all',
  });
  api.get('/app').reply(200, { id: 1, slug: BOT_LOGIN.replace('[bot]', ''), name: 'jitterbot' });

  api.get(`${REPO_PATH}/pulls/${PULL}`).reply(200, {
    number: PULL,
    state: 'open',
    draft: repo.draft ?? false,
    head: { sha: headSha, ref: 'changes' },
    base: { sha: BASE_SHA, ref: 'master' },
    changed_files: repo.changed.length,
  });
  api.get(`${REPO_PATH}/pulls/${PULL}/files`).query(true).reply(200, repo.changed);

  const configPath = /\/contents\/\.github(%2F|\/)jitterbot\.yml/;
  if (repo.config !== undefined) {
    api
      .get((path) => path.startsWith(`${REPO_PATH}/contents/`) && configPath.test(path))
      .reply(200, repo.config, { 'content-type': 'text/plain; charset=utf-8' });
  } else {
    api
      .get((path) => path.startsWith(`/repos/${OWNER}/`) && configPath.test(path))
      .reply(404, { message: 'Not Found' });
  }

  const blobs = new Map(Object.values(repo.files).map((content) => [blobSha(content), content]));
  api
    .get(`${REPO_PATH}/git/trees/${headSha}`)
    .query(true)
    .reply(200, {
      sha: headSha,
      truncated: false,
      tree: Object.entries(repo.files).map(([path, content]) => ({
        path,
        type: 'blob',
        mode: '100644',
        sha: blobSha(content),
        size: Buffer.byteLength(content),
      })),
    });
  api.get(new RegExp(`^${REPO_PATH}/git/blobs/[0-9a-f]{40}$`)).reply((request: Request) => {
    const sha = segments(request).at(-1)!;
    const content = blobs.get(sha);
    return content === undefined
      ? [404, { message: 'Not Found' }]
      : [200, { sha, encoding: 'base64', content: Buffer.from(content).toString('base64') }];
  });

  api
    .get(`${REPO_PATH}/pulls/${PULL}/comments`)
    .query(true)
    .reply(200, repo.earlierComments ?? []);
  api.post('/graphql').reply(async (request: Request) => {
    const body = (await bodyOf(request)) as { query: string; variables: Record<string, unknown> };
    if (body.query.includes('resolveReviewThread')) {
      recorded.graphqlMutations.push(body);
      return [
        200,
        { data: { resolveReviewThread: { thread: { id: body.variables.threadId, isResolved: true } } } },
      ];
    }
    const nodes = (repo.threads ?? []).map((thread) => ({
      id: thread.id,
      isResolved: thread.isResolved,
      comments: { nodes: [{ databaseId: thread.rootCommentId }] },
    }));
    return [
      200,
      {
        data: {
          repository: {
            pullRequest: { reviewThreads: { pageInfo: { hasNextPage: false, endCursor: null }, nodes } },
          },
        },
      },
    ];
  });

  api.post(`${REPO_PATH}/check-runs`).reply(async (request: Request) => {
    recorded.checkRunsCreated.push(await bodyOf(request));
    return [201, { id: CHECK_RUN_ID }];
  });
  api.patch(`${REPO_PATH}/check-runs/${CHECK_RUN_ID}`).reply(async (request: Request) => {
    recorded.checkRunUpdates.push(await bodyOf(request));
    return [200, { id: CHECK_RUN_ID }];
  });
  api.post(`${REPO_PATH}/pulls/${PULL}/reviews`).reply(async (request: Request) => {
    recorded.reviews.push(await bodyOf(request));
    return [200, { id: REVIEW_ID + recorded.reviews.length }];
  });
  api
    .post(new RegExp(`^${REPO_PATH}/pulls/${PULL}/comments/\\d+/replies$`))
    .reply(async (request: Request) => {
      recorded.replies.push({ commentId: Number(segments(request).at(-2)), body: await bodyOf(request) });
      return [201, { id: 9_000 + recorded.replies.length }];
    });
  api.post(new RegExp(`^${REPO_PATH}/issues/comments/\\d+/reactions$`)).reply(async (request: Request) => {
    const body = await bodyOf(request);
    recorded.reactions.push(body);
    return [201, { id: 1, content: body.content }];
  });
  api.get(new RegExp(`^${REPO_PATH}/collaborators/[^/]+/permission$`)).reply((request: Request) => {
    const user = decodeURIComponent(segments(request).at(-2)!);
    recorded.permissionChecks.push(user);
    const permission = repo.permissions?.[user] ?? 'none';
    return [200, { permission, role_name: permission, user: { login: user } }];
  });
  return recorded;
}

/** The comment the bot left on an earlier run, as `pulls.listReviewComments` returns it. */
export function earlierComment(id: number, body: string, path: string, line: number): FakeReviewComment {
  return { id, body, path, line, user: { login: BOT_LOGIN, type: 'Bot' } };
}

export { REPO };
