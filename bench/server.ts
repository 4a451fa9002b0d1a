/**
 * `npm run bench:server`: webhook intake under load, on 127.0.0.1 only. 2,000 signed GitHub
 * `pull_request.synchronize` webhooks (450 pull requests × 4 pushes, plus 200 redeliveries of earlier
 * ones) at concurrency 100 against the real server — Probot signature checks, delivery idempotency,
 * the queue — with a counting stand-in for the review that records (repo, PR, deliveries covered) and
 * takes 5 ms.
 * The load comes from autocannon (a closed loop over 100 keep-alive connections).
 * Twice: the in-process queue, then Redis with two `jitterbot worker` processes (when redis-server is
 * on PATH). Prints ack latency p50/p99, reviews run, duplicates, lost deliveries and peak RSS.
 *
 * Targets: ack p99 < 50 ms; every acknowledged delivery covered by exactly one review (none lost,
 * none reviewed twice — a redelivery shares its original's id, so one that did work shows up twice).
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createServer as createNetServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { RedisJobQueue, connectRedis, redisConnection } from '../src/queue/redis.js';
import { cpuMeter } from './server/cpu.js';
import type { ChildMessage, Review } from './server/protocol.js';

const REQUESTS = 2_000;
const CONCURRENCY = 100;
const PULLS = 450;
const PUSHES = 4;
/** The rest of the 2,000 are redeliveries (same delivery id) of earlier webhooks: they must do nothing. */
const REDELIVERIES = REQUESTS - PULLS * PUSHES;
const TARGET_P99_MS = 50;
/**
 * Webhooks to other pull requests sent first, and the queue left to drain, before the measured burst.
 * V8 needs about this many to finish optimising the request path: after only 300, its compiler thread
 * was still busy through the whole measured run (a quarter of a second of CPU on a 2-core machine).
 * Their ack latency is printed apart, as the figure of a freshly started process.
 */
const WARMUP = 2_000;
const DRAIN_TIMEOUT_MS = 120_000;
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

/** Push k of every pull request before push k+1 of any: one PR's pushes are never in flight together. */
function deliveries(): Delivery[] {
  const list: Delivery[] = [];
  for (let push = 1; push <= PUSHES; push += 1) {
    for (let pull = 1; pull <= PULLS; pull += 1) {
      const payload = {
        ...fixture,
        action: 'synchronize',
        number: pull,
        pull_request: {
          ...fixture.pull_request,
          number: pull,
          head: { ...fixture.pull_request.head, sha: sha(pull, push) },
        },
        repository: {
          ...fixture.repository,
          name: REPO,
          full_name: `${OWNER}/${REPO}`,
          owner: { login: OWNER },
        },
      };
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      list.push({ id: randomUUID(), body, signature, target: `${OWNER}/${REPO}#${pull}@${sha(pull, push)}` });
    }
  }
  // Redeliveries of first pushes, spread through the later pushes: acting on one would move its pull
  // request back to an old head, so a redelivery that does work shows up as a lost review.
  const stride = Math.floor((list.length - PULLS) / REDELIVERIES);
  const redelivered = Array.from({ length: REDELIVERIES }, (_, index) => list[(index * 2) % PULLS]!);
  for (const [index, delivery] of redelivered.entries())
    list.splice(PULLS + index * (stride + 1), 0, delivery);
  return list;
}

