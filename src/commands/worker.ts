import { positiveInt, quit } from '../queue/create.js';
import { EXIT } from './exit-codes.js';
import '../platforms/job-kinds.js';
import { listDeadLetters, retryDeadLetters } from '../queue/dead-letters.js';
import { connectRedis, redisConnection } from '../queue/redis.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../server.js';
import { startWorker } from '../worker.js';

/**
 * `jitterbot worker`: runs the reviews `jitterbot serve` put in Redis until SIGTERM, then stops taking
 * jobs, lets running ones finish for up to SHUTDOWN_TIMEOUT_MS and hands the rest back to the queue.
 */
export async function workerCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const shutdownTimeoutMs = positiveInt(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS);
  let running: Awaited<ReturnType<typeof startWorker>>;
  try {
    running = await startWorker(env);
  } catch (error) {
    // The logger may already hold the event loop open (a transport thread): say why and leave.
    process.stderr.write(`jitterbot: ${(error as Error).message}\n`);
    process.exit(EXIT.error);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.log.info({ signal, deadlineMs: shutdownTimeoutMs }, 'shutting down: finishing running reviews');
    const report = await running.close(shutdownTimeoutMs);
    running.log.info({ drained: report.drained, requeued: report.requeued }, 'stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/**
 * `jitterbot dead-letters [--retry [ids...]]`: prints the review jobs that failed every attempt, one
 * JSON object a line, or moves them back to the queue.
 */
export async function deadLettersCommand(
  flags: { retry?: boolean | string[] },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const url = env.REDIS_URL?.trim();
  if (!url) throw new Error('dead letters live in Redis: set REDIS_URL');
  const redis = redisConnection(url, 'producer');
  await connectRedis(redis);
  try {
    if (flags.retry) {
      const ids = Array.isArray(flags.retry) && flags.retry.length > 0 ? flags.retry : undefined;
      const moved = await retryDeadLetters(redis, ids);
      process.stdout.write(`${moved} dead letter${moved === 1 ? '' : 's'} moved back to the queue\n`);
      return;
    }
    for (const entry of await listDeadLetters(redis)) process.stdout.write(`${JSON.stringify(entry)}\n`);
  } finally {
    await quit(redis);
  }
}
