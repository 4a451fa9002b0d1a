import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangedFile } from '../../src/platforms/types.js';
import { localChangeSet, wholeTreeChangeSet } from '../../src/platforms/local/changeset.js';
import { fsRepoReader, WORKTREE_REF } from '../../src/platforms/local/reader.js';
import { WHOLE_FILE } from '../../src/platforms/diff.js';
import { lines, TempRepo } from './local-repo.js';

const NEWLINE_NAME = 'new\nline.ts';

function byPath(files: ChangedFile[]): ChangedFile[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
}

describe('localChangeSet', () => {
  let repo: TempRepo;
  let mergeBase: string;
  let featureHead: string;

  beforeAll(() => {
    repo = TempRepo.init();
    repo.write('src/retry.ts', lines(5));
    repo.write('old name.ts', lines(10, 'keep'));
    repo.write('gone.ts', lines(3));
    repo.write('logo.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    repo.write('tail.ts', 'a\nb');
    repo.write('-dash file.ts', lines(2));
    repo.write('quo"te.ts', lines(1));
    repo.write('.gitignore', 'ignored.log\n');
    mergeBase = repo.commit('base');

    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('src/retry.ts', 'line 1\nline 2\nnew a\nnew b\nline 3\nline 4\nchanged 5\n');
    repo.git('mv', '--', 'old name.ts', 'new name.ts');
    repo.write('new name.ts', lines(10, 'keep').replace('keep 4\n', 'changed 4\n'));
    repo.git('rm', '-q', '--', 'gone.ts');
    repo.write('logo.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 3, 4]));
    repo.write('tail.ts', 'a\nb\nc');
    repo.write('-dash file.ts', `${lines(2)}added 3\n`);
    repo.write('quo"te.ts', `${lines(1)}second\n`);
    repo.write('src/new.ts', lines(3, 'fresh'));
    repo.write(NEWLINE_NAME, 'x\n');
    repo.write('empty.ts', '');
    featureHead = repo.commit('feature');

    // main moves on after the branch left it: none of this belongs to the feature's change.
    repo.git('checkout', '-q', 'main');
    repo.write('main-only.ts', lines(2));
    repo.write('src/retry.ts', `${lines(5)}main 6\n`);
    repo.commit('main moves on');
    repo.git('checkout', '-q', 'feature');
  });

  afterAll(() => repo.remove());

  it('diffs the merge base with HEAD: renames, deletions, binaries, odd names, missing final newline', async () => {
    const changes = await localChangeSet(repo.root, 'main', { includeUncommitted: false });
    expect(changes.baseSha).toBe(mergeBase);
    expect(changes.headSha).toBe(featureHead);
    expect(byPath(changes.files)).toEqual(
      byPath([
        {
          path: 'src/retry.ts',
          status: 'modified',
          addedLines: [
            { start: 3, end: 4 },
            { start: 7, end: 7 },
          ],
        },
        {
          path: 'new name.ts',
          previousPath: 'old name.ts',
          status: 'renamed',
          addedLines: [{ start: 4, end: 4 }],
        },
        { path: 'gone.ts', status: 'removed', addedLines: [] },
        { path: 'logo.png', status: 'binary', addedLines: [] },
        { path: 'tail.ts', status: 'modified', addedLines: [{ start: 2, end: 3 }] },
        { path: '-dash file.ts', status: 'modified', addedLines: [{ start: 3, end: 3 }] },
        { path: 'quo"te.ts', status: 'modified', addedLines: [{ start: 2, end: 2 }] },
        { path: 'src/new.ts', status: 'added', addedLines: [{ start: 1, end: 3 }] },
        { path: NEWLINE_NAME, status: 'added', addedLines: [{ start: 1, end: 1 }] },
        { path: 'empty.ts', status: 'added', addedLines: [] },
      ]),
    );
  });

  it('reads the same diff whatever the user configured for git diff', async () => {
    const expected = await localChangeSet(repo.root, 'main', { includeUncommitted: false });
    const settings: [string, string][] = [
      ['diff.noprefix', 'true'],
      ['diff.mnemonicPrefix', 'true'],
      ['color.ui', 'always'],
      ['diff.external', 'false'],
      ['diff.renames', 'false'],
      ['core.quotePath', 'false'],
    ];
    for (const [key, value] of settings) repo.git('config', key, value);
    try {
      const changes = await localChangeSet(repo.root, 'main', { includeUncommitted: false });
      expect(changes).toEqual(expected);
    } finally {
      for (const [key] of settings) repo.git('config', '--unset', key);
    }
  });

  it('accepts a commit sha as the base', async () => {
    const changes = await localChangeSet(repo.root, mergeBase, { includeUncommitted: false });
    expect(changes.files.map((file) => file.path)).not.toContain('main-only.ts');
    expect(changes.files).toHaveLength(10);
  });

  it('marks files past the diff limits as truncated', async () => {
    const changes = await localChangeSet(repo.root, 'main', {
      includeUncommitted: false,
      limits: { maxFiles: 1, maxLinesPerFile: 100 },
    });
    // git orders files by path: the first one is read, every later one that is neither removed nor
    // binary is listed without lines.
    expect(changes.files[0]).toEqual({
      path: '-dash file.ts',
      status: 'modified',
      addedLines: [{ start: 3, end: 3 }],
    });
    const truncated = changes.files.filter((file) => 'truncated' in file);
    expect(truncated.map((file) => file.path).sort()).toEqual(
      ['empty.ts', 'new name.ts', NEWLINE_NAME, 'quo"te.ts', 'src/new.ts', 'src/retry.ts', 'tail.ts'].sort(),
    );
    for (const file of truncated) expect(file.addedLines).toEqual([]);
  });

  describe('with uncommitted changes', () => {
    beforeAll(() => {
      repo.write('src/retry.ts', 'line 1\nline 2\nnew a\nnew b\nline 3\nline 4\nchanged 5\nwip\n');
      repo.write('staged.ts', 'staged\n');
      repo.git('add', '--', 'staged.ts');
      repo.write('scratch.ts', lines(2));
      repo.write('ignored.log', 'noise\n');
      repo.write('bin/blob.dat', Uint8Array.from([1, 0, 2]));
    });

    it('diffs the merge base with the working tree, untracked files included, ignored ones not', async () => {
      const changes = await localChangeSet(repo.root, 'main', { includeUncommitted: true });
      expect(changes.headSha).toBe(WORKTREE_REF);
      expect(changes.baseSha).toBe(mergeBase);
      const files = new Map(changes.files.map((file) => [file.path, file]));
      expect(files.get('src/retry.ts')?.addedLines).toEqual([
        { start: 3, end: 4 },
        { start: 7, end: 8 },
      ]);
      expect(files.get('staged.ts')).toEqual({
        path: 'staged.ts',
        status: 'added',
        addedLines: [{ start: 1, end: 1 }],
      });
      expect(files.get('scratch.ts')).toEqual({
        path: 'scratch.ts',
        status: 'added',
        addedLines: [{ start: 1, end: 2 }],
      });
      expect(files.get('bin/blob.dat')?.status).toBe('binary');
      expect(files.has('ignored.log')).toBe(false);
    });

    it('reads the same change from a subdirectory of the work tree', async () => {
      const fromTop = await localChangeSet(repo.root, 'main', { includeUncommitted: true });
      const fromSrc = await localChangeSet(join(repo.root, 'src'), 'main', { includeUncommitted: true });
      expect(fromSrc).toEqual(fromTop);
    });

    it('leaves the working tree out by default', async () => {
      const changes = await localChangeSet(repo.root, 'main', { includeUncommitted: false });
      const paths = changes.files.map((file) => file.path);
      expect(paths).not.toContain('scratch.ts');
      expect(paths).not.toContain('staged.ts');
    });
  });

  describe('errors', () => {
    it('names an unknown ref', async () => {
      await expect(localChangeSet(repo.root, 'nope', { includeUncommitted: false })).rejects.toThrow(
        'unknown ref nope',
      );
    });

    it('never reads a ref as an option', async () => {
      const output = join(repo.root, 'written-by-git');
      await expect(
        localChangeSet(repo.root, `--output=${output}`, { includeUncommitted: false }),
      ).rejects.toThrow(`unknown ref --output=${output}`);
      expect(existsSync(output)).toBe(false);
    });

    it('says when a directory is not a git repository', async () => {
      const plain = mkdtempSync(join(tmpdir(), 'jitterbot-plain-'));
      try {
        await expect(localChangeSet(plain, 'main', { includeUncommitted: false })).rejects.toThrow(
          'is not a git repository',
        );
      } finally {
        rmSync(plain, { recursive: true, force: true });
      }
    });

    it('says when the base shares no history with HEAD', async () => {
      const other = TempRepo.init();
      try {
        other.write('a.ts', lines(1));
        other.commit('one');
        other.git('checkout', '-q', '--orphan', 'island');
        other.write('b.ts', lines(1));
        other.commit('two');
        await expect(localChangeSet(other.root, 'main', { includeUncommitted: false })).rejects.toThrow(
          'main and HEAD have no common history',
        );
      } finally {
        other.remove();
      }
    });

    it('says when the repository has no commits', async () => {
      const empty = TempRepo.init();
      try {
        await expect(localChangeSet(empty.root, 'main', { includeUncommitted: false })).rejects.toThrow(
          'the repository has no commits yet',
        );
      } finally {
        empty.remove();
      }
    });
  });
});

describe('wholeTreeChangeSet', () => {
  it('lists every file of the working tree as new in full, outside git too', async () => {
    const dir = new TempRepo('jitterbot-tree-');
    try {
      dir.write('a.ts', lines(2));
      dir.write('lib/b.py', lines(1));
      dir.write('node_modules/x/index.js', lines(1));
      const changes = await wholeTreeChangeSet(fsRepoReader(dir.root));
      expect(changes.headSha).toBe(WORKTREE_REF);
      expect(changes.files).toEqual([
        { path: 'a.ts', status: 'added', addedLines: [WHOLE_FILE] },
        { path: 'lib/b.py', status: 'added', addedLines: [WHOLE_FILE] },
      ]);
    } finally {
      dir.remove();
    }
  });
});
