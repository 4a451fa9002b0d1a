/**
 * `npm run bench:server`: webhook acknowledgements while real reviews run, on 127.0.0.1 only. 1,000
 * signed GitHub `pull_request.synchronize` webhooks (100 pull requests × 10 pushes), each delivered
 * twice (the second time as a redelivery, same delivery id), at concurrency 50 against `jitterbot serve`
 * with the in-process queue — Probot signature checks, delivery idempotency, the queue — whose reviews
 * are the real pipeline: each reads its pull request from a stand-in GitHub (bench/server/github-child.ts,
 * fixtures/example-service as the repository, three files added per pull request), analyses, and
 * posts. The load comes from autocannon (a closed loop over 50 keep-alive connections).
 *
 * Twice, side by side: the analysis on the web process's event loop (`REVIEW_THREADS=0`, as before
 * worker threads), then on worker threads (`REVIEW_THREADS` unset: every core but one). Prints ack
 * latency p50/p99, the longest turn of the web process's event loop, reviews run, duplicates, lost
 * deliveries and peak RSS.
 *
 * Targets: ack p99 < 50 ms; every acknowledged delivery covered by exactly one review (none lost,
 * none reviewed twice — a redelivery shares its original's id, so one that did work shows up twice).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { reviewThreadsFromEnv } from '../src/review/pool.js';
import { cpuMeter } from './server/cpu.js';
import { CLOSED_FROM, type ChildMessage, type Review } from './server/protocol.js';

const PULLS = 100;
const PUSHES = 10;
/** Every delivery is sent twice: the second time, a redelivery (same delivery id) that must do nothing. */
const DELIVERIES = PULLS * PUSHES;
const REQUESTS = DELIVERIES * 2;
/** How many requests later a delivery comes again: its first answer is in by then. */
const REDELIVERY_GAP = 100;
const CONCURRENCY = 50;
const TARGET_P99_MS = 50;
/**
 * Webhooks sent first, and the queue left to drain, before the measured burst: V8 needs about this many
 * to finish optimising the request path. They are for closed pull requests, whose reviews stop at the
 * first API call, except the first {@link WARM_REVIEWS}, which are real reviews that load and warm the
 * analysis wherever it runs. Their ack latency is printed apart, as the figure of a fresh process.
 */
const WARMUP = 2_000;
const WARM_REVIEWS = 4;
const DRAIN_TIMEOUT_MS = 300_000;
const SECRET = 'bench-webhook-secret';
const OWNER = 'bench-org';
const REPO = 'service';

const fixture = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../fixtures/github/webhooks/pull_request.synchronize.json', import.meta.url)),
    'utf8',
  ),
) as {
  pull_request: Record<string, unknown> & { head: Record<string, unknown> };
  repository: Record<string, unknown>;
};

interface Delivery {
  id: string;
  body: string;
  signature: string;
  target: string;
}

function sha(pull: number, push: number): string {
  return `${String(pull).padStart(8, '0')}${String(push).padStart(32, '0')}`;
}

function signed(repo: string, pull: number, push: number): Delivery {
  const payload = {
    ...fixture,
    action: 'synchronize',
    number: pull,
    pull_request: {
      ...fixture.pull_request,
      number: pull,
      head: { ...fixture.pull_request.head, sha: sha(pull, push) },
    },
    repository: { ...fixture.repository, name: repo, full_name: `${OWNER}/${repo}`, owner: { login: OWNER } },
  };
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return { id: randomUUID(), body, signature, target: `${OWNER}/${repo}#${pull}@${sha(pull, push)}` };
}

/**
 * Push k of every pull request before push k+1 of any; each delivery comes again
 * {@link REDELIVERY_GAP} requests later, as GitHub's redelivery of a delivery already answered.
 */
