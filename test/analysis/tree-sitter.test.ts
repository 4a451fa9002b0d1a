import { describe, expect, it } from 'vitest';
import { UnanalysableFile } from '../../src/analysis/analyzer.js';
import {
  constMs,
  foldBinary,
  numericLiteral,
  scaled,
  unitMs,
} from '../../src/analysis/languages/tree-sitter/durations.js';
import {
  captures,
  loadLanguage,
  loadedLanguage,
  parse,
  ParseTimeExceeded,
  rangeOf,
  reparseVerdict,
  syntaxErrorCount,
  withLoadedTree,
  withTree,
  type Node,
} from '../../src/analysis/languages/tree-sitter/runtime.js';
import { withFragment } from '../../src/analysis/languages/tree-sitter/modules.js';
import {
  ancestorPath,
  ancestors,
  descendantsOfTypes,
  enclosingLoop,
  lineage,
  nodeSpanning,
  some,
} from '../../src/analysis/languages/tree-sitter/syntax.js';

/** Every node with its type, offsets and points: two trees with the same layout are the same tree. */
function layout(node: Node): string[] {
  const { row, column } = node.startPosition;
  const end = node.endPosition;
  const own = `${node.type} ${node.startIndex}-${node.endIndex} ${row}:${column}-${end.row}:${end.column}`;
  return [own, ...node.children.flatMap((child) => (child ? layout(child) : []))];
}

