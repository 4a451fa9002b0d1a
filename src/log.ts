import { pino, type Logger } from 'pino';

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * The process logger for `LOG_FORMAT=json`: pino writing straight to stdout through its buffered
 * asynchronous destination — 4 KB batches, at least every 250 ms, flushed when the process exits.
 * Probot's own logger passes every line through a Transform stream and writes it synchronously, which
 * cost a third of the time it takes to acknowledge a webhook. Undefined — keep Probot's logger — for
 * the pretty format and for the options only Probot's stream implements (`LOG_LEVEL_IN_STRING`,
 * `SENTRY_DSN`).
 */
export function jsonLogger(env: NodeJS.ProcessEnv): Logger | undefined {
  if (env.LOG_FORMAT !== 'json' || env.LOG_LEVEL_IN_STRING === 'true' || env.SENTRY_DSN) return undefined;
  if (!stdout) {
    // One destination per process, so lines from several loggers never interleave mid-line.
    stdout = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 });
    // A closed stdout (a log collector gone) must not take the server down with an unhandled 'error'.
    stdout.on('error', () => undefined);
  }
  return pino({ level: env.LOG_LEVEL || 'info', messageKey: env.LOG_MESSAGE_KEY || 'msg' }, stdout);
}