function deliveries(): Delivery[] {
  const originals: Delivery[] = [];
  for (let push = 1; push <= PUSHES; push += 1)
    for (let pull = 1; pull <= PULLS; pull += 1) originals.push(signed(REPO, pull, push));
  const list: Delivery[] = [];
  for (const [index, delivery] of originals.entries()) {
    list.push(delivery);
    if (index >= REDELIVERY_GAP) list.push(originals[index - REDELIVERY_GAP]!);
  }
  list.push(...originals.slice(-REDELIVERY_GAP));
  return list;
}

function warmup(): Delivery[] {
  return Array.from({ length: WARMUP }, (_, index) =>
    signed('warmup', index < WARM_REVIEWS ? PULLS + 1 + index : CLOSED_FROM + index, 1),
  );
}

interface Child {
  process: ChildProcess;
  reviewed: Review[];
  ready: Promise<string | undefined>;
  request(kind: 'stats'): Promise<Extract<ChildMessage, { kind: 'stats' }>>;
}

function start(script: string, env: Record<string, string>): Child {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const reviewed: Review[] = [];
  let onReady!: (url: string | undefined) => void;
  const ready = new Promise<string | undefined>((resolve) => (onReady = resolve));
  let onStats: ((message: Extract<ChildMessage, { kind: 'stats' }>) => void) | undefined;
  child.on('message', (message: ChildMessage) => {
    if (message.kind === 'ready') onReady(message.url);
    if (message.kind === 'reviewed') reviewed.push(message.review);
    if (message.kind === 'stats') onStats?.(message);
  });
  return {
    process: child,
    reviewed,
    ready,
    request: () =>
      new Promise((resolve) => {
        onStats = resolve;
        child.send({ kind: 'stats' });
      }),
  };
}

async function stop(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.send({ kind: 'stop' });
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.process.exitCode === null) child.process.kill('SIGKILL');
}

/**
 * Sends every entry of `list` once, in order, over CONCURRENCY keep-alive connections (autocannon: a closed
 * loop whose own cost is small next to fetch's, so the server is what is measured).
 */
