/**
 * What a pull or merge request review costs in API calls — first push, second push, and a rescan of
 * the same head — before (no read cache, unconditional requests) and after, on GitHub and on GitLab:
 *   npm run bench:api-calls [modules]
 * A stand-in GitHub and a stand-in GitLab (local HTTP servers) serve a generated TypeScript repository
 * of a few thousand files and count every request they answer, by kind. The change adds a retry
 * helper whose delay is a parameter, so the review builds the repository index to find its callers
 * (the expensive case); the second push edits one line of that file. The full review runs, as the bot
 * runs it: the pull or merge request, config, tree, files, earlier comments, what it posts, and the
 * check run or commit status.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProbotOctokit } from 'probot';
import { apiCallKind } from '../src/platforms/api-calls.js';
import { reviewPullRequest } from '../src/platforms/github/job.js';
import {
  DEFAULT_GITHUB_RETRY,
  countApiCalls,
  jitterbotOctokit,
  jitteredRetry,
} from '../src/platforms/github/octokit.js';
import { readRepoConfig } from '../src/platforms/github/repo-config.js';
import { createGitlabClient } from '../src/platforms/gitlab/client.js';
import { silentLog } from '../src/platforms/gitlab/log.js';
import { runGitlabReviewJob } from '../src/platforms/gitlab/review-job.js';
import { NO_READ_CACHE, createReadCache, type ReadCache } from '../src/platforms/read-cache.js';
import { runReview } from '../src/review/pipeline.js';

const MODULES = Number(process.argv[2] ?? 3_000);
const OWNER = 'acme';
const REPO = 'shop';
const PULL = 1;
const BOT = 'jitterbot[bot]';
const BASE_SHA = 'b'.repeat(40);
const CHANGED = 'src/jobs/retry.ts';

const helper = (
  attempts: number,
) => `export async function withRetry<T>(task: () => Promise<T>, waitMs: number): Promise<T> {
  for (let attempt = 0; attempt < ${attempts}; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt === ${attempts - 1}) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  throw new Error('unreachable');
}
`;

const ordinary = (i: number) => `import { Customer } from '../models/customer';

export function total${i}(orders: { amount: number; customerId: number }[]): number {
  return orders.filter((order) => order.customerId === ${i}).reduce((sum, order) => sum + order.amount, 0);
}

export class Report${i} {
  constructor(private readonly rows: Customer[]) {}
  render(): string {
    return this.rows.map((row) => row.name).join('\\n');
  }
}
`;

function repository(attempts: number): Map<string, string> {
  const files = new Map<string, string>();
  for (let i = 0; i < MODULES; i += 1)
    files.set(`src/module_${Math.floor(i / 40)}/part_${i}.ts`, ordinary(i));
  files.set('src/models/customer.ts', 'export interface Customer {\n  name: string;\n}\n');
  files.set(
    'src/app/sync.ts',
    `import { withRetry } from '../jobs/retry';\n\nexport const sync = (task: () => Promise<void>) => withRetry(task, 2000);\n`,
  );
  files.set(CHANGED, helper(attempts));
  return files;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const blobId = (text: string) => sha1(`blob ${Buffer.byteLength(text)}\0${text}`);

/** A stand-in API's request body as JSON (empty when there is none). */
async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
}

interface PushState {
  headSha: string;
  files: Map<string, string>;
}

