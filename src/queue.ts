/**
 * The in-process scheduler under the in-process job queue (src/queue/memory.ts): bounded concurrency,
 * bounded length, and one job per key at a time. A job whose key is running waits, however many
 * workers are free, and a newer job for a key that waits replaces it — so two reviews of one pull
 * request never run at once (both would find no earlier comment and post the same ones twice), and a
 * burst of pushes costs one more review, not one per push.
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
  /** In arrival order; at most one entry per key (a newer job replaces the entry's `run`). */
  private readonly waiting: Waiting[] = [];
  private readonly waitingByKey = new Map<string, Waiting>();
  private readonly runningKeys = new Set<string>();
  private idleResolvers: (() => void)[] = [];
  private readonly options: QueueOptions;

  constructor(options: Partial<QueueOptions> = {}) {
    this.options = { ...DEFAULT_QUEUE_OPTIONS, ...options };
  }

  /** `key` identifies the review target (e.g. `github:owner/repo#12`); a waiting job with the same key is replaced. */
  enqueue(key: string, run: () => Promise<void>): EnqueueResult {
    const existing = this.waitingByKey.get(key);
    if (existing) {
      existing.run = run;
      return 'coalesced';
    }
    if (this.waiting.length >= this.options.maxWaiting) return 'full';
    const job = { key, run };
    this.waiting.push(job);
    this.waitingByKey.set(key, job);
    this.pump();
    return 'queued';
  }

  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.runningKeys.size;
  }

  /** Keys waiting or running, for a shutdown report. */
  keys(): string[] {
    return [...this.runningKeys, ...this.waiting.map((job) => job.key)];
  }

  /** Resolves when nothing is waiting or running (tests, graceful shutdown). */
  onIdle(): Promise<void> {
    if (this.runningKeys.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private pump(): void {
    while (this.runningKeys.size < this.options.concurrency) {
      // The oldest job whose key is free; jobs behind a running key keep their place.
      const index = this.waiting.findIndex((job) => !this.runningKeys.has(job.key));
      if (index === -1) return;
      const job = this.waiting.splice(index, 1)[0]!;
      this.waitingByKey.delete(job.key);
      this.runningKeys.add(job.key);
      // Start on a later tick: a job reads what it reviews when it starts, so the rest of a burst of
      // enqueues for its key still joins it.
      setImmediate(() => {
        job
          .run()
          .catch((error: unknown) => this.options.onError?.(job.key, error))
          .finally(() => {
            this.runningKeys.delete(job.key);
            this.pump();
            if (this.runningKeys.size === 0 && this.waiting.length === 0) {
              const resolvers = this.idleResolvers;
              this.idleResolvers = [];
              for (const resolve of resolvers) resolve();
            }
          });
      });
    }
  }
}
