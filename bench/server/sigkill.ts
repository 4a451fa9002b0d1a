/**
 * `npm run bench:sigkill`: the only process, with the in-process queue, killed with SIGKILL in the middle
 * of a burst of reviews — does every pull request still get exactly one review?
 *
 * This script plays GitHub: it serves a stand-in REST API on 127.0.0.1 (the child reaches it through
 * `GHE_HOST`) that keeps the App's delivery log, pull requests and check runs, and it sends signed
 * `pull_request.opened` deliveries (one per pull request), logging each attempt with the status it got
 * (0 when the connection failed, as GitHub logs "failed to connect"). Once `KILL_AFTER` deliveries are
 * acknowledged it SIGKILLs the server, keeps sending the rest into the void, starts the server again
 * (memory empty: the reconciler must find what was lost in the delivery log and the check runs), and
 * late-redelivers a few deliveries, some acknowledged before the kill and some that failed. Then it
 * counts, per pull request, the completed `jitterbot` check runs on its head commit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const PULLS = Number(process.env.SIGKILL_PULLS ?? 40);
const KILL_AFTER = Number(process.env.SIGKILL_KILL_AFTER ?? 20);
/** Time between the last acknowledged delivery and the kill: some reviews finish, some are running. */
const KILL_DELAY_MS = 4_000;
const CONCURRENCY = 8;
const LATE_REDELIVERIES = 5;
const SECRET = 'sigkill-secret';
const INSTALLATION = 7;
const OWNER = 'acme';
const REPO = 'payments';
/** Gives up waiting for the reviews to settle after this long. */
const SETTLE_TIMEOUT_MS = 300_000;

interface Attempt {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string;
  installation_id: number;
  repository_id: number;
}

const headOf = (pull: number) => createHash('sha1').update(`head of #${pull}`).digest('hex');
const payloadOf = (pull: number) => ({
  action: 'opened',
  number: pull,
  installation: { id: INSTALLATION },
  repository: { id: 42, name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } },
  pull_request: {
    number: pull,
    state: 'open',
    draft: false,
    head: { sha: headOf(pull), ref: `change-${pull}` },
    base: { sha: 'b'.repeat(40), ref: 'main' },
  },
});

// --- The stand-in GitHub -------------------------------------------------------------------------

const attempts: Attempt[] = [];
const guidPull = new Map<string, number>();
/** Check runs by id: the head commit they are on, and whether they were completed. */
const checkRuns = new Map<
  number,
  { headSha: string; externalId: string; completed: boolean; title?: string }
