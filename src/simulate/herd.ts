import { seededRandom } from './rng.js';
import type { Schedule } from './schedule.js';

/** Slot width when nobody says otherwise: two retries within 10 ms hit the service together. */
export const DEFAULT_SLOT_MS = 10;

/** Attempts per client, the failing first call included, unless told otherwise. */
export const DEFAULT_ATTEMPTS = 10;

/**
 * The service is assumed to absorb twice the load of the clients spread perfectly evenly over one
 * base delay: enough for jittered retries, far too little for a herd arriving in one slot.
 */
export const CAPACITY_HEADROOM = 2;

export interface HerdInput {
  clients: number;
  schedule: Schedule;
  /** Requests the service serves per slot; the rest fail and retry. */
  capacity: number;
  slotMs: number;
  /** Attempts per client including the first call, which fails for everyone at t = 0. */
  attempts: number;
  /** The original delay: the window over which a perfect spread would place the clients. */
  baseMs: number;
  seed: number;
}

export interface HerdResult {
  /** Most retries arriving in one slot. */
  peak: number;
  /** The peak if the clients were spread perfectly evenly over one base delay. */
  idealPeak: number;
  peakRatio: number;
  /** When the last client succeeded, or null when some gave up. */
  allSucceededAtMs: number | null;
  /** Calls made, the failing first calls included. */
  totalCalls: number;
  gaveUp: number;
  /** Retries per slot as sparse parallel arrays, sorted by slot. */
  arrivals: { slots: number[]; counts: number[] };
  /** One past the last slot with an arrival. */
  horizonSlots: number;
}

/** A min-heap of slot numbers: the next slot with arrivals, however sparse the timeline. */
class SlotQueue {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(value: number): void {
    const heap = this.heap;
    heap.push(value);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= value) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = value;
  }

  pop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
        if (heap[child]! >= last) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

/** Ideal peak: the clients spread evenly over one base delay, at least one per slot. */
export function idealPeak(clients: number, baseMs: number, slotMs: number): number {
  return Math.max(1, Math.ceil((clients * slotMs) / Math.max(baseMs, slotMs)));
}

/** Capacity per slot for a service with `CAPACITY_HEADROOM` over the ideal spread. */
export function defaultCapacity(clients: number, baseMs: number, slotMs: number): number {
  return Math.max(1, Math.ceil((CAPACITY_HEADROOM * clients * slotMs) / Math.max(baseMs, slotMs)));
}

/**
 * N clients fail at t = 0 and retry on `schedule` against a service that serves `capacity` requests
 * per slot; the rest fail again and wait for their next retry. Every call takes one slot to fail, so
 * a retry arrives one slot plus its wait after the call it repeats. Deterministic for a given seed.
 */
export function simulateHerd(input: HerdInput): HerdResult {
  const { clients, schedule, capacity, slotMs, attempts, seed } = input;
  const random = seededRandom(seed);
  const time = new Float64Array(clients);
  const retries = new Int32Array(clients);
  const buckets = new Map<number, number[]>();
  const queue = new SlotQueue();
  const arrivals = { slots: [] as number[], counts: [] as number[] };
  let totalCalls = clients;
  let gaveUp = 0;
  let lastSuccessSlot = -1;
  let peak = 0;

  const fail = (client: number, slot: number): void => {
    if (retries[client]! >= attempts - 1) {
      gaveUp += 1;
      return;
    }
    const attempt = retries[client]!;
    const wait = Math.max(0, schedule.delayMs({ attempt, clientIndex: client, random }));
    retries[client] = attempt + 1;
    // The failing call itself takes a slot, so the retry comes `wait` after the end of that slot.
    time[client] = time[client]! + slotMs + wait;
    const next = Math.max(slot + 1, Math.floor(time[client]! / slotMs));
    let bucket = buckets.get(next);
    if (bucket === undefined) {
      bucket = [];
      buckets.set(next, bucket);
      queue.push(next);
    }
    bucket.push(client);
  };

  for (let client = 0; client < clients; client += 1) fail(client, 0);
  while (queue.size > 0) {
    const slot = queue.pop();
    const arriving = buckets.get(slot)!;
    buckets.delete(slot);
    // Who gets served within a slot is luck: shuffle so no client index is favoured.
    for (let i = arriving.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [arriving[i], arriving[j]] = [arriving[j]!, arriving[i]!];
    }
    totalCalls += arriving.length;
    arrivals.slots.push(slot);
    arrivals.counts.push(arriving.length);
    peak = Math.max(peak, arriving.length);
    const served = Math.min(capacity, arriving.length);
    if (served > 0) lastSuccessSlot = slot;
    for (let i = served; i < arriving.length; i += 1) fail(arriving[i]!, slot);
  }
  const ideal = idealPeak(clients, input.baseMs, slotMs);
  const last = arrivals.slots[arrivals.slots.length - 1];
  return {
    peak,
    idealPeak: ideal,
    peakRatio: peak / ideal,
    allSucceededAtMs: gaveUp > 0 ? null : (lastSuccessSlot + 1) * slotMs,
    totalCalls,
    gaveUp,
    arrivals,
    horizonSlots: last === undefined ? 0 : last + 1,
  };
}

/** Retries per slot as a dense array of `length` slots (missing slots are 0). */
export function denseArrivals(result: HerdResult, length = result.horizonSlots): number[] {
  const dense = new Array<number>(length).fill(0);
  result.arrivals.slots.forEach((slot, i) => {
    if (slot < length) dense[slot] = result.arrivals.counts[i]!;
  });
  return dense;
}

/** The busiest slot within each of `width` equal intervals of `horizonSlots` slots. */
export function bucketPeaks(result: HerdResult, width: number, horizonSlots = result.horizonSlots): number[] {
  const peaks = new Array<number>(width).fill(0);
  if (horizonSlots <= 0) return peaks;
  result.arrivals.slots.forEach((slot, i) => {
    if (slot >= horizonSlots) return;
    const bucket = Math.min(width - 1, Math.floor((slot * width) / horizonSlots));
    peaks[bucket] = Math.max(peaks[bucket]!, result.arrivals.counts[i]!);
  });
  return peaks;
}
