import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { createAnalyzers } from '../../src/analysis/registry.js';
import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RepoReader } from '../../src/platforms/types.js';
import { analyzePaths, filterOptionsFrom } from '../../src/review/analyze.js';

const RETRY = `
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function get(url: string) {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fetch(url);
    } catch {
      await sleep(5000);
    }
  }
}
`;

function memoryReader(files: Record<string, string | null>): RepoReader {
  return {
    read: async (path) => files[path] ?? null,
    list: async () => Object.keys(files),
  };
}

async function analyse(path: string, text: string) {
  const host = { read: async (p: string) => (p === path ? text : null) };
  return new TypeScriptAnalyzer().analyze({ path, text }, host, DEFAULT_ANALYSIS_OPTIONS);
}

describe('bad input', () => {
  it('analyses a file with syntax errors as far as it parses', async () => {
    const broken = `function half( {\n  const x = ;\n}\n${RETRY}`;
    const findings = await analyse('src/broken.ts', broken);
    expect(findings.map((f) => [f.rule, f.range.startLine])).toEqual([['fixed-delay-retry', 11]]);
  });

  it('skips unreadable, binary, huge and minified files with a reason, and keeps going', async () => {
    const reader = memoryReader({
      'src/missing.ts': null,
      'src/binary.js': 'PK\u0003\u0004\u0000\u0000garbage',
      'src/huge.ts': `// ${'x'.repeat(1024 * 1024 + 10)}\n`,
      'src/bundle.js': `${'var a=1;'.repeat(2_000)}\n`,
      'src/ok.ts': RETRY,
    });
    const result = await analyzePaths({
      paths: await reader.list('head'),
      reader,
      ref: 'head',
      analyzers: createAnalyzers(),
      filter: filterOptionsFrom(DEFAULT_CONFIG),
      options: DEFAULT_ANALYSIS_OPTIONS,
    });
    expect(Object.fromEntries(result.skipped.map((s) => [s.path, s.reason.split(' ')[0]]))).toEqual({
      'src/missing.ts': 'could',
      'src/binary.js': 'binary',
      'src/huge.ts': 'larger',
      'src/bundle.js': 'minified',
    });
    expect(result.files.map((f) => f.path)).toEqual(['src/ok.ts']);
  });

  it('skips deeply nested code with a reason instead of crashing', async () => {
    const depth = 3_000;
    const nested = `${'if (a) {\n'.repeat(depth)}await sleep(1000);\n${'}\n'.repeat(depth)}`;
    const text = `const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nasync function f() {\nwhile (true) { try { g(); } catch (e) {\n${nested}} }\n}\n`;
    const reader = memoryReader({ 'src/deep.ts': text, 'src/ok.ts': RETRY });
    const result = await analyzePaths({
      paths: ['src/deep.ts', 'src/ok.ts'],
      reader,
      ref: 'head',
      analyzers: createAnalyzers(),
      filter: filterOptionsFrom(DEFAULT_CONFIG),
      options: DEFAULT_ANALYSIS_OPTIONS,
    });
    expect(result.skipped).toEqual([{ path: 'src/deep.ts', reason: 'nesting too deep to parse' }]);
    expect(result.files.map((f) => f.path)).toEqual(['src/ok.ts']);
  });

  it('refuses an absurdly deep expression instead of recursing without bound', async () => {
    const sum = Array.from({ length: 20_000 }, () => '1').join(' + ');
    const text = `const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nasync function f() {\n  for (;;) { try { await g(); return; } catch { await sleep(${sum}); } }\n}\n`;
    await expect(analyse('src/long.ts', text)).rejects.toThrow(/nested deeper than/);
  });

  it('does not follow imports out of the tree or through cycles', async () => {
    const files: Record<string, string> = {
      'src/a.ts': `export * from './b';\nexport const A = 1;`,
      'src/b.ts': `export * from './a';\n`,
      'src/main.ts': `import { DELAY } from './a';\nimport { X } from '../../../etc/passwd';\nconst sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nexport async function f() {\n  for (;;) { try { return await g(); } catch { await sleep(DELAY); await sleep(X); } }\n}\n`,
    };
    const host = { read: async (p: string) => files[p] ?? null };
    const findings = await new TypeScriptAnalyzer().analyze(
      { path: 'src/main.ts', text: files['src/main.ts']! },
      host,
      DEFAULT_ANALYSIS_OPTIONS,
    );
    expect(findings).toEqual([]);
  });
});
