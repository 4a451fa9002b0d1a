import { pino, type Logger } from 'pino';

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * The process logger for `LOG_FORMAT=json`: pino writing straight to stdout in batches — 4 KB, or
 * 250 ms after the first line — each batch written synchronously, and the rest when the process
 * exits. Synchronous, so a slow reader of stdout makes the process wait rather than lose lines; in
 * batches, because Probot's own logger (a Transform stream, then one write per line) cost a third of
 * the time it takes to acknowledge a webhook. Undefined — keep Probot's logger — for
 * the pretty format and for the options only Probot's stream implements (`LOG_LEVEL_IN_STRING`,
 * `SENTRY_DSN`).
 */
export function jsonLogger(env: NodeJS.ProcessEnv): Logger | undefined {
  if (env.LOG_FORMAT !== 'json' || env.LOG_LEVEL_IN_STRING === 'true' || env.SENTRY_DSN) return undefined;
  if (!stdout) {
    // One destination per process, so lines from several loggers never interleave mid-line.
    const destination = pino.destination({ dest: 1, sync: true, minLength: 4096, periodicFlush: 250 });
    // A closed stdout (a log collector gone) must not take the server down with an unhandled 'error'.
    destination.on('error', () => undefined);
    // pino flushes at exit only for asynchronous destinations.
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout is gone; nothing left to write to.
      }
    });
    stdout = destination;
  }
  return pino({ level: env.LOG_LEVEL || 'info', messageKey: env.LOG_MESSAGE_KEY || 'msg' }, stdout);
}
