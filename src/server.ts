import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import {
  createNodeMiddleware,
  createProbot,
  type ApplicationFunction,
  type Logger,
  type Probot,
  type ProbotOctokit,
} from 'probot';
import { MemoryDeliveryStore, type DeliveryStore } from './idempotency.js';
import { jsonLogger } from './log.js';
import type { Metrics } from './metrics.js';
import { header, json } from './http.js';
import jitterbotApp, { pullRequestIntake, type IntakeResult } from './platforms/github/app.js';
import type { ReviewFn } from './platforms/github/job.js';
import {
  DEFAULT_GITHUB_RETRY,
  QuietRetryProbotOctokit,
  jitterbotOctokit,
} from './platforms/github/octokit.js';
import type { PullRequestPayload } from './platforms/github/payloads.js';
import { readCacheFromEnv } from './platforms/read-cache-env.js';
import type { ReadCache } from './platforms/read-cache.js';
import { createSetupHandler, type SetupHandler } from './platforms/github/setup.js';
import { errorFields } from './platforms/github/target.js';
import { createGitHubWebhookHandler } from './platforms/github/webhook.js';
import type { Platform } from './queue/job.js';
import { MemoryJobQueue } from './queue/memory.js';
import type { CloseReport, JobQueue } from './queue/types.js';
import { runReview } from './review/pipeline.js';
import {
  DEFAULT_SERVER_LIMITS,
  httpServerOptions,
  inFlightPerSource,
  serverLimitsFromEnv,
  type ServerLimits,
} from './server-limits.js';

/** A route another platform adds to the shared server (e.g. `POST /gitlab/webhook`). */
export interface Route {
  method: 'GET' | 'POST';
  /** Exact path, without query string. */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** A platform's webhook route: its requests are counted in the webhook metrics. */
  platform?: Platform;
}

export interface ServerLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface CreateServerOptions {
  /** A configured Probot; its webhooks are served at its webhook path (`/api/github/webhooks`). */
  probot?: Probot;
  /** The app loaded into `probot`; defaults to jitterbot's GitHub App with its own queue. */
  app?: ApplicationFunction;
  /** The GitHub App registration pages, served when GitHub is not configured yet. */
  setup?: SetupHandler;
  extraRoutes?: Route[];
  log: ServerLog;
  /** Why the process cannot take work right now (`GET /readyz` answers 503), or null when it can. */
  readiness?: () => Promise<string | null>;
  /** Served at `GET /metrics`; webhook requests are counted in it. */
  metrics?: Metrics;
  /** Probot's webhook path; default {@link DEFAULT_WEBHOOK_PATH}. */
  githubWebhookPath?: string;
  /** Largest request body accepted on any route; default {@link MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Timeouts and connection caps; default {@link DEFAULT_SERVER_LIMITS}. */
  limits?: ServerLimits;
  /**
   * Takes verified `pull_request` deliveries of the actions the app reviews straight to the queue,
   * without Probot's per-event Context and Octokit (most of the cost of acknowledging a webhook).
   * Other verified, well-formed deliveries go to the app's Probot handlers.
   */
  githubIntake?: (deliveryId: string, payload: PullRequestPayload) => Promise<IntakeResult>;
}

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';
export const DEFAULT_PORT = 3000;

/**
 * GitHub caps webhook payloads at 25 MB, so no request this server accepts is larger. Routes may read
 * with a lower limit of their own (the GitLab route stops at 5 MiB).
 */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/**
 * One HTTP server for every way in: `/healthz`, the routes other platforms add, GitHub's webhook route
 * (src/platforms/github/webhook.ts, which verifies `X-Hub-Signature-256` before any handler runs), and,
 * without GitHub credentials, the app registration pages. Not listening yet: call `listen`.
 */
