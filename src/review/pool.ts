import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { RepoReader, ReviewOutcome, ReviewTarget } from '../platforms/types.js';
import { serveReader } from './channel.js';
import { reviewWith, runReview, type ReviewLogger } from './pipeline.js';
import { wholeNumber } from '../queue/create.js';
import type { PoolTask, PortableOptions } from './pool-worker.js';

/**
 * Reviews whose analysis (parsing, the flow engine, confirmation, patches) runs on worker threads, so
 * the event loop that answers webhooks never waits for it. The platform calls — reading the change,
 * the repository reads the analysis asks for, publishing — stay on the calling thread, with its
 * clients, retries and budgets; only plain data crosses (file texts in, the outcome out).
 */
export interface ReviewPool {
  readonly threads: number;
  review(
    target: ReviewTarget,
    reader: RepoReader,
    options?: PortableOptions & { log?: ReviewLogger },
  ): Promise<ReviewOutcome>;
  /** Lets running analyses finish (`force`: stops them), then ends the threads. */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * An analysis waits on the platform for every read it asks for: a thread takes a few at once, so it
 * computes for one while the others wait (how many reviews run in all is the queue's concurrency).
 */
const ANALYSES_PER_THREAD = 4;

/** The nice value added to review threads: the event loop gets the CPU first when both want it. */
const ANALYSIS_NICENESS = 10;

const silent: ReviewLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * `REVIEW_THREADS`, by default every core but one, which is left to the event loop (at least one
 * thread); 0 runs the analysis on the event loop itself.
 */
export function reviewThreadsFromEnv(env: Record<string, string | undefined>): number {
  return wholeNumber(env, 'REVIEW_THREADS', Math.max(1, availableParallelism() - 1), 0);
}

/** Reviews as `REVIEW_THREADS` says: on that many threads, or (0) on the event loop. */
export function reviewsFromEnv(
  env: Record<string, string | undefined>,
  log: ReviewLogger,
): {
  review: ReviewPool['review'];
  pool: ReviewPool | null;
} {
  const threads = reviewThreadsFromEnv(env);
  if (threads === 0) return { review: runReview, pool: null };
  const pool = createReviewPool(threads, log);
  return { review: pool.review, pool };
}

/** `log` hears of threads that fail outside any review (a review's own failure is its caller's). */
export function createReviewPool(threads: number, log: ReviewLogger = silent): ReviewPool {
  const pool = new Piscina<PoolTask, ReviewOutcome>({
    ...workerEntry(),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: ANALYSES_PER_THREAD,
    // Analysis can wait a little; webhooks should not. Where the OS allows (Linux, macOS: the optional
    // native @napi-rs/nice), the threads run at a lower priority than the event loop.
    niceIncrement: ANALYSIS_NICENESS,
  });
  // Unheard, an idle thread's failure would be thrown on the event loop; the thread is replaced anyway.
  pool.on('error', (error: unknown) => log.error({ err: String(error) }, 'review thread failed'));
  return {
    threads,
    review: (target, reader, { log = silent, ...options } = {}) =>
      reviewWith(
        async (inputs, from, portable) => {
          const { port1, port2 } = new MessageChannel();
          const finished = serveReader(port1, from, log);
          try {
            const outcome = await pool.run(
              { inputs, options: portable, port: port2 },
              { transferList: [port2] },
            );
            // The outcome can overtake the analysis's last log lines, which travel on the other port.
            await finished;
            return outcome;
          } finally {
            port1.close();
          }
        },
        target,
        reader,
        options,
      ),
    close: (options) => pool.close(options),
  };
}

/**
 * The thread's entry beside this module: compiled JavaScript in `dist/`, TypeScript when jitterbot
 * runs from source (tests, tsx), where the thread needs tsx's loader to import it.
 */
function workerEntry(): { filename: string; execArgv?: string[] } {
  const source = import.meta.url.endsWith('.ts');
  const filename = new URL(source ? './pool-worker.ts' : './pool-worker.js', import.meta.url).href;
  if (!source) return { filename };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename, execArgv: [...process.execArgv, '--import', tsx] };
}
