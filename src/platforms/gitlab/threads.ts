import type { EarlierComment } from '../types.js';
import { sameUsername } from './events.js';
import { fingerprintIn, SUMMARY_MARKER } from './markers.js';

/**
 * Reading what the bot left on a merge request: its inline discussions (one per finding, recognised by
 * the hidden fingerprint marker the renderer puts in every inline comment) and its summary note. Both
 * come from one listing: GitLab's discussions endpoint returns general notes too, as one-note
 * discussions with `individual_note: true`.
 */

/** Start of the reply to a discussion whose finding is gone; also how an answered one is recognised. */
export const FIXED_REPLY_PREFIX = 'Fixed in ';

export interface BotIdentity {
  username: string;
  /** Known when resolved through the API (`GET /user`); compared first, as usernames can change. */
  id?: number;
}

/** The fields of a discussion note this adapter reads (GitLab's discussions API). */
export interface NoteLike {
  id: number;
  body: string;
  author: { id: number; username: string };
  system?: boolean;
  resolvable?: boolean;
  resolved?: boolean;
  position?: { new_path?: string | null; old_path?: string | null; new_line?: number | string | null } | null;
}

export interface DiscussionLike {
  id: string;
  individual_note: boolean;
  notes?: NoteLike[];
}

export interface MergeRequestThreads {
  earlier: EarlierComment[];
  /** The bot's summary note, edited in place on every run. */
  summaryNoteId?: number;
}

export function readThreads(discussions: readonly DiscussionLike[], bot: BotIdentity): MergeRequestThreads {
  const earlier: EarlierComment[] = [];
  let summaryNoteId: number | undefined;
  for (const discussion of discussions) {
    const [first, ...replies] = discussion.notes ?? [];
    if (!first || first.system || !isBotNote(first, bot)) continue;
    if (first.body.includes(SUMMARY_MARKER)) {
      summaryNoteId ??= first.id;
      continue;
    }
    const fingerprint = fingerprintIn(first.body);
    if (!fingerprint) continue;
    const line = Number(first.position?.new_line);
    const answered = replies.some(
      (reply) => isBotNote(reply, bot) && reply.body.startsWith(FIXED_REPLY_PREFIX),
    );
    earlier.push({
      id: discussion.id,
      fingerprint,
      path: first.position?.new_path ?? first.position?.old_path ?? '',
      ...(Number.isInteger(line) && line > 0 ? { line } : {}),
      // Answered but not resolved (the resolve failed last time): still to do, without a second reply.
      resolved: first.resolved === true,
      answered,
    });
  }
  return { earlier, ...(summaryNoteId !== undefined ? { summaryNoteId } : {}) };
}

export function isBotNote(note: Pick<NoteLike, 'author'>, bot: BotIdentity): boolean {
  if (bot.id !== undefined) return note.author.id === bot.id;
  return sameUsername(note.author.username, bot.username);
}