>();

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function github(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
  const url = new URL(req.url ?? '/', base);
  const path = url.pathname.replace(/^\/api\/v3/, '');
  const key = `${req.method} ${path}`;
  let match: RegExpExecArray | null;
  if (key === `POST /app/installations/${INSTALLATION}/access_tokens`)
    return reply(res, 201, {
      token: 'ghs_standin',
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
  if (key === 'GET /app/hook/deliveries') {
    // Newest first, paged by cursor (the position of the first attempt of the page), like GitHub.
    const newestFirst = [...attempts].reverse();
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const from = Number(url.searchParams.get('cursor') ?? 0);
    const page = newestFirst.slice(from, from + perPage);
    const next = from + perPage < newestFirst.length ? from + perPage : undefined;
    const link: Record<string, string> =
      next === undefined
        ? {}
        : { link: `<${base}/api/v3/app/hook/deliveries?per_page=${perPage}&cursor=${next}>; rel="next"` };
    return reply(res, 200, page, link);
  }
  if ((match = /^GET \/app\/hook\/deliveries\/(\d+)$/.exec(key))) {
    const attempt = attempts.find((candidate) => candidate.id === Number(match![1]));
    if (!attempt) return reply(res, 404, { message: 'Not Found' });
    const payload = payloadOf(guidPull.get(attempt.guid)!);
    return reply(res, 200, {
      ...attempt,
      request: { headers: {}, payload },
      response: { headers: {}, payload: null },
    });
  }
  const repo = `/repos/${OWNER}/${REPO}`;
  if ((match = new RegExp(`^GET ${repo}/pulls/(\\d+)$`).exec(key))) {
    const pull = Number(match[1]);
    return reply(res, 200, { ...payloadOf(pull).pull_request, changed_files: 0 });
  }
  if (new RegExp(`^GET ${repo}/pulls/\\d+/files$`).test(key)) return reply(res, 200, []);
  if (key === `POST ${repo}/check-runs`) {
    const body = await bodyOf(req);
    const id = checkRuns.size + 1;
    checkRuns.set(id, {
      headSha: String(body.head_sha),
      externalId: String(body.external_id),
      completed: false,
    });
    return reply(res, 201, { id });
  }
  if ((match = new RegExp(`^PATCH ${repo}/check-runs/(\\d+)$`).exec(key))) {
    const run = checkRuns.get(Number(match[1]));
    const body = await bodyOf(req);
    if (run && body.conclusion !== undefined) {
      run.completed = true;
      run.title = String((body.output as { title?: unknown } | undefined)?.title);
    }
    return reply(res, 200, { id: Number(match[1]) });
  }
  if ((match = new RegExp(`^GET ${repo}/commits/([0-9a-f]{40})/check-runs$`).exec(key))) {
    const sha = match[1];
    const completed = [...checkRuns.entries()].filter(([, run]) => run.headSha === sha && run.completed);
    const listed = completed.map(([id, run]) => ({
      id,
      name: 'jitterbot',
      status: 'completed',
      external_id: run.externalId,
      output: { title: run.title },
    }));
    return reply(res, 200, { total_count: listed.length, check_runs: listed });
  }
  return reply(res, 404, { message: `stand-in GitHub has no ${key}` });
}

// --- The server under test -----------------------------------------------------------------------

interface Child {
  process: ChildProcess;
  url: Promise<string>;
  stats(): Promise<{ depth: number; active: number }>;
}

function startChild(env: Record<string, string>): Child {
  const child = fork(fileURLToPath(new URL('./sigkill-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    // SIGKILL_LOGS=1 shows the server's logs (set LOG_LEVEL too).
    stdio: ['ignore', process.env.SIGKILL_LOGS ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  let onReady!: (url: string) => void;
  let onStats: ((stats: { depth: number; active: number }) => void) | undefined;
  const url = new Promise<string>((resolve) => (onReady = resolve));
  child.on('message', (message: { kind: string; url?: string; depth?: number; active?: number }) => {
    if (message.kind === 'ready') onReady(message.url!);
    if (message.kind === 'stats') onStats?.({ depth: message.depth!, active: message.active! });
  });
  return {
    process: child,
    url,
    stats: () =>
      new Promise((resolve) => {
        onStats = resolve;
        child.send({ kind: 'stats' });
      }),
  };
}

/** Sends one delivery as GitHub would, and logs the attempt with what it got back. */
async function deliver(target: string, guid: string, pull: number): Promise<number> {
  const body = JSON.stringify(payloadOf(pull));
  const started = Date.now();
  let status = 0;
  try {
    const response = await fetch(`${target}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': guid,
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    status = 0;
  }
  attempts.push({
    id: attempts.length + 1,
    guid,
    delivered_at: new Date(started).toISOString(),
    redelivery: attempts.some((attempt) => attempt.guid === guid),
    duration: (Date.now() - started) / 1000,
    status: status === 0 ? 'failed to connect' : String(status),
    status_code: status,
    event: 'pull_request',
    action: 'opened',
    installation_id: INSTALLATION,
    repository_id: 42,
  });
  return status;
}

async function main(): Promise<void> {
  const api = createServer((req, res) => {
    github(req, res, `http://127.0.0.1:${(api.address() as AddressInfo).port}`).catch((error: unknown) =>
      reply(res, 500, { message: String(error) }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const env = {
    APP_ID: '1',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: `127.0.0.1:${(api.address() as AddressInfo).port}`,
    GHE_PROTOCOL: 'http',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal',
    // Runs every ~2 s, touching deliveries older than 5 s: the production 10 min / 5 min, compressed.
    RECONCILE_INTERVAL_SECONDS: '2',
    RECONCILE_MIN_AGE_SECONDS: '5',
  };

  let child = startChild(env);
  let target = await child.url;
  const guids = Array.from({ length: PULLS }, (_, i) => ({ guid: `d-${i + 1}-${Date.now()}`, pull: i + 1 }));
  for (const { guid, pull } of guids) guidPull.set(guid, pull);

  // Before the kill: deliveries acknowledged, a few reviews finished, one or two running, the rest queued.
  let acked = 0;
  await sendAll(guids.slice(0, KILL_AFTER), async ({ guid, pull }) => {
    const status = await deliver(target, guid, pull);
    if (status >= 200 && status < 300) acked += 1;
  });
  await new Promise((resolve) => setTimeout(resolve, KILL_DELAY_MS));
  child.process.kill('SIGKILL');
  await new Promise((resolve) => child.process.once('exit', resolve));
  const killed = { acked, reviewedBeforeKill: reviewedPulls().size };
  // While the server is down: every delivery fails to connect.
  await sendAll(guids.slice(KILL_AFTER), ({ guid, pull }) => deliver(target, guid, pull));

  const restartedAt = Date.now();
  child = startChild(env);
  target = await child.url;
  // Late redeliveries: some acknowledged before the kill, some that failed.
  const ackedBefore = (guid: string) =>
    attempts.some(
      (attempt) => attempt.guid === guid && attempt.status_code >= 200 && attempt.status_code < 300,
    );
  const ackedGuids = guids.filter(({ guid }) => ackedBefore(guid));
  const failedGuids = guids.filter(({ guid }) => !ackedBefore(guid));
  const late = [...ackedGuids.slice(0, LATE_REDELIVERIES), ...failedGuids.slice(0, LATE_REDELIVERIES)];
  for (const { guid, pull } of late) await deliver(target, guid, pull);

  const settled = await settle(child);
  child.process.kill('SIGTERM');
  api.close();

  const completions = completionsByPull();
  const report = {
    pulls: PULLS,
    sent: PULLS,
    acked: killed.acked,
    failed: PULLS - killed.acked,
    killedWith: {
      reviewed: killed.reviewedBeforeKill,
      notReviewed: killed.acked - killed.reviewedBeforeKill,
    },
    lateRedeliveries: late.length,
    reviewed: [...completions.values()].filter((count) => count >= 1).length,
    lost: PULLS - [...completions.values()].filter((count) => count >= 1).length,
    duplicated: [...completions.values()].filter((count) => count > 1).length,
    recoveredWithinMs: settled ? settled - restartedAt : null,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.lost === 0 && report.duplicated === 0 ? 0 : 1;
}

async function sendAll<T>(items: T[], send: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await send(next);
    }),
  );
}

function completionsByPull(): Map<number, number> {
  const counts = new Map<number, number>();
  for (let pull = 1; pull <= PULLS; pull += 1) counts.set(pull, 0);
  const pullOfHead = new Map([...counts.keys()].map((pull) => [headOf(pull), pull]));
  for (const run of checkRuns.values()) {
    const pull = pullOfHead.get(run.headSha);
    if (run.completed && pull !== undefined) counts.set(pull, counts.get(pull)! + 1);
  }
  return counts;
}

function reviewedPulls(): Set<number> {
  return new Set([...completionsByPull()].filter(([, count]) => count > 0).map(([pull]) => pull));
}

/** When every pull request has a review and the queue is idle; undefined on the timeout. */
async function settle(child: Child): Promise<number | undefined> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { depth, active } = await child.stats();
    if (reviewedPulls().size === PULLS && depth === 0 && active === 0) {
      const at = Date.now();
      // One more reconciler interval: a duplicate would show up now.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return at;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

await main();
