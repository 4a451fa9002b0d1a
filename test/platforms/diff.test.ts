import { describe, expect, it } from 'vitest';
import { addedLinesFromPatch, isLineAdded, mergeLines, parseUnifiedDiff } from '../../src/platforms/diff.js';

/** Lines joined with newlines: diffs written the way git prints them, one string per line. */
const diff = (...rows: string[]): string => `${rows.join('\n')}\n`;

describe('addedLinesFromPatch', () => {
  it('reads a GitHub `patch` field: hunks only, with context', () => {
    const patch = [
      '@@ -1,4 +1,6 @@',
      ' import { sleep } from "./sleep";',
      '+import { jitter } from "./jitter";',
      ' ',
      '-await sleep(1000);',
      '+await sleep(jitter(1000));',
      '+// retried',
      ' done();',
      '@@ -20,2 +22,3 @@ function other() {',
      ' a();',
      '+b();',
      ' c();',
    ].join('\n');
    expect(addedLinesFromPatch(patch)).toEqual([
      { start: 2, end: 2 },
      { start: 4, end: 5 },
      { start: 23, end: 23 },
    ]);
  });

  it('reads a GitLab `diff` field with a missing final newline on both sides', () => {
    const patch = diff(
      '@@ -1,2 +1,2 @@',
      ' keep',
      '-old',
      '\\ No newline at end of file',
      '+new',
      '\\ No newline at end of file',
    );
    expect(addedLinesFromPatch(patch)).toEqual([{ start: 2, end: 2 }]);
  });

  it('reads zero-context hunks that only add or only remove', () => {
    const patch = diff(
      '@@ -3,0 +4,2 @@',
      '+a',
      '+b',
      '@@ -10,2 +11,0 @@',
      '-x',
      '-y',
      '@@ -12 +12 @@',
      '-p',
      '+q',
    );
    expect(addedLinesFromPatch(patch)).toEqual([
      { start: 4, end: 5 },
      { start: 12, end: 12 },
    ]);
  });

  it('treats added lines that look like headers as content', () => {
    const patch = diff('@@ -0,0 +1,3 @@', '+++ not a header', '+--- nor this', '+@@ -1 +1 @@');
    expect(addedLinesFromPatch(patch)).toEqual([{ start: 1, end: 3 }]);
  });

  it('answers no lines for empty or malformed text', () => {
    expect(addedLinesFromPatch('')).toEqual([]);
    expect(addedLinesFromPatch('Binary files differ')).toEqual([]);
    expect(addedLinesFromPatch('@@ -1 +1 @@\n\\ No newline at end of file')).toEqual([]);
  });
});

describe('mergeLines and isLineAdded', () => {
  it('joins adjacent lines, drops duplicates, sorts', () => {
    expect(mergeLines([7, 3, 1, 2, 2, 9, 8])).toEqual([
      { start: 1, end: 3 },
      { start: 7, end: 9 },
    ]);
    expect(mergeLines([])).toEqual([]);
  });

  it('finds a line in sorted ranges', () => {
    const ranges = mergeLines([1, 2, 3, 7, 8, 20]);
    expect([0, 1, 3, 4, 6, 7, 8, 9, 19, 20, 21].filter((line) => isLineAdded(ranges, line))).toEqual([
      1, 3, 7, 8, 20,
    ]);
    expect(isLineAdded([], 1)).toBe(false);
  });
});