export async function createServer(options: CreateServerOptions): Promise<Server> {
  const { log, metrics } = options;
  const routes = options.extraRoutes ?? [];
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const githubPath = options.githubWebhookPath ?? DEFAULT_WEBHOOK_PATH;
  const github = options.probot
    ? await createNodeMiddleware(options.app ?? ((app) => jitterbotApp(app)), { probot: options.probot })
    : undefined;
  const githubRoute = options.probot
    ? createGitHubWebhookHandler({
        probot: options.probot,
        log,
        ...(options.githubIntake ? { intake: options.githubIntake } : {}),
      })
    : undefined;

  const limits = options.limits ?? DEFAULT_SERVER_LIMITS;
  const admit = inFlightPerSource(limits.maxInFlightPerSource);
  const server = createHttpServer(httpServerOptions(limits), (req, res) => {
    if (!admit(req, res)) return;
    dispatch(req, res).catch((error: unknown) => {
      log.error({ method: req.method, path: pathOf(req), err: errorFields(error) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  server.maxConnections = limits.maxConnections;
  return server;

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const sameRoute = routes.filter((route) => route.path === path);
    const route = sameRoute.find((candidate) => candidate.method === req.method);
    const githubWebhook = github !== undefined && !route && path === githubPath && req.method === 'POST';
    if (metrics && (route?.platform || githubWebhook)) {
      const platform = route?.platform ?? 'github';
      const event = header(req, platform === 'github' ? 'x-github-event' : 'x-gitlab-event');
      res.once('finish', () => metrics.webhook(platform, event, res.statusCode));
    }
    // Refused before a byte is read; bodies without a declared length are bounded where they are read.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) return void payloadTooLarge(res);

    if (path === HEALTH_PATH || path === READY_PATH || path === METRICS_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void methodNotAllowed(res, 'GET, HEAD');
      if (path === HEALTH_PATH) return void json(res, 200, { status: 'ok' });
      if (path === READY_PATH) {
        const problem = options.readiness ? await options.readiness() : null;
        return void json(
          res,
          problem ? 503 : 200,
          problem ? { status: 'not ready', problem } : { status: 'ready' },
        );
      }
      if (!metrics) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      return;
    }
    if (route) return route.handler(req, res);
    if (sameRoute.length > 0) return void methodNotAllowed(res, sameRoute.map((r) => r.method).join(', '));
    if (githubWebhook && githubRoute) {
      // Probot's middleware would read the whole stream, however long; read it with the limit instead.
      const body = await readLimited(req, maxBodyBytes);
      if (body === 'too-large') return void payloadTooLarge(res);
      return githubRoute(req, res, body);
    }
    if (github && (await github(req, res))) return;
    if (options.setup && (await options.setup(req, res))) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { allow, 'content-type': 'text/plain' }).end('Method not allowed\n');
}

function payloadTooLarge(res: ServerResponse): void {
  // The rest of the body is not read: close the connection rather than drain it.
  res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('Payload too large\n');
}

/** The body as UTF-8 text, or `too-large` as soon as it passes `max` bytes. */
function readLimited(req: IncomingMessage, max: number): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** How the server treats GitHub: a configured app, the registration pages, or off. */
export type GitHubMode = 'app' | 'setup' | 'disabled';

export interface StartServerOptions {
  /** Routes of other platforms (the GitLab webhook). */
  extraRoutes?: Route[];
  /** Review queue shared with other platforms; default: a new in-process queue. */
  queue?: JobQueue;
  /** Delivery ids already handled, shared with other platforms; default: this process's memory. */
  deliveries?: DeliveryStore;
  /** Prometheus metrics, served at `/metrics` and fed by webhooks, jobs and API calls. */
  metrics?: Metrics;
  /** Content cache of the reviews this process runs; default: from the environment (`READ_CACHE*`). */
  readCache?: ReadCache;
  /** Directory holding app.yml and .env; default: the working directory. */
  cwd?: string;
  /** Read `<cwd>/.env` into `env` (keys already set win). Default: when `env` is `process.env`. */
  loadDotEnv?: boolean;
  log?: Logger;
  /** Overrides for tests. */
  Octokit?: typeof ProbotOctokit;
  review?: ReviewFn;
}

export interface RunningServer {
  server: Server;
  /** `http://host:port` the server listens on. */
  url: string;
  github: GitHubMode;
  queue: JobQueue;
  log: Logger;
  /**
   * Stops accepting requests (and answers `/readyz` with 503 meanwhile), then gives queued reviews
   * up to `deadlineMs` to finish; reports what was left.
   */
  close(deadlineMs?: number): Promise<CloseReport>;
}

/**
 * How long a stopping server waits for running reviews: under the 30 s Kubernetes gives a pod between
 * SIGTERM and SIGKILL by default (Docker gives 10 s: run it with `--stop-timeout 30`).
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * The Octokit class of every GitHub client this process makes: jittered retries (src/platforms/github/
 * octokit.ts), with failed attempts and retries counted when metrics are on.
 */
export function githubOctokit(metrics?: Metrics): typeof ProbotOctokit {
  if (!metrics) return jitterbotOctokit();
  return jitterbotOctokit(
    { ...DEFAULT_GITHUB_RETRY, sleep: metrics.retrySleep('github') },
    QuietRetryProbotOctokit.plugin(metrics.githubApiErrors()),
  );
}

/**
 * `jitterbot serve`: reads Probot's standard environment (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, WEBHOOK_PATH, PORT, HOST, LOG_LEVEL, LOG_FORMAT, GHE_HOST, GHE_PROTOCOL) and the server
 * limits (`HTTP_*`, src/server-limits.ts), and listens.
 * Without GitHub credentials it serves the app registration pages — except when NODE_ENV is
 * `production`, where GitHub is simply off, so a GitLab-only deployment needs no GitHub settings.
 */
export async function startServer(
  env: NodeJS.ProcessEnv = process.env,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const cwd = options.cwd ?? process.cwd();
  if (options.loadDotEnv ?? env === process.env) loadDotEnv(env, join(cwd, '.env'));
  // Probot's createProbot defaults to `warn`; a server should say that it started.
  const probotEnv: NodeJS.ProcessEnv = { LOG_LEVEL: 'info', ...env };
  const production = env.NODE_ENV === 'production';
  const hasCredentials = Boolean(env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH));

  let probot: Probot | undefined;
  if (hasCredentials) {
    if (!env.WEBHOOK_SECRET && production) {
      throw new Error('WEBHOOK_SECRET is not set: without it anyone could send this server webhooks.');
    }
    probot = createGitHubProbot(probotEnv, options.Octokit ?? githubOctokit(options.metrics));
  }
  const github: GitHubMode = probot ? 'app' : production ? 'disabled' : 'setup';
  const log = options.log ?? (await loggerOf(probot ?? createGitHubProbot(probotEnv, undefined, true)));
  if (probot && !env.WEBHOOK_SECRET) {
    log.warn({}, 'WEBHOOK_SECRET is not set; webhooks are verified with the development secret');
  }

  const { metrics } = options;
  const queue =
    options.queue ?? new MemoryJobQueue({ log, ...(metrics ? { observer: metrics.observer } : {}) });
  metrics?.watchQueue(queue);
  const deliveries = options.deliveries ?? new MemoryDeliveryStore();
  const review = metrics ? metrics.countFindings(options.review ?? runReview) : options.review;
  const readCache =
    options.readCache ?? readCacheFromEnv(env, metrics ? { observer: metrics.readCache } : {});
  let closing = false;
  const server = await createServer({
    log,
    extraRoutes: options.extraRoutes ?? [],
    readiness: async () => (closing ? 'shutting down' : queue.problem()),
    limits: serverLimitsFromEnv(env),
    githubWebhookPath: env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH,
    ...(metrics ? { metrics } : {}),
    ...(probot
      ? {
          probot,
          githubIntake: pullRequestIntake({ queue, deliveries, log }),
          app: (app: Probot) =>
            jitterbotApp(app, { queue, deliveries, readCache, ...(review ? { review } : {}) }),
        }
      : {}),
    ...(github === 'setup'
      ? {
          setup: createSetupHandler({ env, cwd, webhookPath: env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH, log }),
        }
      : {}),
  });

  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No HOST: every interface, which is what a container needs.
    server.listen({ port, ...(env.HOST ? { host: env.HOST } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // Listening on every interface (`::`, `0.0.0.0`) is not an address a browser opens: name localhost.
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url, github }, 'jitterbot listening');
  if (github === 'setup')
    log.info({ url: `${url}/probot` }, 'no GitHub App configured: open this page to register one');
  if (github === 'disabled')
    log.warn({}, 'no GitHub App configured (APP_ID, PRIVATE_KEY); GitHub webhooks are off');

  return {
    server,
    url,
    github,
    queue,
    log,
    async close(deadlineMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
      const started = Date.now();
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() waits for keep-alive connections to time out; idle ones can go now.
      server.closeIdleConnections();
      await closed;
      return queue.close(Math.max(0, deadlineMs - (Date.now() - started)));
    },
  };
}

/** Probot's default webhook path (also what @octokit/webhooks uses). */
export const DEFAULT_WEBHOOK_PATH = '/api/github/webhooks';

function createGitHubProbot(
  env: NodeJS.ProcessEnv,
  Octokit: typeof ProbotOctokit | undefined,
  loggerOnly = false,
): Probot {
  try {
    return createProbot({
      // Probot reads REDIS_URL too, to share GitHub API throttling between processes through Redis; a
      // Probot made only for its logger makes no API call and must not open that connection.
      env: loggerOnly ? { ...env, REDIS_URL: undefined } : env,
      overrides: {
        ...(Octokit ? { Octokit } : {}),
        ...logOverride(env),
        // Probot needs credentials even when only its logger is used (the same workaround as its own setup mode).
        ...(loggerOnly ? { appId: 1, privateKey: 'unused: no GitHub App configured' } : {}),
      },
    });
  } catch (error) {
    throw new Error(
      `GitHub App credentials are not usable (${(error as Error).message}); ` +
        'check APP_ID and PRIVATE_KEY or PRIVATE_KEY_PATH.',
      { cause: error },
    );
  }
}

function logOverride(env: NodeJS.ProcessEnv): { log?: Logger } {
  const log = jsonLogger(env);
  return log ? { log } : {};
}

/** The process logger a server would use (Probot's pino: LOG_LEVEL, LOG_FORMAT), without a server. */
export async function loggerFromEnv(env: NodeJS.ProcessEnv): Promise<Logger> {
  return loggerOf(createGitHubProbot({ LOG_LEVEL: 'info', ...env }, undefined, true));
}

/** A Probot for GitHub jobs outside a server (`jitterbot worker`): credentials from `env`, no webhooks. */
export function githubProbotFromEnv(env: NodeJS.ProcessEnv, Octokit: typeof ProbotOctokit): Probot {
  return createGitHubProbot({ LOG_LEVEL: 'info', ...env }, Octokit);
}

async function loggerOf(probot: Probot): Promise<Logger> {
  await probot.ready();
  return probot.log.child({ name: 'jitterbot' });
}

export function loadDotEnv(env: NodeJS.ProcessEnv, path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return;
  }
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (env[key] === undefined && typeof value === 'string') env[key] = value;
  }
}
