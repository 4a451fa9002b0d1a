import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_READ_BUDGET } from '../../src/platforms/bounded-reader.js';
import { fsRepoReader, gitRepoReader, WORKTREE_REF } from '../../src/platforms/local/reader.js';
import { lines, TempRepo } from './local-repo.js';

const ESCAPING_PATHS = [
  '../outside.txt',
  '/etc/passwd',
  'src/../../outside.txt',
  '.git/config',
  'src\\..\\..\\x',
];

describe('gitRepoReader', () => {
  let repo: TempRepo;
  let outside: string;
  let first: string;
  let second: string;

  beforeAll(() => {
    repo = TempRepo.init();
    outside = mkdtempSync(join(tmpdir(), 'jitterbot-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    repo.write('src/retry.ts', 'version 1\n');
    repo.write('-dash name.ts', 'dash\n');
    repo.write('d/*.ts', 'star\n');
    repo.write('big.txt', 'x'.repeat(2048));
    repo.write('image.png', Uint8Array.from([0x89, 0, 1]));
    symlinkSync('../src/retry.ts', join(repo.root, 'd', 'link.ts'));
    symlinkSync(join(outside, 'secret.txt'), join(repo.root, 'absolute-link.txt'));
    symlinkSync('../../outside/secret.txt', join(repo.root, 'relative-link.txt'));
    first = repo.commit('one');
    repo.write('src/retry.ts', 'version 2\n');
    second = repo.commit('two');
    // The working tree differs from both commits: the git reader must never see it.
    repo.write('src/retry.ts', 'uncommitted\n');
  });

  afterAll(() => {
    repo.remove();
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads a file as it was at each commit', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.read('src/retry.ts', first)).toBe('version 1\n');
    expect(await reader.read('src/retry.ts', second)).toBe('version 2\n');
    expect(await reader.read('src/retry.ts', 'HEAD')).toBe('version 2\n');
  });

  it('reads names that look like options or patterns literally', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.read('-dash name.ts', second)).toBe('dash\n');
    expect(await reader.read('d/*.ts', second)).toBe('star\n');
    expect(await reader.read('d/?.ts', second)).toBeNull();
  });

  it('answers null for absent files and directories', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.read('missing.ts', second)).toBeNull();
    expect(await reader.read('src', second)).toBeNull();
  });

  it('follows a symbolic link that stays inside the tree', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.read('d/link.ts', first)).toBe('version 1\n');
  });

  it('refuses paths and links leading outside the repository', async () => {
    const reader = gitRepoReader(repo.root);
    for (const path of [...ESCAPING_PATHS, 'absolute-link.txt', 'relative-link.txt']) {
      expect(await reader.read(path, second)).toBeNull();
    }
    expect(reader.report().refused).toEqual([
      ...ESCAPING_PATHS.map((path) => ({
        path,
        reason: 'could not be read: path is outside the repository',
      })),
      { path: 'absolute-link.txt', reason: 'could not be read: symbolic link points outside the repository' },
      { path: 'relative-link.txt', reason: 'could not be read: symbolic link points outside the repository' },
    ]);
  });

  it('refuses a ref that could be read as an option', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.read('src/retry.ts', '--output=x')).toBeNull();
    expect(reader.report().refused[0]?.reason).toBe('could not be read: invalid ref "--output=x"');
    await expect(reader.list('--output=x')).rejects.toThrow('invalid ref');
  });

  it('stops at the budget: file count, file size, binary content', async () => {
    const reader = gitRepoReader(repo.root, { ...DEFAULT_READ_BUDGET, maxFiles: 3, maxFileBytes: 1024 });
    expect(await reader.read('big.txt', second)).toBeNull();
    expect(await reader.read('image.png', second)).toBeNull();
    expect(await reader.read('src/retry.ts', second)).toBe('version 2\n');
    expect(await reader.read('-dash name.ts', second)).toBeNull();
    expect(reader.report().refused).toEqual([
      { path: 'big.txt', reason: 'could not be read: too large (2048 bytes)' },
      { path: 'image.png', reason: 'binary' },
      { path: '-dash name.ts', reason: 'file budget exhausted' },
    ]);
  });

  it('lists the regular files of a commit, without symbolic links', async () => {
    const reader = gitRepoReader(repo.root);
    expect(await reader.list(second)).toEqual([
      '-dash name.ts',
      'big.txt',
      'd/*.ts',
      'image.png',
      'src/retry.ts',
    ]);
    expect(await reader.list(second, '**/*.ts')).toEqual(['-dash name.ts', 'd/*.ts', 'src/retry.ts']);
  });
});

