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
import jitterbotApp from './platforms/github/app.js';
import type { ReviewFn } from './platforms/github/job.js';
import { jitterbotOctokit } from './platforms/github/octokit.js';
import { createSetupHandler, type SetupHandler } from './platforms/github/setup.js';
import { errorFields } from './platforms/github/target.js';
import { ReviewQueue } from './queue.js';

/** A route another platform adds to the shared server (e.g. `POST /gitlab/webhook`). */
export interface Route {
  method: 'GET' | 'POST';
  /** Exact path, without query string. */
  path: string;
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
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
}

export const HEALTH_PATH = '/healthz';
export const DEFAULT_PORT = 3000;

/**
 * One HTTP server for every way in: `/healthz`, the routes other platforms add, Probot's webhook
 * middleware (which verifies `X-Hub-Signature-256` before any handler runs), and, without GitHub
 * credentials, the app registration pages. Not listening yet: call `listen`.
 */
export async function createServer(options: CreateServerOptions): Promise<Server> {
  const { log } = options;
  const routes = options.extraRoutes ?? [];
  const github = options.probot
    ? await createNodeMiddleware(options.app ?? ((app) => jitterbotApp(app)), { probot: options.probot })
    : undefined;

  return createHttpServer((req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      log.error({ method: req.method, path: pathOf(req), err: errorFields(error) }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (path === HEALTH_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return void methodNotAllowed(res, 'GET, HEAD');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    const sameRoute = routes.filter((route) => route.path === path);
    const route = sameRoute.find((candidate) => candidate.method === req.method);
    if (route) return route.handler(req, res);
    if (sameRoute.length > 0) return void methodNotAllowed(res, sameRoute.map((r) => r.method).join(', '));
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

/** How the server treats GitHub: a configured app, the registration pages, or off. */
export type GitHubMode = 'app' | 'setup' | 'disabled';

export interface StartServerOptions {
  /** Routes of other platforms (the GitLab webhook). */
  extraRoutes?: Route[];
  /** Review queue shared with other platforms; default: a new in-process queue. */
  queue?: ReviewQueue;
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
  queue: ReviewQueue;
  log: Logger;
  /** Stops accepting requests, then waits for queued reviews to finish. */
  close(): Promise<void>;
}

/**
 * `jitterbot serve`: reads Probot's standard environment (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, WEBHOOK_PATH, PORT, HOST, LOG_LEVEL, LOG_FORMAT, GHE_HOST, GHE_PROTOCOL) and listens.
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
    probot = createGitHubProbot(probotEnv, options.Octokit ?? jitterbotOctokit());
  }
  const github: GitHubMode = probot ? 'app' : production ? 'disabled' : 'setup';
  const log = options.log ?? (await loggerOf(probot ?? createGitHubProbot(probotEnv, undefined, true)));
  if (probot && !env.WEBHOOK_SECRET) {
    log.warn({}, 'WEBHOOK_SECRET is not set; webhooks are verified with the development secret');
  }

  const queue =
    options.queue ??
    new ReviewQueue({
      onError: (key, error) => log.error({ key, err: errorFields(error) }, 'review job failed'),
    });
  const server = await createServer({
    log,
    extraRoutes: options.extraRoutes ?? [],
    ...(probot
      ? {
          probot,
          app: (app: Probot) =>
            jitterbotApp(app, { queue, ...(options.review ? { review: options.review } : {}) }),
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
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
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
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // close() waits for keep-alive connections to time out; idle ones can go now.
      server.closeIdleConnections();
      await closed;
      await queue.onIdle();
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
      env,
      overrides: {
        ...(Octokit ? { Octokit } : {}),
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
