import { describe, expect, it } from 'vitest';
import type { ModuleHost } from '../../../src/analysis/analyzer.js';
import type { CallFact, FileFacts } from '../../../src/analysis/flow/ir.js';
import { factsWeight, MAX_CACHED_BYTES, Program, type FrontEnd } from '../../../src/analysis/flow/program.js';

/**
 * The facts a review keeps: every lookup of a file already extracted is served from memory while the
 * facts fit the budget, however many files that is; past the budget, the least recently used go first.
 */

const CALL: CallFact = {
  callee: { k: 'name', name: 'f', line: 1 },
  calleeName: 'f',
  args: [],
  named: [],
  line: 1,
  spread: false,
};

/** What one call adds to a file's weight. */
const PER_CALL = factsWeight(factsWith('x', 1)) - factsWeight(factsWith('x', 0));

function factsWith(path: string, calls: number): FileFacts {
  return {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: Array.from({ length: calls }, () => CALL),
  };
}

/** A repository of files `m0.x`, `m1.x`, … whose facts hold `calls` calls each. */
function program(calls: number): { program: Program; extracted: string[] } {
  const extracted: string[] = [];
  const host: ModuleHost = { read: async (path) => (/^m\d+\.x$/.test(path) ? `// ${path}` : null) };
  const front: FrontEnd = {
    extensions: ['.x'],
    extract: async (path) => {
      extracted.push(path);
      return factsWith(path, calls);
    },
    modulePaths: (_from, module) => [module],
    submodule: (module, name) => `${module}/${name}`,
  };
  return { program: new Program(host, front), extracted };
}

describe('facts cache', () => {
  it('extracts each of a thousand small files once, however often they are looked up', async () => {
    const { program: p, extracted } = program(20);
    for (let round = 0; round < 3; round += 1) for (let i = 0; i < 1000; i += 1) await p.facts(`m${i}.x`);
    expect(extracted).toHaveLength(1000);
  });

  it('drops the least recently used facts once they pass the budget', async () => {
    // Each file's facts weigh a tenth of the budget: the twelfth file pushes out the first two.
    const calls = Math.ceil(MAX_CACHED_BYTES / 10 / PER_CALL);
    const { program: p, extracted } = program(calls);
    for (let i = 0; i < 12; i += 1) await p.facts(`m${i}.x`);
    expect(extracted).toHaveLength(12);
    await p.facts('m11.x');
    await p.facts('m3.x');
    expect(extracted).toHaveLength(12);
    await p.facts('m0.x');
    expect(extracted).toHaveLength(13);
  });

  it('weighs the facts of an analysed file too', async () => {
    const { program: p, extracted } = program(10);
    for (let i = 0; i < 20; i += 1) await p.facts(`m${i}.x`);
    // An analysed file whose facts fill the whole budget leaves room for nothing else.
    const calls = Math.ceil(MAX_CACHED_BYTES / PER_CALL);
    const analysed = factsWith('big.x', calls);
    p.put(analysed);
    expect(await p.held('big.x')).toBe(analysed);
    expect(p.held('m19.x')).toBeUndefined();
    await p.facts('m0.x');
    expect(extracted).toHaveLength(21);
  });
});

describe('call index', () => {
  it('reads again only the files that call a name, not every file that spells it', async () => {
    // Thirty files define a `retry` of their own; one calls it. Each file's facts weigh a tenth of
    // the budget, so none is still held when the same name is asked for again.
    const heavy = Math.ceil(MAX_CACHED_BYTES / 10 / PER_CALL);
    const texts = new Map<string, string>([['caller.x', 'retry(5)']]);
    for (let i = 0; i < 30; i += 1) texts.set(`def${i}.x`, 'def retry(n) {}');
    const extracted: string[] = [];
    const host: ModuleHost = {
      read: async (path) => texts.get(path) ?? null,
      files: async () => [...texts.keys()],
    };
    const retryCall: CallFact = {
      ...CALL,
      callee: { k: 'name', name: 'retry', line: 1 },
      calleeName: 'retry',
    };
    const front: FrontEnd = {
      extensions: ['.x'],
      extract: async (path) => {
        extracted.push(path);
        const facts = factsWith(path, heavy);
        if (path === 'caller.x') facts.calls = [retryCall, ...facts.calls];
        return facts;
      },
      modulePaths: (_from, module) => [module],
      submodule: (module, name) => `${module}/${name}`,
    };
    const p = new Program(host, front);
    const within = factsWith('elsewhere.x', 0);
    expect((await p.callsNamed('retry', within)).map((site) => site.facts.path)).toEqual(['caller.x']);
    expect(extracted).toHaveLength(31);
    expect((await p.callsNamed('retry', within)).map((site) => site.facts.path)).toEqual(['caller.x']);
    expect(extracted).toHaveLength(32);
  });
});

describe('package index', () => {
  it('reads again only the mate that declares a name, not every mate that spells it', async () => {
    const heavy = Math.ceil(MAX_CACHED_BYTES / 10 / PER_CALL);
    const texts = new Map<string, string>([['pkg/config.x', 'var RetryWait = 5']]);
    for (let i = 0; i < 30; i += 1) texts.set(`pkg/use${i}.x`, 'sleep(RetryWait)');
    const extracted: string[] = [];
    const host: ModuleHost = {
      read: async (path) => texts.get(path) ?? null,
      list: async () => [...texts.keys()],
      files: async () => [...texts.keys()],
    };
    const front: FrontEnd = {
      extensions: ['.x'],
      extract: async (path) => {
        extracted.push(path);
        const facts = { ...factsWith(path, heavy), packageName: 'pkg' };
        if (path === 'pkg/config.x')
          facts.assignments = [
            { target: { kind: 'name', name: 'RetryWait' }, op: '=', value: { k: 'num', value: 5 }, line: 1 },
          ];
        return facts;
      },
      modulePaths: (_from, module) => [module],
      submodule: (module, name) => `${module}/${name}`,
      packageMates: (path, listing) => listing.filter((p) => p !== path),
    };
    const p = new Program(host, front);
    const within = { ...factsWith('pkg/main.x', 0), packageName: 'pkg' };
    const declaring = async () => (await p.packageDeclaring(within, 'n:RetryWait')).map((f) => f.path);
    expect(await declaring()).toEqual(['pkg/config.x']);
    expect(extracted).toHaveLength(31);
    expect(await declaring()).toEqual(['pkg/config.x']);
    expect(extracted).toHaveLength(32);
  });
});
