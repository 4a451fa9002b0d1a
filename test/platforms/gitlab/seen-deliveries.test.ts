import { describe, expect, it } from 'vitest';
import { SeenDeliveries } from '../../../src/platforms/gitlab/seen-deliveries.js';

describe('SeenDeliveries', () => {
  it('forgets ids after the TTL', () => {
    let now = 0;
    const seen = new SeenDeliveries({ ttlMs: 1_000, now: () => now });
    seen.add('a');
    now = 999;
    expect(seen.has('a')).toBe(true);
    now = 1_000;
    expect(seen.has('a')).toBe(false);
  });

  it('keeps at most maxEntries, forgetting the oldest first', () => {
    const seen = new SeenDeliveries({ maxEntries: 2 });
    seen.add('a');
    seen.add('b');
    seen.add('a');
    seen.add('c');
    expect([seen.has('a'), seen.has('b'), seen.has('c')]).toEqual([true, false, true]);
    expect(seen.size).toBe(2);
  });
});