/** Pull requests numbered after the measured ones; their reviews are not counted. */
function warmup(): Delivery[] {
  return Array.from({ length: WARMUP }, (_, index) => {
    const pull = 100_000 + index;
    const payload = {
      ...fixture,
      action: 'synchronize',
      number: pull,
      pull_request: { ...fixture.pull_request, number: pull },
      repository: {
        ...fixture.repository,
        name: 'warmup',
        full_name: `${OWNER}/warmup`,
        owner: { login: OWNER },
      },
    };
    const body = JSON.stringify(payload);
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    return { id: randomUUID(), body, signature, target: `${OWNER}/warmup#${pull}` };
  });
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
 * Sends every delivery once, in order, over CONCURRENCY keep-alive connections (autocannon: a closed
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
  duplicates: number;
  lost: number;
  rss: string;
  cpuMs: Record<string, number>;
  serveStallMs: number;
  ok: boolean;
}

function judge(mode: string, cold: Run, run: Run, reviewed: Review[], rss: string): Result {
  const measured = reviewed.filter((review) => review.target.startsWith(`${OWNER}/${REPO}#`));
  // Per delivery id, the reviews that covered it (a run covers every delivery merged into its job).
  const coverage = new Map<string, number>();
  for (const review of measured)
    for (const id of review.deliveryIds) coverage.set(id, (coverage.get(id) ?? 0) + 1);
  const duplicates = [...coverage.values()].filter((count) => count > 1).length;
  // Lost: a delivery answered 200 that no review covered.
  const lostDeliveries = [...run.acked].filter((delivery) => !coverage.has(delivery.id));
  const lost = lostDeliveries.length;
  if (process.env.BENCH_TRACE) {
    for (const delivery of lostDeliveries) {
      const pull = delivery.target.split('@')[0]!;
      const runs = measured.filter((review) => review.target === pull).length;
      process.stderr.write(`lost ${delivery.target} (${delivery.id}); ${runs} reviews of ${pull}\n`);
    }
  }
  const unsent = PULLS * PUSHES - new Set([...run.acked].map((delivery) => delivery.target)).size;
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
    statuses: unsent > 0 ? `${statuses}; ${unsent} pushes not sent by the load generator` : statuses,
    reviews: measured.length,
    duplicates,
    lost,
    rss,
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

async function inProcess(list: Delivery[]): Promise<Result> {
  const serve = start('./server/serve-child.ts', appEnv());
  const url = (await serve.ready)!;
  const cold = await load(url, warmup());
  await until(async () => {
    const stats = await serve.request('stats');
    return stats.depth + stats.active === 0;
  });
  await serve.request('stats');
  const cpu = cpuMeter({ 'load generator': process.pid, web: serve.process.pid! });
  const run = await load(url, list);
  run.cpuMs = cpu();
  run.serveStallMs = (await serve.request('stats')).maxLoopDelayMs;
  await until(async () => {
    const stats = await serve.request('stats');
    return stats.depth + stats.active === 0;
  });
  const { peakRssMb } = await serve.request('stats');
  await stop(serve);
  return judge('in-process queue', cold, run, serve.reviewed, `serve ${peakRssMb.toFixed(0)} MB`);
}

async function withRedis(list: Delivery[]): Promise<Result | string> {
  const redisServer = await startRedis();
  if (typeof redisServer === 'string') return redisServer;
  try {
    const env = { ...appEnv(), REDIS_URL: redisServer.url };
    const workers = [start('./server/worker-child.ts', env), start('./server/worker-child.ts', env)];
    await Promise.all(workers.map((worker) => worker.ready));
    const serve = start('./server/serve-child.ts', env);
    const url = (await serve.ready)!;
    const admin = redisConnection(redisServer.url, 'producer');
    await connectRedis(admin);
    const view = new RedisJobQueue(admin);
    const drained = async () => {
      const counts = await view.counts();
      const pending = await admin.keys('jitterbot:pending:*');
      const lengths = await Promise.all(pending.map((key) => admin.llen(key)));
      return counts.waiting + counts.active + counts.delayed === 0 && lengths.every((length) => length === 0);
    };
    const cold = await load(url, warmup());
    await until(drained);
    await serve.request('stats');
    const cpu = cpuMeter({
      'load generator': process.pid,
      web: serve.process.pid!,
      'worker 1': workers[0]!.process.pid!,
      'worker 2': workers[1]!.process.pid!,
      'redis-server': redisServer.pid,
    });
    const run = await load(url, list);
    run.cpuMs = cpu();
    run.serveStallMs = (await serve.request('stats')).maxLoopDelayMs;
    await until(drained);
    await view.close(0);
    admin.disconnect();
    const stats = await Promise.all([serve, ...workers].map((child) => child.request('stats')));
    const [serveRss, ...workerRss] = stats.map((entry) => entry.peakRssMb);
    await Promise.all([serve, ...workers].map(stop));
    const reviewed = workers.flatMap((worker) => worker.reviewed);
    const perWorker = workers
      .map((worker) => worker.reviewed.filter((review) => review.target.includes(`/${REPO}#`)).length)
      .join('+');
    const result = judge(
      'Redis, two workers',
      cold,
      run,
      reviewed,
      `serve ${serveRss!.toFixed(0)} MB, workers ${workerRss.map((mb) => mb.toFixed(0)).join(' / ')} MB`,
    );
    return { ...result, mode: `${result.mode} (${perWorker})` };
  } finally {
    redisServer.stop();
  }
}

async function startRedis(): Promise<{ url: string; pid: number; stop: () => void } | string> {
  const port = await new Promise<number>((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const address = probe.address() as { port: number };
      probe.close(() => resolve(address.port));
    });
  });
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const failed = await new Promise<string | null>((resolve) => {
    server.once('error', () =>
      resolve('redis-server is not on PATH (apt-get install redis-server): Redis run skipped'),
    );
    const deadline = Date.now() + 10_000;
    const poll = () => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(null);
      });
      socket.once('error', () =>
        Date.now() > deadline ? resolve('redis-server did not start') : setTimeout(poll, 50),
      );
    };
    poll();
  });
  if (failed) {
    server.kill();
    return failed;
  }
  return { url: `redis://127.0.0.1:${port}`, pid: server.pid!, stop: () => server.kill() };
}