describe('parseUnifiedDiff', () => {
  const whole = diff(
    'diff --git a/src/retry.ts b/src/retry.ts',
    'index 587be6b..04ec35a 100644',
    '--- a/src/retry.ts',
    '+++ b/src/retry.ts',
    '@@ -1,0 +2,2 @@ x',
    '+y',
    '+z',
    'diff --git a/bin.dat b/bin.dat',
    'index bdc955b..8835708 100644',
    'Binary files a/bin.dat and b/bin.dat differ',
    'diff --git a/empty.ts b/empty.ts',
    'new file mode 100644',
    'index 0000000..e69de29',
    'diff --git a/my file.ts b/my file.ts',
    'index 422c2b7..1c943a9 100644',
    '--- a/my file.ts\t',
    '+++ b/my file.ts\t',
    '@@ -2,0 +3 @@ b',
    '+c',
    '\\ No newline at end of file',
    'diff --git "a/new\\nline.ts" "b/new\\nline.ts"',
    'index 8ba3a16..2414a9b 100644',
    '--- "a/new\\nline.ts"',
    '+++ "b/new\\nline.ts"',
    '@@ -1,0 +2 @@ n',
    '+n2',
    'diff --git a/old.ts b/renamed.ts',
    'similarity index 100%',
    'rename from old.ts',
    'rename to renamed.ts',
    'diff --git a/a b/a b/a b/a b',
    'similarity index 90%',
    'rename from a b/a',
    'rename to a b/a b',
    '--- a/a b/a\t',
    '+++ b/a b/a b\t',
    '@@ -3 +3 @@',
    '-old',
    '+new',
    'diff --git "a/\\303\\274.ts" "b/\\303\\274.ts"',
    'deleted file mode 100644',
    'index 4ae8ef0..0000000',
    '--- "a/\\303\\274.ts"',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-u',
    'diff --git a/run.sh b/run.sh',
    'old mode 100644',
    'new mode 100755',
    'diff --git a/vendor/lib b/vendor/lib',
    'index 1111111..2222222 160000',
    '--- a/vendor/lib',
    '+++ b/vendor/lib',
    '@@ -1 +1 @@',
    '-Subproject commit 1111111111111111111111111111111111111111',
    '+Subproject commit 2222222222222222222222222222222222222222',
    'diff --git a/base.ts b/copy of base.ts',
    'similarity index 100%',
    'copy from base.ts',
    'copy to copy of base.ts',
    'diff --git a/new.py b/new.py',
    'new file mode 100644',
    'index 0000000..3b18e51',
    '--- /dev/null',
    '+++ b/new.py',
    '@@ -0,0 +1,3 @@',
    '+import time',
    '+--- a/not-a-header',
    '+diff --git looks like a header but is content',
  );

  it('reads every kind of file entry', () => {
    expect(parseUnifiedDiff(whole)).toEqual([
      { path: 'src/retry.ts', status: 'modified', addedLines: [{ start: 2, end: 3 }] },
      { path: 'bin.dat', status: 'binary', addedLines: [] },
      { path: 'empty.ts', status: 'added', addedLines: [] },
      { path: 'my file.ts', status: 'modified', addedLines: [{ start: 3, end: 3 }] },
      { path: 'new\nline.ts', status: 'modified', addedLines: [{ start: 2, end: 2 }] },
      { path: 'renamed.ts', previousPath: 'old.ts', status: 'renamed', addedLines: [] },
      { path: 'a b/a b', previousPath: 'a b/a', status: 'renamed', addedLines: [{ start: 3, end: 3 }] },
      { path: 'ü.ts', status: 'removed', addedLines: [] },
      { path: 'run.sh', status: 'modified', addedLines: [] },
      { path: 'vendor/lib', status: 'binary', addedLines: [] },
      { path: 'copy of base.ts', status: 'added', addedLines: [] },
      // Added lines that read like headers keep their leading `+`, so they stay content.
      { path: 'new.py', status: 'added', addedLines: [{ start: 1, end: 3 }] },
    ]);
  });

  it('lists files past the file limit without their lines', () => {
    const files = parseUnifiedDiff(whole, { maxFiles: 1, maxLinesPerFile: 1_000 });
    expect(files[0]).toEqual({
      path: 'src/retry.ts',
      status: 'modified',
      addedLines: [{ start: 2, end: 3 }],
    });
    expect(files.find((file) => file.path === 'new.py')).toEqual({
      path: 'new.py',
      status: 'added',
      addedLines: [],
      truncated: 'not reviewed: the diff has more than 1 files',
    });
    // Removed and binary files have no lines to drop, so they carry no note.
    expect(files.find((file) => file.path === 'bin.dat')).toEqual({
      path: 'bin.dat',
      status: 'binary',
      addedLines: [],
    });
  });

  it('reads only the first lines of a huge file diff', () => {
    const huge = diff(
      'diff --git a/big.ts b/big.ts',
      '--- a/big.ts',
      '+++ b/big.ts',
      '@@ -1,0 +1,6 @@',
      ...Array.from({ length: 6 }, (_, index) => `+line ${index + 1}`),
    );
    expect(parseUnifiedDiff(huge, { maxFiles: 10, maxLinesPerFile: 4 })).toEqual([
      {
        path: 'big.ts',
        status: 'modified',
        addedLines: [{ start: 1, end: 3 }],
        truncated: "partly reviewed: only the first 4 lines of this file's diff were read",
      },
    ]);
  });

  it('reads CRLF file contents without confusing the headers', () => {
    const text = 'diff --git a/w.cs b/w.cs\n--- a/w.cs\n+++ b/w.cs\n@@ -1,0 +2,2 @@\n+a\r\n+b\r\n';
    expect(parseUnifiedDiff(text)).toEqual([
      { path: 'w.cs', status: 'modified', addedLines: [{ start: 2, end: 3 }] },
    ]);
  });

  it('answers no files for empty input', () => {
    expect(parseUnifiedDiff('')).toEqual([]);
    expect(parseUnifiedDiff('not a diff\n')).toEqual([]);
  });
});