/** The stand-in GitHub: answers what one review asks for, keeps the comments it posted, counts calls. */
function standInGitHub(state: StandIn) {
  const repo = `/repos/${OWNER}/${REPO}`;
  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  // GitHub sends an ETag with every REST answer and answers 304 to a request that sends it back.
  const sendTagged = (req: IncomingMessage, res: ServerResponse, body: unknown) => {
    const etag = `"${sha1(JSON.stringify(body))}"`;
    if (req.headers['if-none-match'] !== etag)
      return res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(body));
    state.notModified += 1;
    return res.writeHead(304, { etag }).end();
  };
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const kind = apiCallKind(req.method ?? 'GET', path);
    state.calls.set(kind, (state.calls.get(kind) ?? 0) + 1);
    const push = state.push!;
    const content = push.files.get(CHANGED)!;
    const byId = new Map([...push.files.values()].map((text) => [blobId(text), text]));
    if (path === `${repo}/pulls/${PULL}`)
      return sendTagged(req, res, {
        number: PULL,
        state: 'open',
        draft: false,
        head: { sha: push.headSha, ref: 'retry' },
        base: { sha: BASE_SHA, ref: 'main' },
        changed_files: 1,
      });
    if (path === `${repo}/pulls/${PULL}/files`) {
      const lines = content.trimEnd().split('\n');
      const patch = [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n');
      return sendTagged(req, res, [{ filename: CHANGED, status: 'added', patch }]);
    }
    if (path.startsWith(`${repo}/git/trees/`)) {
      const tree = [...push.files].map(([file, text]) => ({
        path: file,
        type: 'blob',
        mode: '100644',
        sha: blobId(text),
        size: Buffer.byteLength(text),
      }));
      return send(res, 200, { sha: push.headSha, truncated: false, tree });
    }
    if (path.startsWith(`${repo}/git/blobs/`)) {
      const text = byId.get(path.split('/').at(-1)!);
      if (text === undefined) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { encoding: 'base64', content: Buffer.from(text).toString('base64') });
    }
    if (path === `${repo}/pulls/${PULL}/comments`) return sendTagged(req, res, state.comments);
    if (path === '/graphql')
      return send(res, 200, {
        data: {
          repository: {
            pullRequest: { reviewThreads: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } },
          },
        },
      });
    if (path === `${repo}/check-runs` && req.method === 'POST') return send(res, 201, { id: 1 });
    if (path === `${repo}/check-runs/1`) return send(res, 200, { id: 1 });
    if (path === `${repo}/pulls/${PULL}/reviews`) {
      const body = await bodyOf(req);
      for (const comment of (body.comments ?? []) as { path: string; line: number; body: string }[]) {
        state.comments.push({ id: state.comments.length + 1, ...comment, user: { login: BOT, type: 'Bot' } });
      }
      return send(res, 200, { id: 1 });
    }
    // Configuration (`.github/jitterbot.yml`, here and in the owner's `.github` repository): none.
    return send(res, 404, { message: 'Not Found' });
  });
}

const QuietOctokit = ProbotOctokit.defaults((options: { throttle?: object }) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...options.throttle, enabled: false },
}));
const RETRY = { ...DEFAULT_GITHUB_RETRY, retries: 0 };
type OctokitClass = typeof ProbotOctokit;

/**
 * Before: no read cache, every GET unconditional (the client without its conditional layer). After:
 * the read cache and the client as the bot builds it, new for each run so nothing carries over.
 */
function clients(mode: 'before' | 'after'): { cache: ReadCache; Octokit: OctokitClass } {
  if (mode === 'before')
    return { cache: NO_READ_CACHE, Octokit: QuietOctokit.plugin(countApiCalls, jitteredRetry(RETRY)) };
  return { cache: createReadCache(), Octokit: jitterbotOctokit(RETRY, QuietOctokit) };
}
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** What both stand-ins share: the push being served, what the bot posted, the calls counted. */
interface StandIn {
  push?: PushState;
  comments: object[];
  calls: Map<string, number>;
  /** Of the calls, conditional ones answered 304 (free of GitHub's rate limit). */
  notModified: number;
}

type Platform = 'GitHub' | 'GitLab';

