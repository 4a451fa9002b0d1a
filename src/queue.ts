/**
 * In-process review queue: bounded concurrency, bounded length, and coalescing by key — a newer push to
 * the same pull request replaces a job for it that has not started yet. Webhook handlers enqueue and
 * return at once, so the platform gets its answer in milliseconds whatever the review costs.
 */
export interface QueueOptions {
  concurrency: number;
  /** Waiting jobs beyond this are refused; callers answer 503 so the platform redelivers later. */
  maxWaiting: number;
  onError?: (key: string, error: unknown) => void;
}

export const DEFAULT_QUEUE_OPTIONS: QueueOptions = { concurrency: 2, maxWaiting: 1_000 };

export type EnqueueResult = 'queued' | 'coalesced' | 'full';

interface Waiting {
  key: string;
  run: () => Promise<void>;
}

export class ReviewQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private idleResolvers: (() => void)[] = [];
  private readonly options: QueueOptions;

  constructor(options: Partial<QueueOptions> = {}) {
    this.options = { ...DEFAULT_QUEUE_OPTIONS, ...options };
  }

  /** `key` identifies the review target (e.g. `github:owner/repo#12`); a waiting job with the same key is replaced. */
  enqueue(key: string, run: () => Promise<void>): EnqueueResult {
    const existing = this.waiting.find((job) => job.key === key);
    if (existing) {
      existing.run = run;
      return 'coalesced';
    }
    if (this.waiting.length >= this.options.maxWaiting) return 'full';
    this.waiting.push({ key, run });
    this.pump();
    return 'queued';
  }

  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  /** Resolves when nothing is waiting or running (tests, graceful shutdown). */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      // Start on a later tick so a burst of enqueues for one key coalesces before any of them runs.
      setImmediate(() => {
        job
          .run()
          .catch((error: unknown) => this.options.onError?.(job.key, error))
          .finally(() => {
            this.running -= 1;
            this.pump();
            if (this.running === 0 && this.waiting.length === 0) {
              const resolvers = this.idleResolvers;
              this.idleResolvers = [];
              for (const resolve of resolvers) resolve();
            }
          });
      });
    }
  }
}
