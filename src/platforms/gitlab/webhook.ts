import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReviewQueue } from '../../queue.js';
import type { GitlabApi } from './client.js';
import { decideGitlabEvent } from './events.js';
import type { Log } from './log.js';
import {
  combineRequests,
  runGitlabReviewJob,
  type GitlabJobDeps,
  type GitlabReviewRequest,
} from './review-job.js';
import { SeenDeliveries } from './seen-deliveries.js';

/**
 * Largest webhook body read. GitLab's merge request and note payloads are a few kilobytes; the limit
 * only stops a client that streams without end.
 */
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

export interface GitlabWebhookDeps {
  /** The webhook's "Secret token", sent back by GitLab in `X-Gitlab-Token`. */
  secret: string;
  queue: Pick<ReviewQueue, 'enqueue'>;
  /** API client for a project, from its web URL; null when the project is not on the configured instance. */
  clientFor(projectUrl?: string): GitlabApi | null;
  log: Log;
  /** The bot account's username; without it the token's user is looked up when needed. */
  botUsername?: string;
  maxBodyBytes?: number;
  seen?: SeenDeliveries;
  /** Review job options (the pipeline, read budget, waits), mainly for tests. */
  job?: Pick<GitlabJobDeps, 'review' | 'readBudget' | 'prepareWait'>;
}

export type GitlabWebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The `POST /gitlab/webhook` route: verify the secret token before reading the body, parse, decide,
 * enqueue, answer. GitLab waits at most 10 s and permanently disables a webhook that answers 4xx, so
 * events the bot does not handle get a 200, and a review never runs inside the request.
 */
export function createGitlabWebhookHandler(deps: GitlabWebhookDeps): GitlabWebhookHandler {
  if (deps.secret === '') throw new Error('GitLab webhook secret must not be empty');
  const expected = digest(deps.secret);
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const seen = deps.seen ?? new SeenDeliveries();
  const { log } = deps;
  /** Requests of merge requests whose job is queued and not started; merged when deliveries coalesce. */
  const waiting = new Map<string, GitlabReviewRequest>();
  /** The last run per merge request. */
  const running = new Map<string, Promise<void>>();

  /**
   * Runs of one merge request never overlap: two concurrent runs would both see no earlier comment and
   * both post it. (The queue coalesces waiting jobs but may start a job while another with its key runs.)
   */
  async function oneAtATime(key: string, run: () => Promise<void>): Promise<void> {
    const previous = running.get(key) ?? Promise.resolve();
    const current = previous.then(run);
    const settled = current.catch(() => undefined);
    running.set(key, settled);
    try {
      await current;
    } finally {
      if (running.get(key) === settled) running.delete(key);
    }
  }

  return async (req, res) => {
    const event = header(req, 'x-gitlab-event') ?? '';
    const deliveryId =
      header(req, 'idempotency-key') ??
      header(req, 'x-gitlab-event-uuid') ??
      header(req, 'x-gitlab-webhook-uuid');
    const fields = { deliveryId, event };
    try {
      if (req.method !== 'POST') return reply(res, 405, 'method not allowed', { allow: 'POST' });
      const token = header(req, 'x-gitlab-token');
      if (token === undefined || !timingSafeEqual(digest(token), expected)) {
        log.warn(fields, 'GitLab webhook rejected: missing or wrong secret token');
        return reply(res, 401, 'invalid token', { connection: 'close' });
      }

      const body = await readBody(req, maxBodyBytes);
      if (body === 'too-large') {
        log.warn({ ...fields, maxBodyBytes }, 'GitLab webhook rejected: body too large');
        return reply(res, 413, 'payload too large', { connection: 'close' });
      }
      let payload: unknown;
      try {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? JSON.parse(body.toString()) : body;
      } catch {
        log.warn(fields, 'GitLab webhook rejected: body is not JSON');
        return reply(res, 400, 'body is not JSON');
      }

      const keys = deliveryKeys(req, event, payload);
      if (keys.some((key) => seen.has(key))) {
        log.info(fields, 'GitLab delivery already received; ignored');
        return reply(res, 200, 'duplicate delivery');
      }

      const decision = decideGitlabEvent(
        event,
        payload,
        deps.botUsername ? { botUsername: deps.botUsername } : {},
      );
      if (decision.kind === 'ignore') {
        keys.forEach((key) => seen.add(key));
        log.info({ ...fields, reason: decision.reason }, 'GitLab event ignored');
        return reply(res, 200, `ignored: ${decision.reason}`);
      }
      const { project, mrIid } = decision;
      const mrFields = { ...fields, project: project.path, projectId: project.id, mr: mrIid };
      const api = deps.clientFor(project.webUrl);
      if (!api) {
        keys.forEach((key) => seen.add(key));
        log.warn(
          { ...mrFields, projectUrl: project.webUrl },
          'GitLab event from a project outside the configured instance',
        );
        return reply(res, 200, 'ignored: project not on the configured GitLab instance');
      }

      const request: GitlabReviewRequest = {
        deliveryIds: deliveryId ? [deliveryId] : [],
        project,
        mrIid,
        reasons: decision.kind === 'review' ? [decision.reason] : [],
        rescans: decision.kind === 'rescan' ? [decision.command] : [],
      };
      const key = `gitlab:${project.id}!${mrIid}`;
      const before = waiting.get(key);
      waiting.set(key, before ? combineRequests(before, request) : request);
      const queued = deps.queue.enqueue(key, () =>
        oneAtATime(key, async () => {
          // Taken only once the previous run of this merge request is over, so deliveries that came
          // meanwhile are part of this run (and a later job for the same key finds nothing left).
          const merged = waiting.get(key);
          waiting.delete(key);
          if (merged) await runGitlabReviewJob(merged, { api, log, ...optional(deps), ...deps.job });
        }),
      );
      if (queued === 'full') {
        if (before) waiting.set(key, before);
        else waiting.delete(key);
        log.error(mrFields, 'review queue full; GitLab delivery refused');
        return reply(res, 503, 'queue full', { 'retry-after': '60' });
      }
      keys.forEach((key) => seen.add(key));
      log.info({ ...mrFields, decision: decision.kind, queue: queued }, 'GitLab review queued');
      return reply(res, 202, 'queued');
    } catch (error) {
      log.error({ ...fields, error: (error as Error).message }, 'GitLab webhook handler failed');
      if (!res.headersSent) reply(res, 500, 'internal error');
    }
  };
}

