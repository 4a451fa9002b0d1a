import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MemoryDeliveryStore, confirmInBackground, type DeliveryStore } from '../../idempotency.js';
import { QUEUE_RETRY_AFTER_SECONDS, type JobQueue } from '../../queue/types.js';
import type { GitlabApi } from './client.js';
import { decideGitlabEvent } from './events.js';
import type { Log } from './log.js';
import type { GitlabReviewJob, GitlabReviewRequest } from './job-kind.js';
import { gitlabJobRunner, type GitlabJobDeps } from './review-job.js';

/**
 * Largest webhook body read. GitLab's merge request and note payloads are a few kilobytes; the limit
 * only stops a client that streams without end.
 */
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

export interface GitlabWebhookDeps {
  /** The webhook's "Secret token", sent back by GitLab in `X-Gitlab-Token`. */
  secret: string;
  /** Where reviews go; the handler also tells it how this process runs GitLab jobs. */
  queue: Pick<JobQueue, 'enqueue' | 'handle'>;
  /** API client for a project, from its web URL; null when the project is not on the configured instance. */
  clientFor(projectUrl?: string): GitlabApi | null;
  log: Log;
  /** The bot account's username; without it the token's user is looked up when needed. */
  botUsername?: string;
  maxBodyBytes?: number;
  /** Delivery ids already handled (default: this process's memory). */
  deliveries?: DeliveryStore;
  /** Review job options (the pipeline, read budget, waits), mainly for tests. */
  job?: Pick<GitlabJobDeps, 'review' | 'readBudget' | 'readCache' | 'prepareWait'>;
}

export type GitlabWebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The `POST /gitlab/webhook` route: verify the secret token before reading the body, parse, decide,
 * claim the delivery, enqueue, answer. GitLab waits at most 10 s and disables a webhook that keeps
 * answering 4xx, so events the bot does not handle get a 200 and only a payload GitLab would never
 * send (a handled event lacking a field the bot reads) gets a 400; a review never runs inside the
 * request. When the delivery store or the queue cannot take the delivery: 503 with `Retry-After`.
 */
export function createGitlabWebhookHandler(deps: GitlabWebhookDeps): GitlabWebhookHandler {
  if (deps.secret === '') throw new Error('GitLab webhook secret must not be empty');
  const expected = digest(deps.secret);
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const deliveries = deps.deliveries ?? new MemoryDeliveryStore();
  const { log } = deps;
  // The queue runs one job per merge request at a time and merges requests that wait (see
  // src/queue/types.ts), so the handler only builds the request.
  deps.queue.handle(
    'gitlab',
    gitlabJobRunner({ clientFor: deps.clientFor, log, ...optional(deps), ...deps.job }),
  );

  return async (req, res) => {
    const event = header(req, 'x-gitlab-event') ?? '';
    const deliveryId =
      header(req, 'idempotency-key') ??
      header(req, 'x-gitlab-event-uuid') ??
      header(req, 'x-gitlab-webhook-uuid');
    const fields = { deliveryId, event };
    let claimed: string[] = [];
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

      // Deciding needs no store, so events the bot ignores are answered even while the store is away.
      const decision = decideGitlabEvent(
        event,
        payload,
        deps.botUsername ? { botUsername: deps.botUsername } : {},
      );
      if (decision.kind === 'invalid') {
        log.warn({ ...fields, reason: decision.reason }, 'GitLab webhook rejected: payload lacks a field');
        return reply(res, 400, decision.reason);
      }
      if (decision.kind === 'ignore') {
        log.info({ ...fields, reason: decision.reason }, 'GitLab event ignored');
        return reply(res, 200, `ignored: ${decision.reason}`);
      }
      const { project, mrIid } = decision;
      const mrFields = { ...fields, project: project.path, projectId: project.id, mr: mrIid };
      const api = deps.clientFor(project.webUrl);
      if (!api) {
        log.warn(
          { ...mrFields, projectUrl: project.webUrl },
          'GitLab event from a project outside the configured instance',
        );
        return reply(res, 200, 'ignored: project not on the configured GitLab instance');
      }

      const keys = deliveryKeys(req, event, payload);
      const claim = await deliveries.claim(keys).catch((error: unknown) => {
        log.error(
          { ...fields, error: (error as Error).message },
          'delivery store unreachable; GitLab delivery refused',
        );
        return 'unavailable' as const;
      });
      if (claim === 'unavailable') return unavailable(res, 'delivery store unreachable');
      if (claim === 'duplicate') {
        log.info(fields, 'GitLab delivery already received; ignored');
        return reply(res, 200, 'duplicate delivery');
      }
      // Claimed: from here on a failure must release the keys, or GitLab's retry would look like a duplicate.
      claimed = keys;

      const request: GitlabReviewRequest = {
        deliveryIds: deliveryId ? [deliveryId] : [],
        project,
        mrIid,
        reasons: decision.kind === 'review' ? [decision.reason] : [],
        rescans: decision.kind === 'rescan' ? [decision.command] : [],
      };
      const headSha = headShaOf(payload);
      const job: GitlabReviewJob = {
        platform: 'gitlab',
        request,
        enqueuedAt: Date.now(),
        ...(headSha ? { headSha } : {}),
      };
      const queued = await deps.queue.enqueue(job);
      if (queued === 'full' || queued === 'unavailable') {
        await deliveries.release(keys).catch(() => undefined);
        claimed = [];
        log.error(
          { ...mrFields, queue: queued },
          'review queue cannot take the review; GitLab delivery refused',
        );
        return unavailable(res, `queue ${queued}`);
      }
      confirmInBackground(deliveries, keys);
      log.info({ ...mrFields, decision: decision.kind, queue: queued }, 'GitLab review queued');
      return reply(res, 202, 'queued');
    } catch (error) {
      log.error({ ...fields, error: (error as Error).message }, 'GitLab webhook handler failed');
      await deliveries.release(claimed).catch(() => undefined);
      if (!res.headersSent) reply(res, 500, 'internal error');
    }
  };
}

function optional(deps: GitlabWebhookDeps): Pick<GitlabJobDeps, 'botUsername'> {
  return deps.botUsername ? { botUsername: deps.botUsername } : {};
}

/** The head commit a merge request or note hook names (`last_commit.id`), for the job id. */
function headShaOf(payload: unknown): string | undefined {
  const body = payload as {
    object_attributes?: { last_commit?: { id?: unknown } };
    merge_request?: { last_commit?: { id?: unknown } };
  } | null;
  const sha = body?.object_attributes?.last_commit?.id ?? body?.merge_request?.last_commit?.id;
  return typeof sha === 'string' ? sha : undefined;
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

/** 503 and when to come back: GitLab retries the delivery, and it can be resent from "Recent events". */
function unavailable(res: ServerResponse, text: string): void {
  reply(res, 503, text, { 'retry-after': String(QUEUE_RETRY_AFTER_SECONDS) });
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
