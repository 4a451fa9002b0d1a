import { describe, expect, it } from 'vitest';
import { applyEdits, findOverlap, LineIndex, primaryBlock } from '../../src/suggest/edits.js';

const TEXT = ['line one', 'line two', 'line three', 'line four'].join('\n') + '\n';
const at = (snippet: string) => TEXT.indexOf(snippet);

describe('applyEdits', () => {
  it('applies edits in any order', () => {
    const edits = [
      { start: at('four'), end: at('four') + 4, newText: '4' },
      { start: at('one'), end: at('one') + 3, newText: '1' },
    ];
    expect(applyEdits(TEXT, edits)).toBe('line 1\nline two\nline three\nline 4\n');
  });

  it('rejects overlapping edits but allows insertions at one offset', () => {
    const overlapping = [
      { start: 0, end: 6, newText: 'a' },
      { start: 4, end: 8, newText: 'b' },
    ];
    expect(findOverlap(overlapping)).not.toBeNull();
    expect(() => applyEdits(TEXT, overlapping)).toThrow(/overlapping/);
    const insertions = [
      { start: 0, end: 0, newText: 'a' },
      { start: 0, end: 0, newText: 'b' },
    ];
    expect(findOverlap(insertions)).toBeNull();
    expect(applyEdits('x', insertions)).toBe('abx');
  });
});

describe('LineIndex', () => {
  it('maps offsets to 1-based lines and reads lines without their line break', () => {
    const crlf = 'first\r\n  second\r\nthird';
    const lines = new LineIndex(crlf);
    expect(lines.lineCount).toBe(3);
    expect(lines.lineOf(0)).toBe(1);
    expect(lines.lineOf(crlf.indexOf('second'))).toBe(2);
    expect(lines.lineText(2)).toBe('  second');
    expect(lines.indentation(2)).toBe('  ');
    expect(lines.lineText(3)).toBe('third');
  });
});

describe('primaryBlock', () => {
  it("covers the main edit's lines and leaves far edits outside", () => {
    const main = { start: at('three'), end: at('three') + 5, newText: '3' };
    const far = { start: 0, end: 0, newText: 'import x;\n' };
    const split = primaryBlock(TEXT, [main, far], main);
    expect(split.block).toEqual({ startLine: 3, endLine: 3, newLines: 'line 3' });
    expect(split.outside).toEqual([far]);
  });

  it('widens to edits on the same lines and shows inserted lines', () => {
    const main = { start: at('two') + 3, end: at('two') + 3, newText: ',\nline two and a half' };
    const sameLine = { start: at('line two'), end: at('line two') + 4, newText: 'LINE' };
    const split = primaryBlock(TEXT, [main, sameLine], main);
    expect(split.block).toEqual({ startLine: 2, endLine: 2, newLines: 'LINE two,\nline two and a half' });
    expect(split.outside).toEqual([]);
  });

  it('turns a removed line into an empty block for that line only', () => {
    const main = { start: at('line three'), end: at('line four'), newText: '' };
    expect(primaryBlock(TEXT, [main], main).block).toEqual({ startLine: 3, endLine: 3, newLines: '' });
  });
});
