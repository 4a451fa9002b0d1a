/**
 * What a GitHub pull request review costs in API calls, first push and second push, with and without
 * the read cache:
 *   npm run bench:api-calls [modules]
 * A stand-in GitHub (a local HTTP server) serves a generated TypeScript repository of a few thousand
 * files and counts every request it answers, by kind. The pull request adds a retry helper whose
 * delay is a parameter, so the review builds the repository index to find its callers (the expensive
 * case); the second push edits one line of that file. The full review runs, as the bot runs it:
 * pull request, check run, config, tree, blobs, earlier comments, review, check run update.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProbotOctokit } from 'probot';
import { apiCallKind } from '../src/platforms/api-calls.js';
import { reviewPullRequest } from '../src/platforms/github/job.js';
import { DEFAULT_GITHUB_RETRY, jitterbotOctokit } from '../src/platforms/github/octokit.js';
import { readRepoConfig } from '../src/platforms/github/repo-config.js';
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

interface PushState {
  headSha: string;
  files: Map<string, string>;
}

/** The stand-in GitHub: answers what one review asks for, keeps the comments it posted, counts calls. */
function standInGitHub(state: { push?: PushState; comments: object[]; calls: Map<string, number> }) {
  const repo = `/repos/${OWNER}/${REPO}`;
  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const bodyOf = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
      : {};
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
      return send(res, 200, {
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
      return send(res, 200, [{ filename: CHANGED, status: 'added', patch }]);
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
    if (path === `${repo}/pulls/${PULL}/comments`) return send(res, 200, state.comments);
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

const Octokit = jitterbotOctokit(
  { ...DEFAULT_GITHUB_RETRY, retries: 0 },
  ProbotOctokit.defaults((options: { throttle?: object }) => ({
    ...options,
    retry: { enabled: false },
    throttle: { ...options.throttle, enabled: false },
  })),
);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function twoPushes(cache: ReadCache): Promise<Map<string, number>[]> {
  const state: { push?: PushState; comments: object[]; calls: Map<string, number> } = {
    comments: [],
    calls: new Map(),
  };
  const server = standInGitHub(state);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const counts: Map<string, number>[] = [];
  try {
    for (const [index, attempts] of [5, 6].entries()) {
      state.push = { headSha: sha1(`head ${index}`), files: repository(attempts) };
      state.calls = new Map();
      const octokit = new Octokit({ auth: 'token', baseUrl, log: quiet });
      const result = await reviewPullRequest({
        owner: OWNER,
        repo: REPO,
        pullNumber: PULL,
        octokit,
        log: quiet,
        reason: index === 0 ? 'opened' : 'synchronize',
        readConfig: (name) => readRepoConfig(octokit, OWNER, REPO, name),
        botLogin: async () => BOT,
        review: runReview,
        readCache: cache,
      });
      if (result !== 'reviewed') throw new Error(`push ${index + 1}: review ${result}`);
      counts.push(state.calls);
    }
  } finally {
    server.close();
  }
  return counts;
}

const total = (calls: Map<string, number>) => [...calls.values()].reduce((a, b) => a + b, 0);
const kinds = (calls: Map<string, number>) =>
  [...calls]
    .sort()
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');

const without = await twoPushes(NO_READ_CACHE);
const withCache = await twoPushes(createReadCache());
console.log(
  `GitHub API calls per review, repository of ${MODULES + 3} files (stand-in API counting requests)`,
);
console.log(`${''.padEnd(14)}${'no cache'.padStart(10)}${'cache'.padStart(10)}   with the cache, by kind`);
for (const [index, label] of ['first push', 'second push'].entries()) {
  console.log(
    `${label.padEnd(14)}${String(total(without[index]!)).padStart(10)}${String(total(withCache[index]!)).padStart(10)}   ${kinds(withCache[index]!)}`,
  );
}
