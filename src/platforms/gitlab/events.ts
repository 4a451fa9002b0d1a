import { z } from 'zod';
import { firstIssue } from '../../validation.js';

/**
 * What a GitLab webhook delivery asks of the bot. Pure: event name and payload in, decision out.
 * Payload shapes follow GitLab's documented "Merge request events" and "Comment events"
 * (doc/user/project/integrations/webhook_events.md); only the fields used here are validated.
 */

export const MERGE_REQUEST_HOOK = 'Merge Request Hook';
export const NOTE_HOOK = 'Note Hook';

/** The Developer role: the lowest that may push, and so the lowest that may ask for a rescan. */
export const RESCAN_MIN_ACCESS_LEVEL = 30;

export interface ProjectRef {
  id: number;
  /** `group/project`, for logs. */
  path: string;
  webUrl: string;
}

export interface RescanCommand {
  noteId: number;
  user: { id: number; username: string };
}

export type GitlabEventDecision =
  | {
      kind: 'review';
      /** open, reopen, push (new commits), ready (draft status removed). */
      reason: 'open' | 'reopen' | 'push' | 'ready';
      project: ProjectRef;
      mrIid: number;
    }
  | { kind: 'rescan'; project: ProjectRef; mrIid: number; command: RescanCommand }
  | { kind: 'ignore'; reason: string }
  /** A handled event whose payload lacks a field the bot reads: answered 400, never reviewed. */
  | { kind: 'invalid'; reason: string };

export interface DecideOptions {
  /** The bot's username: its own notes are ignored and `@<bot> rescan` is understood. */
  botUsername?: string;
}

const project = z.object({
  id: z.number().int(),
  web_url: z.string(),
  path_with_namespace: z.string(),
});

const user = z.object({ id: z.number().int(), username: z.string() });

const mergeRequestHook = z.object({
  object_kind: z.literal('merge_request'),
  project,
  object_attributes: z.object({
    iid: z.number().int(),
    target_project_id: z.number().int().optional(),
    action: z.string().optional(),
    state: z.string().optional(),
    // Present only when the update carried code: new commits pushed, or a suggestion applied.
    oldrev: z.string().nullish(),
  }),
  changes: z
    .object({
      draft: z.object({ previous: z.boolean().nullish(), current: z.boolean().nullish() }).optional(),
    })
    .nullish(),
});

const noteHook = z.object({
  object_kind: z.literal('note'),
  user,
  project,
  object_attributes: z.object({
    id: z.number().int(),
    note: z.string(),
    noteable_type: z.string(),
    system: z.boolean().nullish(),
    // `create` or `update` since GitLab 16.11; absent before, when only creation triggered the hook.
    action: z.string().optional(),
  }),
  merge_request: z
    .object({
      iid: z.number().int(),
      target_project_id: z.number().int().optional(),
      state: z.string().optional(),
    })
    .optional(),
});

export function decideGitlabEvent(
  event: string,
  payload: unknown,
  options: DecideOptions = {},
): GitlabEventDecision {
  if (event === MERGE_REQUEST_HOOK) return decideMergeRequest(payload);
  if (event === NOTE_HOOK) return decideNote(payload, options);
  return { kind: 'ignore', reason: `event not handled: ${event || '(none)'}` };
}

function decideMergeRequest(payload: unknown): GitlabEventDecision {
  const parsed = mergeRequestHook.safeParse(payload);
  if (!parsed.success)
    return { kind: 'invalid', reason: `${MERGE_REQUEST_HOOK} payload: ${firstIssue(parsed.error)}` };
  const { object_attributes: mr, changes } = parsed.data;
  const ref = projectRef(parsed.data.project, mr.target_project_id);
  const target = { project: ref, mrIid: mr.iid };
  switch (mr.action) {
    case 'open':
      return { kind: 'review', reason: 'open', ...target };
    case 'reopen':
      return { kind: 'review', reason: 'reopen', ...target };
    case 'update':
      if (mr.oldrev) return { kind: 'review', reason: 'push', ...target };
      // A draft marked ready has not been reviewed yet when drafts are skipped; the review job decides.
      if (changes?.draft?.previous === true && changes.draft.current === false) {
        return { kind: 'review', reason: 'ready', ...target };
      }
      return { kind: 'ignore', reason: 'merge request update without new commits' };
    default:
      return { kind: 'ignore', reason: `merge request action not handled: ${mr.action ?? '(none)'}` };
  }
}

function decideNote(payload: unknown, options: DecideOptions): GitlabEventDecision {
  const parsed = noteHook.safeParse(payload);
  if (!parsed.success)
    return { kind: 'invalid', reason: `${NOTE_HOOK} payload: ${firstIssue(parsed.error)}` };
  const { object_attributes: note, merge_request: mr, user: author } = parsed.data;
  if (note.noteable_type !== 'MergeRequest' || !mr)
    return { kind: 'ignore', reason: 'note not on a merge request' };
  if (note.system) return { kind: 'ignore', reason: 'system note' };
  if (note.action !== undefined && note.action !== 'create') return { kind: 'ignore', reason: 'edited note' };
  if (!isRescanCommand(note.note, options.botUsername))
    return { kind: 'ignore', reason: 'note is not a command' };
  if (options.botUsername && sameUsername(author.username, options.botUsername)) {
    return { kind: 'ignore', reason: "the bot's own note" };
  }
  return {
    kind: 'rescan',
    project: projectRef(parsed.data.project, mr.target_project_id),
    mrIid: mr.iid,
    command: { noteId: note.id, user: { id: author.id, username: author.username } },
  };
}

/**
 * `/jitterbot rescan` or `@<bot> rescan` as the first line of the note (anything below it is free text).
 * GitLab leaves quick actions it does not know in the note, so `/jitterbot` arrives as typed.
 */
export function isRescanCommand(note: string, botUsername?: string): boolean {
  const firstLine = note.trim().split('\n', 1)[0]!.trim();
  const match = /^(\/jitterbot|@[\w.-]+)\s+rescan$/i.exec(firstLine);
  if (!match) return false;
  const invoker = match[1]!;
  if (invoker.toLowerCase() === '/jitterbot') return true;
  return botUsername !== undefined && sameUsername(invoker.slice(1), botUsername);
}

export function sameUsername(a: string, b: string): boolean {
  return a.replace(/^@/, '').toLowerCase() === b.replace(/^@/, '').toLowerCase();
}

function projectRef(data: z.infer<typeof project>, targetProjectId: number | undefined): ProjectRef {
  // The merge request lives in its target project; the hook's project is that project for project and
  // group hooks, and `target_project_id` says so explicitly when present.
  return { id: targetProjectId ?? data.id, path: data.path_with_namespace, webUrl: data.web_url };
}
