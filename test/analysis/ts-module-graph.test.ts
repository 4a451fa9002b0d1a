import { describe, expect, it } from 'vitest';
import { MAX_CACHED_CHARACTERS, ModuleGraph } from '../../src/analysis/languages/ts/modules.js';

/** A host of generated modules that counts how often each is read. */
function countingHost(sizes: Record<string, number>) {
  const reads = new Map<string, number>();
  const host = {
    async read(path: string) {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      const size = sizes[path];
      return size === undefined ? null : `export const x = 1;\n${'// padding\n'.repeat(size / 11)}`;
    },
  };
  return { host, reads };
}

describe('ModuleGraph tree cache', () => {
  it('keeps small modules parsed for reuse', async () => {
    const { host, reads } = countingHost({ 'a.ts': 1_000, 'b.ts': 1_000, 'c.ts': 1_000 });
    const graph = new ModuleGraph(host);
    for (const path of ['a.ts', 'b.ts', 'c.ts', 'a.ts']) await graph.source(path);
    expect(reads.get('a.ts')).toBe(1);
  });

  it('drops the oldest trees once they span more source than the bound, never the newest', async () => {
    const large = Math.ceil(MAX_CACHED_CHARACTERS * 0.6);
    const { host, reads } = countingHost({ 'big1.js': large, 'big2.js': large, 'huge.js': large * 2 });
    const graph = new ModuleGraph(host);
    await graph.source('big1.js');
    await graph.source('big2.js');
    // Let the cache weigh the settled trees.
    await new Promise((resolve) => setImmediate(resolve));
    expect((await graph.source('big2.js'))?.text.length).toBeGreaterThan(large - 20);
    await graph.source('big1.js');
    expect(reads.get('big2.js')).toBe(1);
    expect(reads.get('big1.js')).toBe(2);
    await graph.source('huge.js');
    await new Promise((resolve) => setImmediate(resolve));
    await graph.source('huge.js');
    expect(reads.get('huge.js')).toBe(1);
  });
});
