import { describe, expect, it } from 'vitest';
import type { ModuleHost } from '../../../src/analysis/analyzer.js';
import type { FileFacts } from '../../../src/analysis/flow/ir.js';
import { MAX_CACHED_CHARS, Program, type FrontEnd } from '../../../src/analysis/flow/program.js';

/**
 * The facts a review keeps: every lookup of a file already extracted is served from memory while the
 * source it was extracted from fits the budget, however many files that is; past the budget, the
 * least recently used go first.
 */

function program(texts: Map<string, string>): { program: Program; extracted: string[] } {
  const extracted: string[] = [];
  const host: ModuleHost = { read: async (path) => texts.get(path) ?? null };
  const front: FrontEnd = {
    extensions: ['.x'],
    extract: async (path) => {
      extracted.push(path);
      return { path, imports: [], functions: [], classes: [], assignments: [], calls: [] };
    },
    modulePaths: (_from, module) => [module],
    submodule: (module, name) => `${module}/${name}`,
  };
  return { program: new Program(host, front), extracted };
}

function files(count: number, chars: number): Map<string, string> {
  const text = 'x'.repeat(chars);
  return new Map(Array.from({ length: count }, (_, i) => [`m${i}.x`, `${i}${text}`]));
}

describe('facts cache', () => {
  it('extracts each of a thousand small files once, however often they are looked up', async () => {
    const texts = files(1000, 2_000);
    const { program: p, extracted } = program(texts);
    for (let round = 0; round < 3; round += 1) for (const path of texts.keys()) await p.facts(path);
    expect(extracted).toHaveLength(1000);
  });

  it('drops the least recently used facts once their source passes the budget', async () => {
    // Files just under the indexing limit, enough to pass the budget by two.
    const size = 500 * 1024;
    const count = Math.floor(MAX_CACHED_CHARS / size) + 2;
    const texts = files(count, size);
    const { program: p, extracted } = program(texts);
    for (const path of texts.keys()) await p.facts(path);
    expect(extracted).toHaveLength(count);
    // The newest are still held; the first two were dropped and are read again.
    await p.facts(`m${count - 1}.x`);
    expect(extracted).toHaveLength(count);
    await p.facts('m0.x');
    expect(extracted).toHaveLength(count + 1);
  });

  it('counts the facts of an analysed file by its source', async () => {
    const size = 500 * 1024;
    const count = Math.floor(MAX_CACHED_CHARS / size);
    const texts = files(count, size);
    const { program: p, extracted } = program(texts);
    for (const path of texts.keys()) await p.facts(path);
    // An analysed file as big as the whole budget leaves room for nothing else.
    const analysed: FileFacts = {
      path: 'big.x',
      imports: [],
      functions: [],
      classes: [],
      assignments: [],
      calls: [],
    };
    p.put(analysed, MAX_CACHED_CHARS);
    expect(await p.held('big.x')).toBe(analysed);
    expect(p.held(`m${count - 1}.x`)).toBeUndefined();
    await p.facts('m0.x');
    expect(extracted).toHaveLength(count + 1);
  });
});
