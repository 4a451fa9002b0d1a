import { z } from 'zod';
import { firstIssue } from '../../validation.js';

/**
 * The webhook deliveries the GitHub App acts on, and the fields its handlers read from each. A signed
 * delivery of one of these that lacks a field is answered `400` with the first problem, rather than
 * reaching a handler that would fail on it. Shapes follow GitHub's webhook payloads
 * (`@octokit/webhooks-examples`); fields not read here are not checked.
 */

/** Pull request actions that (re)start a review. */
export const PULL_REQUEST_EVENTS = [
  'pull_request.opened',
  'pull_request.reopened',
  'pull_request.synchronize',
  'pull_request.ready_for_review',
] as const;

/** The actions of {@link PULL_REQUEST_EVENTS}, as they appear in a payload's `action`. */
export const PULL_REQUEST_ACTIONS: ReadonlySet<string> = new Set(
  PULL_REQUEST_EVENTS.map((event) => event.split('.')[1]!),
);

const repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });
const installation = z.object({ id: z.number().int() }).nullish();
const headCommit = z.object({ sha: z.string() });

const pullRequest = z.object({
  action: z.string(),
  installation,
  repository,
  pull_request: z.object({ number: z.number().int(), head: headCommit }),
});

const issueComment = z.object({
  installation,
  repository,
  issue: z.object({ number: z.number().int(), pull_request: z.object({}).nullish() }),
  comment: z.object({ id: z.number().int(), body: z.string() }),
  sender: z.object({ login: z.string(), type: z.string() }),
});

const checkRun = z.object({
  installation,
  repository,
  check_run: z.object({
    name: z.string(),
    pull_requests: z.array(z.object({ number: z.number().int(), head: headCommit })),
  }),
});

/** The part of a `pull_request` webhook payload the intake reads. */
export type PullRequestPayload = z.infer<typeof pullRequest>;

const SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ...PULL_REQUEST_EVENTS.map((event) => [event, pullRequest] as const),
  ['issue_comment.created', issueComment],
  ['check_run.rerequested', checkRun],
]);

/** `event.action` when the app handles that delivery (and so validates it), otherwise undefined. */
export function handledEvent(event: string, payload: unknown): string | undefined {
  const action = (payload as { action?: unknown } | null)?.action;
  const name = typeof action === 'string' ? `${event}.${action}` : event;
  return SCHEMAS.has(name) ? name : undefined;
}

/**
 * Why a delivery cannot be acted on, in one line (the event and the first field missing or of the
 * wrong type), or null when it can — including every delivery no handler reads.
 */
export function payloadProblem(event: string, payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return `${event} payload is not a JSON object`;
  const name = handledEvent(event, payload);
  if (!name) return null;
  const result = SCHEMAS.get(name)!.safeParse(payload);
  return result.success ? null : `${name} payload: ${firstIssue(result.error)}`;
}
