import type { MessagePort } from 'node:worker_threads';
import type { RepoReader } from '../platforms/types.js';
import type { ReviewLogger } from './pipeline.js';

/**
 * What a review's analysis asks of the thread that owns the platform clients, over one MessagePort:
 * repository reads and log lines. Reads are answered by `id`; everything crossing is plain data.
 */
type Ask = { kind: 'read'; path: string; ref: string } | { kind: 'list'; ref: string; glob?: string };

/** `done` comes last: every log line of the analysis arrived before it. */
type Request =
  | (Ask & { id: number })
  | { kind: 'log'; level: keyof ReviewLogger; obj: object | string; msg?: string }
  | { kind: 'done' };

type Answer = { id: number; value: string | null | string[] } | { id: number; error: string };

/**
 * Answers the analysis's reads with `reader` and writes its log lines to `log`; resolves when the
 * analysis says it is done.
 */
export function serveReader(port: MessagePort, reader: RepoReader, log: ReviewLogger): Promise<void> {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  port.on('message', (request: Request) => {
    if (request.kind === 'done') return done();
    if (request.kind === 'log') return void log[request.level](request.obj, request.msg);
    const reading =
      request.kind === 'read'
        ? reader.read(request.path, request.ref)
        : reader.list(request.ref, request.glob);
    reading.then(
      (value) => port.postMessage({ id: request.id, value } satisfies Answer),
      (error: unknown) =>
        port.postMessage({
          id: request.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies Answer),
    );
  });
  return finished;
}

/** The reader and logger the analysis uses on the worker's side of `port`, and how it says it is done. */
export function remoteReader(port: MessagePort): {
  reader: RepoReader;
  log: ReviewLogger;
  done: () => void;
} {
  const waiting = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();
  let next = 0;
  port.on('message', (answer: Answer) => {
    const pending = waiting.get(answer.id);
    waiting.delete(answer.id);
    if ('error' in answer) pending?.reject(new Error(answer.error));
    else pending?.resolve(answer.value as never);
  });
  const ask = <T>(request: Ask): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (value: never) => void, reject });
      port.postMessage({ ...request, id });
    });
  const logAt =
    (level: keyof ReviewLogger) =>
    (obj: object | string, msg?: string): void =>
      port.postMessage({ kind: 'log', level, obj, msg } satisfies Request);
  return {
    reader: {
      read: (path, ref) => ask<string | null>({ kind: 'read', path, ref }),
      list: (ref, glob) => ask<string[]>({ kind: 'list', ref, ...(glob === undefined ? {} : { glob }) }),
    },
    log: { info: logAt('info'), warn: logAt('warn'), error: logAt('error') },
    done: () => port.postMessage({ kind: 'done' } satisfies Request),
  };
}