describe('tree-sitter runtime', () => {
  it('loads a grammar once and shares it', async () => {
    const [a, b] = await Promise.all([loadLanguage('python'), loadLanguage('python')]);
    expect(a).toBe(b);
    expect(loadedLanguage('python')).toBe(a);
    expect(a.name).toBe('python');
  });

  it('reports ranges in UTF-16 units with 1-based lines and columns, like the TS analyzer', async () => {
    const text = 'label = "é😀"\ntime.sleep(5)\n';
    await withTree('python', text, (tree) => {
      const [call] = captures(tree.rootNode, '(call) @call').map((c) => c.node);
      const range = rangeOf(call!);
      expect(text.slice(range.startOffset, range.endOffset)).toBe('time.sleep(5)');
      expect(range).toMatchObject({ startLine: 2, startColumn: 1, endLine: 2, endColumn: 14 });
      const [literal] = captures(tree.rootNode, '(string) @s').map((c) => c.node);
      const stringRange = rangeOf(literal!);
      expect(text.slice(stringRange.startOffset, stringRange.endOffset)).toBe('"é😀"');
      expect(stringRange.endColumn).toBe(text.indexOf('\n') + 1);
    });
  });

  it('gives up on a parse that exceeds its time limit, and the parser still works afterwards', async () => {
    const huge = 'x = [' + '1, '.repeat(400_000) + ']\n';
    const error = await parse('python', huge, { timeLimitMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseTimeExceeded);
    expect(error).toBeInstanceOf(UnanalysableFile);
    const count = await withTree('python', 'y = 2\n', (tree) => tree.rootNode.text);
    expect(count).toBe('y = 2\n');
  });

  it('counts syntax errors and judges a re-parse', async () => {
    await loadLanguage('go');
    const good = 'package main\nfunc f() { g(1) }\n';
    const bad = 'package main\nfunc f() { g(1 }\n';
    await withTree('go', bad, (tree) => expect(syntaxErrorCount(tree)).toBeGreaterThan(0));
    await withTree('go', good, (tree) => expect(syntaxErrorCount(tree)).toBe(0));
    expect(reparseVerdict('go', good, good.replace('g(1)', 'g(2)'))).toEqual({ valid: true });
    expect(reparseVerdict('go', good, bad).valid).toBe(false);
  });

  it('parses a patched text from its original, to the same tree a fresh parse gives', async () => {
    await loadLanguage('go');
    // Characters beyond one UTF-16 unit before and after the edit: indexes and columns are code units.
    const original = 'package main\n\n// café ☕ 🚀\nfunc f() {\n\tg("é🚀", 1)\n\th(2) // ☕\n}\n';
    const patches = [
      original.replace('g("é🚀", 1)', 'g("é🚀", rand.Intn(1))'),
      original.replace('g("é🚀", 1)', 'g("é🚀", rand.Intn(1)'),
      original.replace('\th(2)', '\th(2)\n\tk("🚀")'),
      original.replace('func f() {\n', ''),
    ];
    for (const patched of patches) {
      const verdict = reparseVerdict('go', original, patched);
      const incremental = withLoadedTree('go', patched, (tree) => layout(tree.rootNode));
      const fresh = await withTree('go', patched, (tree) => [layout(tree.rootNode), syntaxErrorCount(tree)]);
      expect(incremental).toEqual(fresh[0]);
      expect(verdict.valid).toBe(fresh[1] === 0);
    }
  });

  it('keeps a tree in use while nested callers parse many other texts', async () => {
    await loadLanguage('go');
    const outer = 'package main\nfunc outer() {}\n';
    const seen = withLoadedTree('go', outer, (tree) => {
      for (let i = 0; i < 20; i += 1) withLoadedTree('go', `package main\nfunc f${i}() {}\n`, () => i);
      return tree.rootNode.text;
    });
    expect(seen).toBe(outer);
    expect(withLoadedTree('go', outer, (tree) => syntaxErrorCount(tree))).toBe(0);
  });

  it('searches without recursion and finds enclosing loops within a function', async () => {
    const depth = 3_000;
    const nested = `x = ${'('.repeat(depth)}1${')'.repeat(depth)}\n`;
    await withTree('python', nested, (tree) => {
      expect(some(tree.rootNode, (node) => node.type === 'integer')).toBe(true);
    });
    const text = 'while True:\n    def f():\n        time.sleep(1)\n    for i in r:\n        time.sleep(2)\n';
    await withTree('python', text, (tree) => {
      const calls = descendantsOfTypes(tree.rootNode, new Set(['call']));
      const loops = new Set(['while_statement', 'for_statement']);
      const functions = new Set(['function_definition']);
      expect(enclosingLoop(calls[0]!, loops, functions)).toBeNull();
      expect(enclosingLoop(calls[1]!, loops, functions)?.type).toBe('for_statement');
      expect([...ancestors(calls[1]!)].map((n) => n.type)).toContain('while_statement');
    });
  });
});

describe('duration literals', () => {
  it.each([
    ['5', 5],
    ['5_000', 5000],
    ['2.5', 2.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['0x10', 16],
    ['0o17', 15],
    ['017', 15],
    ['0b101', 5],
    ['5000L', 5000],
    ['1.5f', 1.5],
    ['5_000u64', 5000],
    ['30i32', 30],
    ['2.0m', 2],
  ])('%s is %d', (text, value) => {
    expect(numericLiteral(text)).toBe(value);
  });

  it('rejects what is not a number', () => {
    expect(numericLiteral('abc')).toBeNull();
    expect(numericLiteral('')).toBeNull();
    expect(numericLiteral('1.2.3')).toBeNull();
  });

  it.each([
    ['Second', 1000],
    ['Millisecond', 1],
    ['SECONDS', 1000],
    ['ofSeconds', 1000],
    ['from_secs', 1000],
    ['from_millis', 1],
    ['FromMinutes', 60_000],
    ['Nanosecond', 1e-6],
    ['hours', 3_600_000],
  ])('unit %s is %d ms', (name, ms) => {
    expect(unitMs(name)).toBe(ms);
  });

  it('does not take arbitrary words for units', () => {
    expect(unitMs('Sleep')).toBeNull();
    expect(unitMs('Duration')).toBeNull();
  });

  it('scales and folds', () => {
    expect(scaled(constMs(0.1), 1000)).toEqual({ kind: 'const', ms: 100 });
    expect(foldBinary('//', constMs(7), constMs(2))).toEqual({ kind: 'const', ms: 3 });
    expect(foldBinary('**', constMs(2), { kind: 'counter', name: 'n' }).kind).toBe('exponential');
    expect(foldBinary('and', constMs(1), constMs(2)).kind).toBe('unknown');
  });
});

describe('shared syntax helpers', () => {
  const text = [
    'def outer(a):',
    '    for i in range(3):',
    '        g(a)',
    '    def inner():',
    '        return h(1)',
    '    return outer(a)',
    '',
  ].join('\n');

  it('takes the ancestor path in one descent, the same as walking parents', async () => {
    await withTree('python', text, (tree) => {
      for (const call of descendantsOfTypes(tree.rootNode, new Set(['call']))) {
        const byParent: string[] = [];
        for (let node = call.parent; node; node = node.parent)
          byParent.push(`${node.type}@${node.startIndex}`);
        expect(ancestorPath(call).map((n) => `${n.type}@${n.startIndex}`)).toEqual(byParent);
        const up = lineage(call);
        expect(up(call)?.id).toBe(call.parent?.id);
      }
    });
  });

  it('finds a node again by its range, and evaluates an expression kept as text', async () => {
    await withTree('python', 'x = foo(a, b * 2)\n', (tree) => {
      expect(nodeSpanning(tree.rootNode, 4, 17)?.type).toBe('call');
      expect(nodeSpanning(tree.rootNode, 11, 16)?.text).toBe('b * 2');
      expect(nodeSpanning(tree.rootNode, 5, 16)).toBeNull();
    });
    expect(
      await withFragment('go', 'package p\nvar _ = ', '2 * time.Second', '\n', (node) => node.type),
    ).toBe('binary_expression');
    expect(await withFragment('python', '', 'not valid (', '\n', (node) => node.type)).toBeNull();
  });
});

describe('hostile input', () => {
  it('gives up on a delay expression nested too deeply to evaluate, without overflowing the stack', async () => {
    const { PythonAnalyzer } = await import('../../src/analysis/languages/python.js');
    const deep = `import time\nwhile True:\n    try:\n        call()\n    except OSError:\n        time.sleep(${'('.repeat(20_000)}1${')'.repeat(20_000)})\n`;
    const host = { read: async () => null };
    const findings = await new PythonAnalyzer().analyze({ path: 'app/deep.py', text: deep }, host, {
      reportUnknown: true,
      minDelayMs: 0,
    });
    // The delay is unknown (a low-confidence note on request), not a crash.
    expect(findings.map((f) => [f.confidence, f.evidence.at(-1)])).toEqual([
      ['low', 'the delay could not be resolved (expression nested too deeply)'],
    ]);
  });
});
