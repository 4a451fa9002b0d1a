import { describe, expect, it } from 'vitest';
import { BoundedRepoReader, type RawRepoAccess } from '../../src/platforms/bounded-reader.js';

const BUDGET = { maxFiles: 2, maxBytes: 1024 * 1024, maxFileBytes: 1024, maxListed: 1000 };

function access(files: Record<string, string>): RawRepoAccess {
  return {
    fetch: async (path) => files[path] ?? null,
    listAll: async () => Object.keys(files),
  };
}

describe('the read budget', () => {
  it('is not spent on files that are not there', async () => {
    const reader = new BoundedRepoReader(access({ 'a.ts': 'a', 'b.ts': 'b' }), BUDGET);
    for (const candidate of ['a.tsx', 'a.d.ts', 'a/index.ts'])
      expect(await reader.read(candidate, 'head')).toBeNull();
    expect(await reader.read('a.ts', 'head')).toBe('a');
    expect(await reader.read('b.ts', 'head')).toBe('b');
    expect(reader.report()).toMatchObject({ filesRead: 2, refused: [] });
  });

  it('holds when many reads start at once', async () => {
    const files = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((name) => [`${name}.ts`, name]));
    const reader = new BoundedRepoReader(access(files), BUDGET);
    const read = await Promise.all(Object.keys(files).map((path) => reader.read(path, 'head')));
    expect(read.filter((content) => content !== null)).toHaveLength(2);
    expect(reader.report().refused.map((refusal) => refusal.reason)).toEqual([
      'file budget exhausted',
      'file budget exhausted',
      'file budget exhausted',
    ]);
  });
});
