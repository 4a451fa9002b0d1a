import { describe, expect, it } from 'vitest';
import { decideGitlabEvent, isRescanCommand } from '../../../src/platforms/gitlab/events.js';
import { fixtureJson, mergeRequestHook, noteHook } from './fixtures.js';

const MR = 'Merge Request Hook';
const NOTE = 'Note Hook';
const BOT = { botUsername: 'jitterbot' };

describe('decideGitlabEvent', () => {
  const reviewed: { name: string; event: string; payload: unknown; reason: string }[] = [
    { name: 'opened', event: MR, payload: mergeRequestHook({ action: 'open' }), reason: 'open' },
    { name: 'reopened', event: MR, payload: mergeRequestHook({ action: 'reopen' }), reason: 'reopen' },
    {
      name: 'new commits',
      event: MR,
      payload: mergeRequestHook({ action: 'update', oldrev: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327' }),
      reason: 'push',
    },
    {
      name: 'draft marked ready',
      event: MR,
      payload: mergeRequestHook(
        { action: 'update' },
        { changes: { draft: { previous: true, current: false } } },
      ),
      reason: 'ready',
    },
  ];
  it.each(reviewed)('reviews: $name', ({ event, payload, reason }) => {
    const decision = decideGitlabEvent(event, payload, BOT);
    expect(decision).toMatchObject({
      kind: 'review',
      reason,
      mrIid: 1,
      project: { id: 14, path: 'gitlabhq/gitlab-test', webUrl: 'http://example.com/gitlabhq/gitlab-test' },
    });
  });

  it('takes the project from target_project_id when the hook project differs', () => {
    const payload = mergeRequestHook({ action: 'open', target_project_id: 21 });
    expect(decideGitlabEvent(MR, payload)).toMatchObject({ kind: 'review', project: { id: 21 } });
  });

  it('reads a rescan command on a merge request', () => {
    expect(decideGitlabEvent(NOTE, noteHook('/jitterbot rescan'), BOT)).toEqual({
      kind: 'rescan',
      project: { id: 14, path: 'gitlabhq/gitlab-test', webUrl: 'http://example.com/gitlabhq/gitlab-test' },
      mrIid: 1,
      command: { noteId: 1244, user: { id: 6, username: 'user1' } },
    });
  });

  const ignored: { name: string; event: string; payload: unknown; reason: RegExp }[] = [
    {
      name: 'update without oldrev (labels, title…)',
      event: MR,
      payload: mergeRequestHook({ action: 'update' }),
      reason: /without new commits/,
    },
    {
      name: 'merge',
      event: MR,
      payload: mergeRequestHook({ action: 'merge', state: 'merged' }),
      reason: /merge/,
    },
    { name: 'close', event: MR, payload: mergeRequestHook({ action: 'close' }), reason: /close/ },
    { name: 'approval', event: MR, payload: mergeRequestHook({ action: 'approved' }), reason: /approved/ },
    {
      name: 'push event',
      event: 'Push Hook',
      payload: { object_kind: 'push' },
      reason: /not handled: Push Hook/,
    },
    { name: 'missing event header', event: '', payload: {}, reason: /\(none\)/ },
    { name: 'ordinary comment', event: NOTE, payload: noteHook('Looks good to me'), reason: /not a command/ },
    {
      name: 'command quoted later in a note',
      event: NOTE,
      payload: noteHook('Try this:\n/jitterbot rescan'),
      reason: /not a command/,
    },
    {
      name: "the bot's own note",
      event: NOTE,
      payload: noteHook('/jitterbot rescan', { id: 99, username: 'jitterbot' }),
      reason: /own note/,
    },
    {
      name: 'edited note',
      event: NOTE,
      payload: (() => {
        const payload = noteHook('/jitterbot rescan');
        payload.object_attributes.action = 'update';
        return payload;
      })(),
      reason: /edited/,
    },
    {
      name: 'comment on an issue',
      event: NOTE,
      payload: (() => {
        const payload = noteHook('/jitterbot rescan');
        payload.object_attributes.noteable_type = 'Issue';
        delete payload.merge_request;
        return payload;
      })(),
      reason: /not on a merge request/,
    },
  ];
  it.each(ignored)('ignores: $name', ({ event, payload, reason }) => {
    const decision = decideGitlabEvent(event, payload, BOT);
    expect(decision.kind).toBe('ignore');
    expect(decision.kind === 'ignore' && decision.reason).toMatch(reason);
  });

  it.each([
    { name: 'merge request without a project', event: MR, payload: { object_kind: 'merge_request' } },
    {
      name: 'merge request iid as text',
      event: MR,
      payload: (() => {
        const payload = mergeRequestHook({ action: 'open' });
        payload.object_attributes.iid = '1';
        return payload;
      })(),
    },
    {
      name: 'note without its author',
      event: NOTE,
      payload: (() => {
        const payload = noteHook('/jitterbot rescan');
        delete payload.user;
        return payload;
      })(),
    },
  ])('calls a handled event with a missing or mistyped field invalid: $name', ({ event, payload }) => {
    const decision = decideGitlabEvent(event, payload, BOT);
    expect(decision).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(`^${event} payload: `) });
  });

  it('keeps the documented note payload valid', () => {
    const payload = fixtureJson('webhooks/note-merge-request.json');
    expect(decideGitlabEvent(NOTE, payload).kind).toBe('rescan');
  });
});

describe('isRescanCommand', () => {
  it.each([
    ['/jitterbot rescan', undefined, true],
    ['  /JitterBot   Rescan  \nbecause the config changed', undefined, true],
    ['@jitterbot rescan', 'jitterbot', true],
    ['@JitterBot rescan', 'jitterbot', true],
    ['@jitterbot rescan', undefined, false],
    ['@someone-else rescan', 'jitterbot', false],
    ['/jitterbot rescan now', undefined, false],
    ['/jitterbot', undefined, false],
  ])('%j (bot %s) → %s', (note, bot, expected) => {
    expect(isRescanCommand(note, bot)).toBe(expected);
  });
});
