import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { fixtureJson, newFileDiff, type JsonObject } from './fixtures.js';

/**
 * A small in-memory GitLab behind nock: one project (14), one merge request (!1), the REST endpoints the
 * adapter uses, and state that persists across review runs, so a second webhook sees what the first run
 * posted. Responses are shaped like GitLab's documented ones (fixtures/gitlab/api).
 */

export const GITLAB = 'http://example.com';
export const BOT_USER = { id: 99, username: 'jitterbot', name: 'jitterbot', state: 'active' };

const PROJECT = '/api/v4/projects/14';
const MR = `${PROJECT}/merge_requests/1`;

interface FakeNote {
  id: number;
  type: 'DiffNote' | null;
  body: string;
  author: { id: number; username: string };
  system: boolean;
  resolvable: boolean;
  resolved: boolean;
  position?: Record<string, unknown>;
}

interface FakeDiscussion {
  id: string;
  individual_note: boolean;
  notes: FakeNote[];
}

type Reply = [number, unknown?, Record<string, string>?];

export interface LoggedRequest {
  method: string;
  path: string;
  body?: unknown;
}

export class FakeGitlab {
  readonly discussions: FakeDiscussion[] = [];
  readonly requests: LoggedRequest[] = [];
  readonly awards: { noteId: number; name: string }[] = [];
  /** Commit statuses set, in order (`POST /projects/:id/statuses/:sha`). */
  readonly statuses: { sha: string; state: string; name: string; description: string }[] = [];
  /** user id → access level (members/all). */
  readonly members = new Map<number, number>();
  /** Files on the target branch (`master`), e.g. `.gitlab/jitterbot.yml`. */
  readonly targetBranchFiles = new Map<string, string>();
  /** new_line values whose positions GitLab refuses with 400. */
  readonly rejectedLines = new Set<number>();
  draft = false;
  headSha = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
  private files = new Map<string, string>();
  private readonly failures: { method: string; path: RegExp; reply: Reply }[] = [];
  private nextId = 2_000;
  /** Holds the merge request read until released (to show the webhook answered before the review). */
  private gate: Promise<void> = Promise.resolve();

  /** A new head commit whose tree holds `files` (all of them added by the merge request). */
  push(headSha: string, files: Record<string, string>): void {
    this.headSha = headSha;
    this.files = new Map(Object.entries(files));
  }

  /** The next matching requests fail with these replies, in order, before the normal answer. */
  failNext(method: string, path: RegExp, ...replies: Reply[]): void {
    for (const reply of replies) this.failures.push({ method, path, reply });
  }

  holdMergeRequestUntil(release: Promise<void>): void {
    this.gate = release;
  }

  diffDiscussions(): FakeDiscussion[] {
    return this.discussions.filter((discussion) => !discussion.individual_note);
  }

  generalNotes(): FakeNote[] {
    return this.discussions
      .filter((discussion) => discussion.individual_note)
      .map((discussion) => discussion.notes[0]!);
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((request) => request.method === method && path.test(request.path)).length;
  }

