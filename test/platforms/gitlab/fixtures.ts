import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads the GitLab fixtures (documented webhook payloads, API responses, repository files). */
const FIXTURES = fileURLToPath(new URL('../../../fixtures/gitlab/', import.meta.url));

export function fixtureText(path: string): string {
  return readFileSync(`${FIXTURES}${path}`, 'utf8');
}

/** A JSON document tests read and edit freely; typing every documented payload would add nothing. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;

/** A fresh copy each call, so a test may change it. */
export function fixtureJson(path: string): JsonObject {
  return JSON.parse(fixtureText(path)) as JsonObject;
}

export function mergeRequestHook(
  attributes: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  const payload = fixtureJson('webhooks/merge-request-open.json');
  Object.assign(payload.object_attributes, attributes);
  return Object.assign(payload, extra);
}

export function noteHook(
  note: string,
  user: { id: number; username: string } = { id: 6, username: 'user1' },
) {
  const payload = fixtureJson('webhooks/note-merge-request.json');
  payload.object_attributes.note = note;
  payload.object_attributes.author_id = user.id;
  payload.user = { ...payload.user, ...user };
  return payload;
}

/** GitLab's `diff` field for a file the merge request adds: hunks only, no `diff --git` header. */
export function newFileDiff(text: string): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((line) => `+${line}`).join('\n')}\n`;
}