describe('fsRepoReader', () => {
  let dir: TempRepo;
  let outside: string;

  beforeAll(() => {
    dir = new TempRepo('jitterbot-fs-');
    outside = mkdtempSync(join(tmpdir(), 'jitterbot-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret\n');
    dir.write('.gitignore', 'dist/\n*.log\n');
    dir.write('src/retry.ts', lines(1));
    dir.write('src/.gitignore', 'generated-*.ts\n!generated-keep.ts\n');
    dir.write('src/generated-a.ts', lines(1));
    dir.write('src/generated-keep.ts', lines(1));
    dir.write('debug.log', lines(1));
    dir.write('dist/out.js', lines(1));
    dir.write('node_modules/pkg/index.js', lines(1));
    dir.write('lib/node_modules/nested.js', lines(1));
    dir.write('.git/config', '[core]\n');
    dir.write('with space/-dash.ts', lines(1));
    symlinkSync(join(outside, 'secret.txt'), join(dir.root, 'leak.txt'));
    symlinkSync('src/retry.ts', join(dir.root, 'alias.ts'));
    symlinkSync(outside, join(dir.root, 'outside-dir'));
  });

  afterAll(() => {
    dir.remove();
    rmSync(outside, { recursive: true, force: true });
  });

  it('lists the working tree as git would: ignore files at every level, no dependencies, no links', async () => {
    const reader = fsRepoReader(dir.root);
    expect(await reader.list(WORKTREE_REF)).toEqual([
      '.gitignore',
      'src/.gitignore',
      'src/generated-keep.ts',
      'src/retry.ts',
      'with space/-dash.ts',
    ]);
  });

  it('stops listing at the budget', async () => {
    const reader = fsRepoReader(dir.root, { ...DEFAULT_READ_BUDGET, maxListed: 2 });
    expect(await reader.list(WORKTREE_REF)).toHaveLength(2);
  });

  it('reads files, following links that stay inside', async () => {
    const reader = fsRepoReader(dir.root);
    expect(await reader.read('with space/-dash.ts', WORKTREE_REF)).toBe(lines(1));
    expect(await reader.read('alias.ts', WORKTREE_REF)).toBe(lines(1));
    expect(await reader.read('missing.ts', WORKTREE_REF)).toBeNull();
    expect(await reader.read('src', WORKTREE_REF)).toBeNull();
  });

  it('refuses paths and links leading outside the root', async () => {
    const reader = fsRepoReader(dir.root);
    for (const path of [...ESCAPING_PATHS, 'leak.txt', 'outside-dir/secret.txt']) {
      expect(await reader.read(path, WORKTREE_REF)).toBeNull();
    }
    expect(reader.report().refused).toEqual([
      ...ESCAPING_PATHS.map((path) => ({
        path,
        reason: 'could not be read: path is outside the repository',
      })),
      { path: 'leak.txt', reason: 'could not be read: symbolic link points outside the repository' },
      {
        path: 'outside-dir/secret.txt',
        reason: 'could not be read: symbolic link points outside the repository',
      },
    ]);
  });

  it('reads a listed file directly, and refuses one replaced by a link since the listing', async () => {
    const reader = fsRepoReader(dir.root);
    await reader.list(WORKTREE_REF);
    expect(await reader.read('src/retry.ts', WORKTREE_REF)).toBe(lines(1));
    dir.write('src/swapped.ts', lines(1));
    const listedAgain = fsRepoReader(dir.root);
    expect(await listedAgain.list(WORKTREE_REF)).toContain('src/swapped.ts');
    rmSync(join(dir.root, 'src/swapped.ts'));
    symlinkSync(join(outside, 'secret.txt'), join(dir.root, 'src/swapped.ts'));
    expect(await listedAgain.read('src/swapped.ts', WORKTREE_REF)).toBeNull();
    expect(listedAgain.report().refused).toEqual([
      {
        path: 'src/swapped.ts',
        reason: 'could not be read: replaced by a symbolic link since the tree was listed',
      },
    ]);
    rmSync(join(dir.root, 'src/swapped.ts'));
  });

  it('serves only the working tree ref', async () => {
    const reader = fsRepoReader(dir.root);
    expect(await reader.read('src/retry.ts', 'HEAD')).toBeNull();
    expect(reader.report().refused[0]?.reason).toMatch(/has no ref HEAD/);
  });
});