  install(): void {
    const scope = nock(GITLAB).persist();
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      scope.intercept(/.*/, method).reply(async (request: Request) => this.handle(request));
    }
  }

  /** The same GitLab over HTTP on 127.0.0.1, for a server in another process (which nock cannot reach). */
  async listen(): Promise<{ url: string; close: () => void }> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => {
        const body = Buffer.concat(chunks);
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          ...(body.length > 0 ? { body, headers: { 'content-type': 'application/json' } } : {}),
        });
        void this.handle(request).then(([status, payload, headers]) => {
          const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  private async handle(request: Request): Promise<Reply> {
    const url = new URL(request.url);
    const path = decodeURIComponent(url.pathname);
    const text = request.method === 'GET' ? '' : await request.text();
    const body = text === '' ? undefined : (JSON.parse(text) as JsonObject);
    this.requests.push({ method: request.method, path: url.pathname, ...(body ? { body } : {}) });
    const failure = this.failures.findIndex(
      (item) => item.method === request.method && item.path.test(url.pathname),
    );
    if (failure !== -1) return this.failures.splice(failure, 1)[0]!.reply;
    return this.route(request.method, path, url.searchParams, body ?? {});
  }

  private async route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: JsonObject,
  ): Promise<Reply> {
    const key = `${method} ${path}`;
    let match: RegExpExecArray | null;
    if (key === 'GET /api/v4/user') return [200, BOT_USER];
    if (key === `GET ${MR}`) {
      await this.gate;
      const mr = fixtureJson('api/merge-request.json');
      mr.sha = this.headSha;
      mr.diff_refs.head_sha = this.headSha;
      mr.draft = this.draft;
      return [200, mr];
    }
    if (key === `GET ${MR}/diffs`) {
      const diffs = [...this.files].map(([file, content]) => ({
        old_path: file,
        new_path: file,
        a_mode: '0',
        b_mode: '100644',
        new_file: true,
        renamed_file: false,
        deleted_file: false,
        generated_file: false,
        diff: newFileDiff(content),
      }));
      return [200, diffs];
    }
    if ((match = new RegExp(`^GET ${PROJECT}/repository/files/(.+)/raw$`).exec(key))) {
      const file = match[1]!;
      const ref = query.get('ref');
      const content =
        ref === 'master'
          ? this.targetBranchFiles.get(file)
          : ref === this.headSha
            ? this.files.get(file)
            : undefined;
      if (content === undefined) return [404, { message: '404 File Not Found' }];
      return [200, content, { 'content-type': 'text/plain; charset=utf-8' }];
    }
    if ((match = new RegExp(`^GET ${PROJECT}/repository/blobs/([0-9a-f]+)/raw$`).exec(key))) {
      const id = match[1]!;
      const content = [...this.files.values(), ...this.targetBranchFiles.values()].find(
        (text) => blobId(text) === id,
      );
      if (content === undefined) return [404, { message: '404 Blob Not Found' }];
      return [200, content, { 'content-type': 'text/plain; charset=utf-8' }];
    }
    if (key === `GET ${PROJECT}/repository/tree`) {
      return [200, treeEntries(this.files, query.get('path') ?? '', query.get('recursive') === 'true')];
    }
    if (key === `GET ${MR}/discussions`) return [200, this.discussions];
    if (key === `POST ${MR}/discussions`) {
      const line = Number(body.position?.new_line);
      if (this.rejectedLines.has(line)) return [400, fixtureJson('api/position-rejected.json')];
      const discussion: FakeDiscussion = {
        id: this.discussionId(),
        individual_note: false,
        notes: [this.note(body.body, 'DiffNote', { ...body.position, old_line: null })],
      };
      this.discussions.push(discussion);
      return [201, discussion];
    }
    if (key === `POST ${MR}/notes`) {
      const note = this.note(body.body, null);
      this.discussions.push({ id: this.discussionId(), individual_note: true, notes: [note] });
      return [201, { ...fixtureJson('api/note.json'), ...note }];
    }
    if ((match = new RegExp(`^PUT ${MR}/notes/(\\d+)$`).exec(key))) {
      const note = this.findNote(Number(match[1]));
      if (!note) return [404, { message: '404 Not found' }];
      note.body = body.body;
      return [200, { ...fixtureJson('api/note.json'), ...note }];
    }
    if ((match = new RegExp(`^POST ${MR}/discussions/(\\w+)/notes$`).exec(key))) {
      const discussion = this.discussions.find((candidate) => candidate.id === match![1]);
      if (!discussion) return [404, { message: '404 Not found' }];
      const note = this.note(body.body, discussion.notes[0]!.type);
      discussion.notes.push(note);
      return [201, note];
    }
    if ((match = new RegExp(`^PUT ${MR}/discussions/(\\w+)$`).exec(key))) {
      const discussion = this.discussions.find((candidate) => candidate.id === match![1]);
      if (!discussion) return [404, { message: '404 Not found' }];
      for (const note of discussion.notes) note.resolved = query.get('resolved') === 'true';
      return [200, discussion];
    }
    if ((match = new RegExp(`^GET ${PROJECT}/members/all/(\\d+)$`).exec(key))) {
      const level = this.members.get(Number(match[1]));
      if (level === undefined) return [404, { message: '404 Not found' }];
      return [
        200,
        { ...fixtureJson('api/member-developer.json'), id: Number(match[1]), access_level: level },
      ];
    }
    if ((match = new RegExp(`^POST ${MR}/notes/(\\d+)/award_emoji$`).exec(key))) {
      this.awards.push({ noteId: Number(match[1]), name: body.name });
      return [
        201,
        { ...fixtureJson('api/award-emoji.json'), name: body.name, awardable_id: Number(match[1]) },
      ];
    }
    if ((match = new RegExp(`^POST ${PROJECT}/statuses/([0-9a-f]{40})$`).exec(key))) {
      const status = {
        sha: match[1]!,
        state: String(body.state),
        name: String(body.name),
        description: String(body.description),
      };
      this.statuses.push(status);
      const reply = fixtureJson('api/commit-status.json');
      Object.assign(reply, {
        sha: status.sha,
        status: status.state,
        name: status.name,
        description: status.description,
      });
      return [201, reply];
    }
    return [404, { message: `404 Not found (fake GitLab has no ${key})` }];
  }

  private note(body: string, type: FakeNote['type'], position?: Record<string, unknown>): FakeNote {
    return {
      id: this.nextId++,
      type,
      body,
      author: { id: BOT_USER.id, username: BOT_USER.username },
      system: false,
      resolvable: type === 'DiffNote',
      resolved: false,
      ...(position ? { position } : {}),
    };
  }

  private findNote(id: number): FakeNote | undefined {
    return this.discussions.flatMap((discussion) => discussion.notes).find((note) => note.id === id);
  }

  private discussionId(): string {
    return (this.nextId++).toString(16).padStart(40, '0');
  }
}

/** Git's object id of a file's content, as GitLab's tree lists it and its blob endpoint takes it. */
function blobId(content: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(content)}\0${content}`)
    .digest('hex');
}

/**
 * GitLab's tree listing of `files` under `dir`: its own entries, or with `recursive` every entry below
 * it, directories included (`type: 'tree'`, an id that changes when anything under them does).
 */
function treeEntries(files: Map<string, string>, dir: string, recursive: boolean): JsonObject[] {
  const prefix = dir ? `${dir}/` : '';
  const entries = new Map<string, JsonObject>();
  for (const [file, content] of files) {
    if (!file.startsWith(prefix)) continue;
    const parts = file.slice(prefix.length).split('/');
    for (let depth = 1; depth <= (recursive ? parts.length : 1); depth += 1) {
      const path = prefix + parts.slice(0, depth).join('/');
      const isFile = depth === parts.length;
      if (entries.has(path)) continue;
      const below = [...files].filter(([other]) => other.startsWith(`${path}/`));
      entries.set(path, {
        id: isFile ? blobId(content) : blobId(below.map(([f, c]) => `${f}:${blobId(c)}`).join('\n')),
        name: parts[depth - 1]!,
        type: isFile ? 'blob' : 'tree',
        path,
        mode: isFile ? '100644' : '040000',
      });
    }
  }
  return [...entries.values()];
}
