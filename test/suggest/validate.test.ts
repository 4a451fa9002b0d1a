import { describe, expect, it } from 'vitest';
import { validatePatch, validatePatches } from '../../src/suggest/validate.js';
import { loadLanguage } from '../../src/analysis/languages/tree-sitter/runtime.js';

const TS = `import { sleep } from './sleep.js';

export async function run(attempt: number): Promise<void> {
  await sleep(1000);
}
`;
const replaceDelay = (text: string, newText: string) => [
  { start: text.indexOf('1000'), end: text.indexOf('1000') + 4, newText },
];

describe('validatePatch', () => {
  it('accepts a patch that parses and type-checks', () => {
    const result = validatePatch(
      'src/run.ts',
      'typescript',
      TS,
      replaceDelay(TS, 'Math.random() * Math.min(30000, 1000 * 2 ** attempt)'),
    );
    expect(result).toMatchObject({ valid: true });
    expect(result.valid && result.patched).toContain(
      'await sleep(Math.random() * Math.min(30000, 1000 * 2 ** attempt));',
    );
  });

  it('rejects a patch that does not parse', () => {
    const result = validatePatch('src/run.ts', 'typescript', TS, replaceDelay(TS, 'Math.random() *'));
    expect(result.valid).toBe(false);
    expect(!result.valid && result.reason).toMatch(/new error on line 4: Expression expected/);
  });

  it('rejects a patch that adds a type error', () => {
    const result = validatePatch('src/run.ts', 'typescript', TS, replaceDelay(TS, 'Math.random() * tries'));
    expect(result.valid).toBe(false);
    expect(!result.valid && result.reason).toMatch(/Cannot find name 'tries'/);
  });

  it('does not blame a patch for errors the file already had', () => {
    const broken = `${TS}const wrong: number = 'text';\n`;
    expect(
      validatePatch('src/run.ts', 'typescript', broken, replaceDelay(broken, 'Math.random() * 1000')).valid,
    ).toBe(true);
  });

  it('ignores unresolvable imports, which an isolated check cannot see', () => {
    const edits = [
      ...replaceDelay(TS, 'backoff(attempt)'),
      { start: 0, end: 0, newText: "import { backoff } from '../lib/backoff.js';\n" },
    ];
    expect(validatePatch('src/run.ts', 'typescript', TS, edits).valid).toBe(true);
  });

  it('knows the Node globals most files name, and still rejects a name a patch invents', () => {
    const node = `import { sleep } from './sleep.js';

export async function poll(url: string, attempt: number): Promise<string> {
  const body = Buffer.from(await (await fetch(url)).text());
  setImmediate(() => queueMicrotask(() => clearInterval(setInterval(() => undefined, 10))));
  await sleep(1000);
  return body.toString() + __dirname;
}
`;
    const jittered = validatePatch(
      'src/poll.ts',
      'typescript',
      node,
      replaceDelay(node, 'Math.random() * Math.min(30000, 1000 * 2 ** attempt)'),
    );
    expect(jittered.valid).toBe(true);
    const invented = validatePatch('src/poll.ts', 'typescript', node, replaceDelay(node, 'jitter(1000)'));
    expect(!invented.valid && invented.reason).toMatch(/Cannot find name 'jitter'/);
    // A file that names none of them: a patch that adds one is not blamed for it.
    const adds = validatePatch(
      'src/run.ts',
      'typescript',
      TS,
      replaceDelay(TS, 'Buffer.byteLength(__dirname) % 1000'),
    );
    expect(adds.valid).toBe(true);
  });

  it('checks JavaScript and knows Node globals a patch may add', () => {
    const js = `const { sleep } = require('./sleep');\nasync function run() {\n  await sleep(1000);\n}\nmodule.exports = { run };\n`;
    const golden = '((Number(process.env.POD_INDEX ?? 0) * 0.6180339887498949) % 1) * 1000';
    expect(validatePatch('lib/run.cjs', 'javascript', js, replaceDelay(js, golden)).valid).toBe(true);
    expect(validatePatch('lib/run.cjs', 'javascript', js, replaceDelay(js, '1000 +')).valid).toBe(false);
  });

  it('parses TSX files as TSX', () => {
    const tsx = `export const View = () => <div>{String(1000)}</div>;\n`;
    expect(
      validatePatch('src/view.tsx', 'typescript', tsx, replaceDelay(tsx, 'Math.random() * 1000')).valid,
    ).toBe(true);
  });

  it('rejects overlapping edits, edits outside the file and patches that change nothing', () => {
    const overlapping = [
      { start: 0, end: 10, newText: '' },
      { start: 5, end: 12, newText: '' },
    ];
    expect(validatePatch('a.ts', 'typescript', TS, overlapping)).toEqual({
      valid: false,
      reason: 'the patch edits the same text twice',
    });
    expect(
      validatePatch('a.ts', 'typescript', TS, [{ start: 0, end: TS.length + 5, newText: '' }]).valid,
    ).toBe(false);
    expect(validatePatch('a.ts', 'typescript', TS, replaceDelay(TS, '1000'))).toEqual({
      valid: false,
      reason: 'the patch changes nothing',
    });
  });

  it('refuses a Python patch that no longer parses', async () => {
    // Grammars load lazily; analysis loads them before any patch of that language exists.
    await loadLanguage('python');
    const py = 'import time\ntime.sleep(5)\n';
    const start = py.indexOf('5');
    expect(
      validatePatch('a.py', 'python', py, [{ start, end: start + 1, newText: 'random.uniform(0, 5' }]).valid,
    ).toBe(false);
    expect(
      validatePatch('a.py', 'python', py, [{ start, end: start + 1, newText: 'random.uniform(0, 5)' }]).valid,
    ).toBe(true);
  });

  it('re-parses Kotlin patches', async () => {
    await loadLanguage('kotlin');
    const kt = 'fun f() {\n  Thread.sleep(5000)\n}\n';
    const start = kt.indexOf('5000');
    expect(
      validatePatch('a.kt', 'kotlin', kt, [{ start, end: start + 4, newText: 'Random.nextLong(5000' }]).valid,
    ).toBe(false);
    expect(
      validatePatch('a.kt', 'kotlin', kt, [{ start, end: start + 4, newText: 'Random.nextLong(5000)' }])
        .valid,
    ).toBe(true);
  });
});

describe('validatePatches', () => {
  const request = (path: string, original: string, newText: string) => ({
    path,
    language: 'typescript' as const,
    original,
    edits: replaceDelay(original, newText),
  });

  it('gives each patch of a shared program the verdict it gets alone', () => {
    const broken = `${TS}const wrong: number = 'text';\n`;
    const requests = [
      request('src/a.ts', TS, 'Math.random() * 1000'),
      request('src/b.ts', TS, 'Math.random() * tries'),
      request('src/c.ts', broken, 'Math.random() * 1000'),
      request('src/d.ts', broken, 'Math.random() *'),
    ];
    const together = validatePatches(requests);
    const alone = requests.map((r) => validatePatch(r.path, r.language, r.original, r.edits));
    expect(together).toEqual(alone);
    expect(together.map((verdict) => verdict.valid)).toEqual([true, false, true, false]);
  });

  it('checks a file that declares globals in a program of its own', () => {
    // Shared with the other file, its `tries` would make the other patch type-check.
    const declaring = `${TS}declare global {\n  var tries: number;\n}\n`;
    const verdicts = validatePatches([
      request('src/globals.ts', declaring, 'Math.random() * tries'),
      request('src/run.ts', TS, 'Math.random() * tries'),
    ]);
    expect(verdicts.map((verdict) => verdict.valid)).toEqual([true, false]);
  });
});
