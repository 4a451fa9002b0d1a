import { describe, expect, it } from 'vitest';
import { batched } from '../src/queue/batch.js';

describe('batched', () => {
  it('sends the calls of one event-loop round together and answers each its own result', async () => {
    const batches: number[][] = [];
    const double = batched(async (items: number[]) => {
      batches.push(items);
      return items.map((item) => item * 2);
    });
    const first = await Promise.all([double(1), double(2), double(3)]);
    const later = await double(4);
    expect(first).toEqual([2, 4, 6]);
    expect(later).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('sends at once when maxItems calls wait', async () => {
    const batches: number[][] = [];
    const echo = batched(async (items: number[]) => (batches.push(items), items), 2);
    await Promise.all([echo(1), echo(2), echo(3)]);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('fails every call of a batch whose send fails, or answers the wrong number of results', async () => {
    const failing = batched(async (): Promise<number[]> => {
      throw new Error('redis down');
    });
    const results = await Promise.allSettled([failing(1), failing(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('redis down'));

    const short = batched(async (items: number[]) => items.slice(1));
    await expect(Promise.all([short(1), short(2)])).rejects.toThrow('batch of 2 answered with 1 results');

    const throwing = batched((): Promise<number[]> => {
      throw new Error('sync throw');
    });
    await expect(throwing(1)).rejects.toThrow('sync throw');
  });
});
