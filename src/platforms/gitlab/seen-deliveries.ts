/**
 * Delivery ids seen recently, so a redelivered webhook does not start a second review. Bounded in both
 * size and age: the oldest ids are forgotten first, and an id older than the TTL counts as new.
 */
export interface SeenDeliveriesOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

// GitLab keeps "Recent events" (and so manual "Resend request") for two days.
export const DEFAULT_SEEN_DELIVERIES: SeenDeliveriesOptions = {
  maxEntries: 10_000,
  ttlMs: 48 * 60 * 60 * 1000,
};

export class SeenDeliveries {
  /** id → expiry; a Map iterates in insertion order, which makes the oldest entry the first one. */
  private readonly expiries = new Map<string, number>();
  private readonly options: SeenDeliveriesOptions;

  constructor(options: Partial<SeenDeliveriesOptions> = {}) {
    this.options = { ...DEFAULT_SEEN_DELIVERIES, ...options };
  }

  has(id: string): boolean {
    const expiry = this.expiries.get(id);
    if (expiry === undefined) return false;
    if (expiry <= this.now()) {
      this.expiries.delete(id);
      return false;
    }
    return true;
  }

  add(id: string): void {
    this.expiries.delete(id);
    this.expiries.set(id, this.now() + this.options.ttlMs);
    while (this.expiries.size > this.options.maxEntries) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
  }

  get size(): number {
    return this.expiries.size;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