async function load(url: string, list: Delivery[]): Promise<Run> {
  const statuses = new Map<number, number>();
  const acked = new Set<Delivery>();
  /** (delivery index, ms from being prepared to answered), for the established-connection figures. */
  const timings: [number, number][] = [];
  /** Requests prepared before the first answer: one per connection, sent as the connections open. */
  let opening: number | undefined;
  let next = 0;
  let started: number | undefined;
  let lastAnswer = 0;
  const result = await autocannon({
    url,
    connections: CONCURRENCY,
    amount: list.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/github/webhooks',
        setupRequest: (request, context) => {
          // autocannon prepares some requests it never sends (one per connection at the end, one
          // when it starts): which deliveries were acknowledged is recorded from the responses.
          const delivery = list[Math.min(next++, list.length - 1)]!;
          context.delivery = delivery;
          context.sent = performance.now();
          started ??= context.sent as number;
          context.index = next - 1;
          return {
            ...request,
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'pull_request',
              'x-github-delivery': delivery.id,
              'x-hub-signature-256': delivery.signature,
            },
            body: delivery.body,
          };
        },
        onResponse: (status, _body, context) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 200) acked.add(context.delivery as Delivery);
          lastAnswer = performance.now();
          timings.push([context.index as number, lastAnswer - (context.sent as number)]);
          opening ??= next;
        },
      },
    ],
  });
  if (process.env.BENCH_TRACE) {
    const worst = [...timings].sort((a, b) => b[1] - a[1]).slice(0, 30);
    process.stderr.write(
      `slowest (index, ms): ${JSON.stringify(worst.map(([i, ms]) => [i, Math.round(ms)]))}\n`,
    );
  }
  // Each connection's first request also waits for its connection to open, all 100 at once: the rest
  // are reported apart, as the latency of webhooks on established connections.
  const established = timings
    .filter(([index]) => index >= (opening ?? CONCURRENCY))
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  return {
    steadyP50: percentile(established, 50),
    steadyP99: percentile(established, 99),
    seconds: (lastAnswer - (started ?? lastAnswer)) / 1000,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    acked,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface Run {
  /** Wall-clock time from the first request to the last answer. */
  seconds: number;
  steadyP50: number;
  steadyP99: number;
  p50: number;
  p90: number;
  p99: number;
  statuses: Map<number, number>;
  errors: number;
  /** Deliveries answered 200 (each at most once; redeliveries share their original's entry). */
  acked: Set<Delivery>;
  /** CPU each process used (all its threads) while the load ran. */
  cpuMs?: Record<string, number>;
  /** The web process's longest event-loop stall while the load ran. */
  serveStallMs?: number;
  /** Reviews that finished while the load ran. */
  reviewsDuringLoad?: number;
}

interface Result {
  mode: string;
  /** Ack latency of the warm-up webhooks (established connections): a freshly started process. */
  cold: { p50: number; p99: number };
  seconds: number;
  steadyP50: number;
  steadyP99: number;
  p50: number;
  p90: number;
  p99: number;
  statuses: string;
  reviews: number;
  reviewsDuringLoad: number;
  posted: number;
  duplicates: number;
  lost: number;
  rssMb: number;
  cpuMs: Record<string, number>;
  serveStallMs: number;
  ok: boolean;
}

function judge(mode: string, cold: Run, run: Run, reviewed: Review[], posted: number, rssMb: number): Result {
  const measured = reviewed.filter((review) => review.target.startsWith(`${OWNER}/${REPO}#`));
  // Per delivery id, the reviews that covered it (a run covers every delivery merged into its job).
  const coverage = new Map<string, number>();
  for (const review of measured)
    for (const id of review.deliveryIds)
      coverage.set(id, (coverage.get(id) ?? 0) + (review.alreadyReviewed ? 0 : 1));
  const duplicates = [...coverage.values()].filter((count) => count > 1).length;
  // Lost: a delivery answered 200 that no review covered.
  const lost = [...run.acked].filter((delivery) => !coverage.has(delivery.id)).length;
  const statuses =
    [...run.statuses].map(([status, count]) => `${status}×${count}`).join(' ') +
    (run.errors ? ` errors×${run.errors}` : '');
  return {
    mode,
    cold: { p50: cold.steadyP50, p99: cold.steadyP99 },
    seconds: run.seconds,
    steadyP50: run.steadyP50,
    steadyP99: run.steadyP99,
    p50: run.p50,
    p90: run.p90,
    p99: run.p99,
    statuses,
    reviews: measured.filter((review) => !review.alreadyReviewed).length,
    reviewsDuringLoad: run.reviewsDuringLoad ?? 0,
    posted,
    duplicates,
    lost,
    rssMb,
    cpuMs: run.cpuMs ?? {},
    serveStallMs: run.serveStallMs ?? Number.NaN,
    ok: run.steadyP99 < TARGET_P99_MS && duplicates === 0 && lost === 0 && run.statuses.get(200) === REQUESTS,
  };
}

function appEnv(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  // As deployed (the Docker image sets LOG_FORMAT=json): pretty-printing logs costs more than the webhook.
  return {
    APP_ID: '1',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    // No GitHub to reconcile against: the benchmark measures webhooks only.
    RECONCILE: 'off',
  };
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let quiet = 0;
  // Quiet three polls in a row, so a job between two states does not look like an empty queue.
  while (quiet < 3) {
    if (Date.now() > deadline) throw new Error('the queue did not drain in time');
    quiet = (await condition()) ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function measure(mode: string, threads: string, list: Delivery[]): Promise<Result> {
  const github = start('./server/github-child.ts', {});
  const githubHost = (await github.ready)!;
  const serve = start('./server/serve-child.ts', {
    ...appEnv(),
    GHE_HOST: githubHost,
    GHE_PROTOCOL: 'http',
    REVIEW_THREADS: threads,
  });
  const url = (await serve.ready)!;
  const idle = async () => {
    const stats = await serve.request('stats');
    return stats.depth + stats.active === 0;
  };
  try {
    const cold = await load(url, warmup());
    await until(idle);
    await serve.request('stats');
    const ran = () => serve.reviewed.filter((review) => !review.alreadyReviewed).length;
    const before = ran();
    const cpu = cpuMeter({ 'load generator': process.pid, web: serve.process.pid! });
    const run = await load(url, list);
    run.cpuMs = cpu();
    run.serveStallMs = (await serve.request('stats')).maxLoopDelayMs;
    run.reviewsDuringLoad = ran() - before;
    await until(idle);
    const { peakRssMb } = await serve.request('stats');
    const { posted } = await github.request('stats');
    return judge(mode, cold, run, serve.reviewed, posted ?? 0, peakRssMb);
  } finally {
    await Promise.all([stop(serve), stop(github)]);
  }
}

function print(results: Result[]): void {
  const rows: [string, (result: Result) => string][] = [
    ['ack p50 / p99, all (autocannon)', (r) => `${r.p50.toFixed(0)} / ${r.p99.toFixed(0)} ms`],
    [
      `ack p50 / p99, established connections (target p99 < ${TARGET_P99_MS} ms)`,
      (r) => `${r.steadyP50.toFixed(1)} / ${r.steadyP99.toFixed(1)} ms`,
    ],
    [
      `ack p50 / p99, the ${WARMUP} warm-up webhooks`,
      (r) => `${r.cold.p50.toFixed(1)} / ${r.cold.p99.toFixed(1)} ms`,
    ],
    ['longest turn of the web event loop during the load', (r) => `${r.serveStallMs.toFixed(0)} ms`],
    ['statuses', (r) => r.statuses],
    ['answered in', (r) => `${r.seconds.toFixed(2)} s (${(REQUESTS / r.seconds).toFixed(0)}/s)`],
    ['reviews during the load / in all', (r) => `${r.reviewsDuringLoad} / ${r.reviews}`],
    ['reviews posted to the stand-in GitHub', (r) => String(r.posted)],
    ['deliveries reviewed twice / lost', (r) => `${r.duplicates} / ${r.lost}`],
    [
      'web process CPU per webhook during the load',
      (r) => `${(((r.cpuMs.web ?? Number.NaN) * 1000) / REQUESTS).toFixed(0)} µs`,
    ],
    ['peak RSS of the web process', (r) => `${r.rssMb.toFixed(0)} MB`],
    ['', (r) => (r.ok ? 'OK' : 'MISSED TARGET')],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const columns = results.map((result) =>
    Math.max(result.mode.length, ...rows.map(([, cell]) => cell(result).length)),
  );
  const line = (name: string, cells: string[]) =>
    `${name.padEnd(width)}  ${cells.map((cell, index) => cell.padEnd(columns[index]!)).join('  ')}`.trimEnd();
  process.stdout.write(
    [
      line(
        '',
        results.map((result) => result.mode),
      ),
      ...rows.map(([name, cell]) => line(name, results.map(cell))),
    ].join('\n') + '\n',
  );
}

const list = deliveries();
const threads = reviewThreadsFromEnv(process.env);
process.stdout.write(
  `${REQUESTS} signed webhooks (${PULLS} pull requests × ${PUSHES} pushes, each delivered twice), concurrency ${CONCURRENCY}, 127.0.0.1, ${availableParallelism()} cores, after ${WARMUP} warm-up webhooks and a drained queue; real reviews against a stand-in GitHub\n\n`,
);
const results = [
  await measure('analysis on the event loop', '0', list),
  await measure(`analysis on ${threads} worker thread${threads === 1 ? '' : 's'}`, String(threads), list),
];
print(results);
process.exitCode = results[1]!.ok ? 0 : 1;
