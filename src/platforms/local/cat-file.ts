import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GIT_ENV } from './git.js';

/**
 * One long-lived `git cat-file --batch-command --follow-symlinks` per repository: every read of a
 * committed file is two lines written to a pipe instead of two `git` processes. `--follow-symlinks`
 * resolves links inside the tree and reports the ones that leave it (`symlink`), so the reader's
 * safety rules hold without a tree lookup per file. The process stops after a second of idleness and
 * starts again on the next read, so an idle reader holds nothing.
 */

/** What a `<ref>:<path>` names. */
export type ObjectInfo =
  | { kind: 'blob'; size: number }
  /** A tree, or a submodule's commit. */
  | { kind: 'other'; size: number }
  | { kind: 'missing' }
  | { kind: 'outside' }
  | { kind: 'loop' };

const IDLE_MS = 1_000;

export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { bytes: number | 'line'; resolve: (data: Buffer) => void; reject: (e: Error) => void }[] =
    [];
  /** Requests run one at a time: each answer is read before the next question is written. */
  private turn: Promise<unknown> = Promise.resolve();
  private idle: NodeJS.Timeout | null = null;
  private pending = 0;

  constructor(private readonly root: string) {}

  info(name: string): Promise<ObjectInfo> {
    return this.exclusive(async () => {
      this.write(`info ${name}\n`);
      return this.readInfo(name);
    });
  }

  /** The blob's content; null when `name` is not a blob inside the tree (it changed since `info`). */
  contents(name: string): Promise<Buffer | null> {
    return this.exclusive(async () => {
      this.write(`contents ${name}\n`);
      const info = await this.readInfo(name);
      if (info.kind !== 'blob' && info.kind !== 'other') return null;
      const data = await this.next(info.size + 1);
      return info.kind === 'blob' ? data.subarray(0, info.size) : null;
    });
  }

  private async readInfo(name: string): Promise<ObjectInfo> {
    const header = (await this.next('line')).toString('utf8');
    if (header === `${name} missing` || header === `${name} ambiguous`) return { kind: 'missing' };
    const [first = '', second = '', third = ''] = header.split(' ');
    // `symlink|dangling|loop|notdir <size>` are followed by a line naming the offender.
    if (['symlink', 'dangling', 'loop', 'notdir'].includes(first)) {
      await this.next(Number(second) + 1);
      if (first === 'symlink') return { kind: 'outside' };
      return first === 'loop' ? { kind: 'loop' } : { kind: 'missing' };
    }
    if (second === 'blob') return { kind: 'blob', size: Number(third) };
    if (second === 'tree' || second === 'commit' || second === 'tag')
      return { kind: 'other', size: Number(third) };
    throw new Error(`unexpected answer from git cat-file: ${header.slice(0, 80)}`);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.pending += 1;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run.finally(() => {
      this.pending -= 1;
      if (this.pending === 0) this.rest();
    });
  }

  private write(line: string): void {
    const child = this.process();
    // Held while a read waits for its answer, so the process cannot exit under it.
    hold(child, true);
    child.stdin.write(line);
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', '--batch-command', '--follow-symlinks'], {
      cwd: this.root,
      env: { ...process.env, ...GIT_ENV },
      windowsHide: true,
    });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.drain();
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')).slice(-2_000));
    const fail = (error: Error) => {
      if (this.child === child) this.child = null;
      this.buffered = Buffer.alloc(0);
      for (const request of this.waiting.splice(0)) request.reject(error);
    };
    child.on('error', fail);
    child.on('close', (code) =>
      fail(new Error(`git cat-file stopped (exit ${code})${stderr ? `: ${stderr.trim()}` : ''}`)),
    );
    child.stdin.on('error', () => undefined);
    this.child = child;
    return child;
  }

  private next(bytes: number | 'line'): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ bytes, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const request = this.waiting[0]!;
      let end: number;
      if (request.bytes === 'line') {
        const newline = this.buffered.indexOf(10);
        if (newline === -1) return;
        end = newline + 1;
        request.resolve(this.buffered.subarray(0, newline));
      } else {
        if (this.buffered.length < request.bytes) return;
        end = request.bytes;
        request.resolve(this.buffered.subarray(0, end));
      }
      this.buffered = this.buffered.subarray(end);
      this.waiting.shift();
    }
  }

  /** Between reads the process keeps nothing alive, and after a second without one it stops. */
  private rest(): void {
    const child = this.child;
    if (!child) return;
    hold(child, false);
    this.idle = setTimeout(() => {
      this.idle = null;
      child.stdin.end();
    }, IDLE_MS);
    this.idle.unref();
  }
}

/** A child's pipes are sockets: referenced, they keep the event loop (and the process) alive. */
function hold(child: ChildProcessWithoutNullStreams, alive: boolean): void {
  const handles = [child, child.stdin, child.stdout, child.stderr] as unknown as {
    ref(): void;
    unref(): void;
  }[];
  for (const handle of handles) {
    if (alive) handle.ref();
    else handle.unref();
  }
}