function optional(deps: GitlabWebhookDeps): Pick<GitlabJobDeps, 'botUsername'> {
  return deps.botUsername ? { botUsername: deps.botUsername } : {};
}

/**
 * Identities under which a delivery counts as seen. `Idempotency-Key` (GitLab 17.4+) stays the same
 * across retries and "Resend request". `X-Gitlab-Event-UUID` (14.8+) is shared by every hook one event
 * fires, so with the event and object it also catches the same event arriving through a project hook
 * and a group hook.
 */
function deliveryKeys(req: IncomingMessage, event: string, payload: unknown): string[] {
  const keys: string[] = [];
  const idempotencyKey = header(req, 'idempotency-key');
  if (idempotencyKey) keys.push(`idempotency:${idempotencyKey}`);
  const eventUuid = header(req, 'x-gitlab-event-uuid');
  if (eventUuid) {
    const attributes = (payload as { object_attributes?: { id?: unknown; action?: unknown } } | null)
      ?.object_attributes;
    keys.push(
      `event:${eventUuid}:${event}:${String(attributes?.id ?? '')}:${String(attributes?.action ?? '')}`,
    );
  }
  return keys;
}

/** Hashing both sides gives equal-length inputs, so neither the comparison nor its length leaks the secret. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/**
 * The body, up to `max` bytes. A framework that already parsed it (an Express body parser mounted
 * before this route) leaves it on `req.body`; that is used as is.
 */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer | string | object | 'too-large'> {
  const preParsed = (req as IncomingMessage & { body?: unknown }).body;
  if (preParsed !== undefined && req.readableEnded) return preParsed as Buffer | string | object;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return 'too-large';
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
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function reply(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}