/** The repository's files as GitLab's tree endpoint lists them, with tree ids that hash their contents. */
function gitlabTree(files: Map<string, string>): { id: string; name: string; type: string; path: string }[] {
  const entries = new Map<string, { id: string; name: string; type: string; path: string }>();
  const trees = new Map<string, string[]>();
  for (const [file, text] of files) {
    const parts = file.split('/');
    entries.set(file, { id: blobId(text), name: parts.at(-1)!, type: 'blob', path: file });
    for (let depth = 1; depth < parts.length; depth += 1) {
      const dir = parts.slice(0, depth).join('/');
      trees.set(dir, [...(trees.get(dir) ?? []), `${file} ${blobId(text)}`]);
    }
  }
  for (const [dir, contents] of trees)
    entries.set(dir, {
      id: sha1(contents.join('\n')),
      name: dir.split('/').at(-1)!,
      type: 'tree',
      path: dir,
    });
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The stand-in GitLab (API v4, keyset-paged trees of 100 entries, as gitlab.com serves them). */
function standInGitLab(state: StandIn) {
  const project = '/api/v4/projects/7';
  const mr = `${project}/merge_requests/1`;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    res
      .writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        ...headers,
      })
      .end(typeof body === 'string' ? body : JSON.stringify(body));
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const kind = apiCallKind(method, path);
    state.calls.set(kind, (state.calls.get(kind) ?? 0) + 1);
    const push = state.push!;
    const content = push.files.get(CHANGED)!;
    if (path === mr)
      return send(res, 200, {
        iid: 1,
        state: 'opened',
        draft: false,
        target_branch: 'main',
        diff_refs: { base_sha: BASE_SHA, start_sha: BASE_SHA, head_sha: push.headSha },
      });
    if (path === `${mr}/diffs`) {
      const lines = content.trimEnd().split('\n');
      const diff = [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n') + '\n';
      return send(res, 200, [
        {
          old_path: CHANGED,
          new_path: CHANGED,
          new_file: true,
          renamed_file: false,
          deleted_file: false,
          diff,
        },
      ]);
    }
    if (path === `${project}/repository/tree`) {
      const dir = url.searchParams.get('path') ?? '';
      const recursive = url.searchParams.get('recursive') === 'true';
      const parentOf = (at: string) => at.slice(0, Math.max(0, at.lastIndexOf('/')));
      const all = gitlabTree(push.files).filter((entry) =>
        recursive ? dir === '' || entry.path.startsWith(`${dir}/`) : parentOf(entry.path) === dir,
      );
      const after = url.searchParams.get('page_token');
      const start = after ? all.findIndex((entry) => entry.path === after) + 1 : 0;
      const page = all.slice(start, start + 100);
      const next = new URL(url);
      next.searchParams.set('page_token', page.at(-1)?.path ?? '');
      const more = start + 100 < all.length;
      return send(res, 200, page, more ? { link: `<${next.href}>; rel="next"` } : {});
    }
    if (path.startsWith(`${project}/repository/blobs/`)) {
      const id = path.split('/').at(-2);
      const text = [...push.files.values()].find((candidate) => blobId(candidate) === id);
      return text === undefined ? send(res, 404, { message: '404 Not Found' }) : send(res, 200, text);
    }
    if (path.startsWith(`${project}/repository/files/`)) {
      const file = path.slice(`${project}/repository/files/`.length, -'/raw'.length);
      const text = url.searchParams.get('ref') === push.headSha ? push.files.get(file) : undefined;
      return text === undefined ? send(res, 404, { message: '404 File Not Found' }) : send(res, 200, text);
    }
    if (path === `${mr}/discussions` && method === 'GET') return send(res, 200, state.comments);
    if (path === `${mr}/discussions` || path === `${mr}/notes`) {
      const body = await bodyOf(req);
      const id = state.comments.length + 1;
      const note = {
        id,
        body: body.body,
        author: { id: 99, username: 'jitterbot' },
        system: false,
        type: path.endsWith('notes') ? null : 'DiffNote',
        resolvable: !path.endsWith('notes'),
        resolved: false,
        ...(body.position ? { position: body.position } : {}),
      };
      const discussion = {
        id: String(id).padStart(40, '0'),
        individual_note: path.endsWith('notes'),
        notes: [note],
      };
      state.comments.push(discussion);
      return send(res, 201, path.endsWith('notes') ? note : discussion);
    }
    if (path.startsWith(`${mr}/notes/`)) return send(res, 200, { id: 1 });
    if (path.startsWith(`${project}/statuses/`)) return send(res, 201, { id: 1, status: 'success' });
    return send(res, 404, { message: '404 Not Found' });
  });
}

