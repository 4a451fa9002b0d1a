import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import { header, json } from '../../http.js';
import { QUEUE_RETRY_AFTER_SECONDS } from '../../queue/types.js';
import type { IntakeResult } from './app.js';
import type { JobLog } from './job.js';
import { PULL_REQUEST_ACTIONS, payloadProblem, type PullRequestPayload } from './payloads.js';

export interface GitHubWebhookDeps {
  /** Verifies signatures and runs the app's handlers. */
  probot: Probot;
  log: JobLog;
  /**
   * Takes verified `pull_request` deliveries of the actions the app reviews straight to the queue,
   * without Probot's per-event Context and Octokit (most of the cost of acknowledging a webhook).
   */
  intake?: (deliveryId: string, payload: PullRequestPayload) => Promise<IntakeResult>;
}

/** The route's handler, given the body the server has already read within its size limit. */
export type GitHubWebhookHandler = (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;

const REQUIRED_HEADERS = ['x-github-event', 'x-hub-signature-256', 'x-github-delivery'] as const;
const JSON_CONTENT = /^\s*application\/json\s*(;|$)/;
const WRONG_SIGNATURE = 'signature does not match event payload and secret';

/**
 * GitHub's webhook route (what Probot's middleware does, answered and logged here): verify the
 * signature, parse, check the fields the handlers read, then run them. A rejected delivery costs one
 * log line (delivery id, event, reason), never its payload; what is not the server's fault is never a
 * 5xx, except 503 with `Retry-After` when the queue or the delivery store cannot take the delivery, so
 * it can be redelivered.
 */
export function createGitHubWebhookHandler(deps: GitHubWebhookDeps): GitHubWebhookHandler {
  const { probot, log } = deps;
  return async (req, res, body) => {
    const [event, signature, deliveryId] = REQUIRED_HEADERS.map((name) => header(req, name));
    const fields = { deliveryId, event };
    const reject = (status: number, reason: string): void => {
      log.warn({ ...fields, status, reason }, 'GitHub webhook rejected');
      json(res, status, { error: reason });
    };
    if (!event || !signature || !deliveryId) {
      const missing = REQUIRED_HEADERS.filter((name) => !header(req, name));
      return reject(400, `required headers missing: ${missing.join(', ')}`);
    }
    if (!JSON_CONTENT.test(header(req, 'content-type') ?? ''))
      return reject(415, 'content-type must be application/json');
    if (!(await probot.webhooks.verify(body, signature).catch(() => false)))
      return reject(400, WRONG_SIGNATURE);
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return reject(400, 'body is not JSON');
    }
    const problem = payloadProblem(event, payload);
    if (problem) return reject(400, problem);

    if (
      deps.intake &&
      event === 'pull_request' &&
      PULL_REQUEST_ACTIONS.has((payload as { action: string }).action)
    ) {
      const result = await deps.intake(deliveryId, payload as PullRequestPayload);
      if (result === 'full' || result === 'unavailable') return refuse(res, `review queue ${result}`);
      return ok(res);
    }
    try {
      await probot.receive({ id: deliveryId, name: event, payload } as Parameters<Probot['receive']>[0]);
    } catch (error) {
      const failure = firstFailure(error);
      const status = failure.status ?? 500;
      const level = status === 500 ? 'error' : 'warn';
      log[level]({ ...fields, status, err: failure.message }, 'GitHub webhook handler failed');
      if (status === 503) return refuse(res, failure.message);
      return json(res, status, { error: failure.message });
    }
    return ok(res);
  };
}

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
}

/** 503 and when to come back: the delivery shows as failed in the app's settings, to be redelivered. */
function refuse(res: ServerResponse, reason: string): void {
  json(res, 503, { error: reason }, { 'retry-after': String(QUEUE_RETRY_AFTER_SECONDS) });
}

/**
 * What the handlers threw: `@octokit/webhooks` gathers them in an AggregateError (which also holds the
 * whole event, so it is never logged as is); the first one decides the answer.
 */
function firstFailure(error: unknown): { status?: number; message: string } {
  const errors = (error as { errors?: unknown } | null)?.errors;
  const first = (Array.isArray(errors) && errors.length > 0 ? errors[0] : error) as {
    status?: unknown;
    message?: unknown;
  } | null;
  const status = typeof first?.status === 'number' ? first.status : undefined;
  const message = typeof first?.message === 'string' ? first.message : String(first);
  return { ...(status === undefined ? {} : { status }), message };
}