function print(result: Result): void {
  process.stdout.write(
    [
      `${result.mode}:`,
      `  ack latency, all ${REQUESTS} (autocannon): p50 ${result.p50.toFixed(0)} ms, p90 ${result.p90.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms`,
      `  ack latency on established connections (all but each connection's first): p50 ${result.steadyP50.toFixed(1)} ms, p99 ${result.steadyP99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms)`,
      `  freshly started (the ${WARMUP} warm-up webhooks, established connections): p50 ${result.cold.p50.toFixed(1)} ms, p99 ${result.cold.p99.toFixed(1)} ms`,
      `  statuses ${result.statuses}; ${REQUESTS} answered in ${result.seconds.toFixed(2)} s (${(REQUESTS / result.seconds).toFixed(0)} webhooks/s)`,
      `  reviews run ${result.reviews} for ${PULLS * PUSHES} pushes (+${REDELIVERIES} redeliveries); deliveries reviewed twice ${result.duplicates}; lost ${result.lost}`,
      `  web process while answering: CPU ${(((result.cpuMs.web ?? Number.NaN) * 1000) / REQUESTS).toFixed(0)} µs per webhook, longest turn of its event loop ${result.serveStallMs.toFixed(0)} ms`,
      `  CPU during the load (${(result.seconds * 1000).toFixed(0)} ms on ${availableParallelism()} cores): ${Object.entries(
        result.cpuMs,
      )
        .map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`)
        .join(', ')}`,
      `  peak RSS ${result.rss}`,
      `  ${result.ok ? 'OK' : 'MISSED TARGET'}`,
      '',
    ].join('\n'),
  );
}

const list = deliveries();
process.stdout.write(
  `${list.length} signed webhooks (${PULLS} pull requests × ${PUSHES} pushes + ${REDELIVERIES} redeliveries), concurrency ${CONCURRENCY}, 127.0.0.1, after ${WARMUP} warm-up webhooks and a drained queue; stand-in review records (repo, PR, deliveries covered)\n\n`,
);
const results: Result[] = [await inProcess(list)];
print(results[0]!);
const redis = await withRedis(list);
if (typeof redis === 'string') process.stdout.write(`Redis: ${redis}\n`);
else {
  results.push(redis);
  print(redis);
}
process.exitCode = results.every((result) => result.ok) ? 0 : 1;