async function reviewOn(
  platform: Platform,
  baseUrl: string,
  { cache, Octokit }: { cache: ReadCache; Octokit: OctokitClass },
  push: number,
): Promise<string> {
  if (platform === 'GitLab') {
    const result = await runGitlabReviewJob(
      {
        deliveryIds: [`push-${push}`],
        project: { id: 7, path: `${OWNER}/${REPO}`, webUrl: `${baseUrl}/${OWNER}/${REPO}` },
        mrIid: PULL,
        reasons: [['open', 'update', 'rescan'][push]!],
        rescans: [],
      },
      {
        api: createGitlabClient({ url: baseUrl, token: 'glpat-bench', retry: { retries: 0 } }),
        log: silentLog,
        botUsername: 'jitterbot',
        readCache: cache,
      },
    );
    return result.kind === 'failed' ? `failed: ${result.error}` : result.kind;
  }
  const octokit = new Octokit({ auth: 'token', baseUrl, log: quiet });
  return reviewPullRequest({
    owner: OWNER,
    repo: REPO,
    pullNumber: PULL,
    octokit,
    log: quiet,
    reason: (['opened', 'synchronize', 'rescan'] as const)[push]!,
    readConfig: (name) => readRepoConfig(octokit, OWNER, REPO, name),
    botLogin: async () => BOT,
    review: runReview,
    readCache: cache,
  });
}

interface PushCost {
  calls: Map<string, number>;
  notModified: number;
}

async function threeReviews(platform: Platform, mode: 'before' | 'after'): Promise<PushCost[]> {
  const state: StandIn = { comments: [], calls: new Map(), notModified: 0 };
  const client = clients(mode);
  const server = platform === 'GitHub' ? standInGitHub(state) : standInGitLab(state);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const counts: PushCost[] = [];
  try {
    // The helper retries 5 times, then 6 (the second push); then the same head is reviewed again.
    for (const [push, attempts] of [5, 6, 6].entries()) {
      state.push = { headSha: sha1(`head ${attempts}`), files: repository(attempts) };
      state.calls = new Map();
      state.notModified = 0;
      const result = await reviewOn(platform, baseUrl, client, push);
      if (result !== 'reviewed') throw new Error(`${platform} push ${push + 1}: ${result}`);
      counts.push({ calls: state.calls, notModified: state.notModified });
    }
  } finally {
    server.close();
  }
  return counts;
}

const total = ({ calls }: PushCost) => [...calls.values()].reduce((a, b) => a + b, 0);
const kinds = ({ calls, notModified }: PushCost) =>
  [...calls]
    .sort()
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ') + (notModified ? ` (${notModified} answered 304, free)` : '');

console.log(`API calls per review, repository of ${MODULES + 3} files (stand-in APIs counting requests)`);
console.log(`${''.padEnd(21)}${'before'.padStart(8)}${'after'.padStart(8)}   after, by kind`);
for (const platform of ['GitHub', 'GitLab'] as const) {
  const before = await threeReviews(platform, 'before');
  const after = await threeReviews(platform, 'after');
  for (const [index, label] of ['first push', 'second push', 'rescan'].entries()) {
    console.log(
      `${`${platform} ${label}`.padEnd(21)}${String(total(before[index]!)).padStart(8)}${String(total(after[index]!)).padStart(8)}   ${kinds(after[index]!)}`,
    );
  }
}
