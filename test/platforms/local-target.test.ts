import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { WHOLE_FILE } from '../../src/platforms/diff.js';
import { LocalReviewTarget } from '../../src/platforms/local/target.js';
import { WORKTREE_REF } from '../../src/platforms/local/reader.js';
import type { ReviewOutcome } from '../../src/platforms/types.js';
import { lines, TempRepo } from './local-repo.js';

const repos: TempRepo[] = [];

function branchWithChange(): TempRepo {
  const repo = TempRepo.init();
  repos.push(repo);
  repo.write('.jitterbot.yml', 'min_delay_ms: 100\n');
  repo.write('src/a.ts', lines(2));
  repo.commit('base');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write('src/a.ts', `${lines(2)}added\n`);
  repo.commit('feature');
  return repo;
}

afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

describe('LocalReviewTarget', () => {
  it('reviews the branch at HEAD: changes, config as committed, no earlier comments', async () => {
    const repo = branchWithChange();
    // Uncommitted edits are not part of the committed review, config included.
    repo.write('.jitterbot.yml', 'min_delay_ms: 999\n');
    const target = await LocalReviewTarget.open({ root: repo.root, baseRef: 'main' });
    const changes = await target.changeSet();
    expect(changes.headSha).toBe(repo.git('rev-parse', 'HEAD').trim());
    expect(changes.files).toEqual([
      { path: 'src/a.ts', status: 'modified', addedLines: [{ start: 3, end: 3 }] },
    ]);
    expect(await target.config()).toEqual({ config: { ...DEFAULT_CONFIG, min_delay_ms: 100 }, errors: [] });
    expect(await target.earlierComments()).toEqual([]);
    expect(await target.reader.read('src/a.ts', changes.headSha)).toBe(`${lines(2)}added\n`);
  });

  it('reads the working tree, config included, with uncommitted changes', async () => {
    const repo = branchWithChange();
    repo.write('.jitterbot.yml', 'min_delay_ms: 999\n');
    repo.write('src/a.ts', `${lines(2)}added\nwip\n`);
    const target = await LocalReviewTarget.open({
      root: repo.root,
      baseRef: 'main',
      includeUncommitted: true,
    });
    const changes = await target.changeSet();
    expect(changes.headSha).toBe(WORKTREE_REF);
    const file = changes.files.find((changed) => changed.path === 'src/a.ts');
    expect(file?.addedLines).toEqual([{ start: 3, end: 4 }]);
    expect((await target.config()).config.min_delay_ms).toBe(999);
    expect(await target.reader.read('src/a.ts', changes.headSha)).toBe(`${lines(2)}added\nwip\n`);
  });

  it('finds the top of the work tree from a subdirectory', async () => {
    const repo = branchWithChange();
    mkdirSync(join(repo.root, 'src', 'deep'), { recursive: true });
    const target = await LocalReviewTarget.open({ root: join(repo.root, 'src', 'deep'), baseRef: 'main' });
    expect((await target.changeSet()).files.map((file) => file.path)).toEqual(['src/a.ts']);
    expect((await target.config()).config.min_delay_ms).toBe(100);
  });

  it('reports an invalid config file as errors and runs with defaults', async () => {
    const repo = branchWithChange();
    repo.write('.github/jitterbot.yml', 'strategy: sideways\n');
    repo.git('rm', '-q', '--', '.jitterbot.yml');
    repo.commit('broken config');
    const target = await LocalReviewTarget.open({ root: repo.root, baseRef: 'main' });
    const { config, errors } = await target.config();
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\.github\/jitterbot\.yml: strategy: /);
  });

  it('turns a git failure while finding the config into a config error', async () => {
    const dir = new TempRepo('jitterbot-nogit-');
    repos.push(dir);
    const target = new LocalReviewTarget({ root: dir.root, baseRef: 'main' });
    expect(await target.config()).toEqual({
      config: DEFAULT_CONFIG,
      errors: [`${dir.root} is not a git repository`],
    });
    await expect(target.changeSet()).rejects.toThrow('is not a git repository');
  });

  it('scans a whole tree without git', async () => {
    const dir = new TempRepo('jitterbot-whole-');
    repos.push(dir);
    dir.write('.jitterbot.yml', 'clients: 7\n');
    dir.write('app/retry.py', lines(3));
    const target = await LocalReviewTarget.open({ root: dir.root });
    expect(await target.changeSet()).toEqual({
      baseSha: '',
      headSha: WORKTREE_REF,
      files: [
        { path: '.jitterbot.yml', status: 'added', addedLines: [WHOLE_FILE] },
        { path: 'app/retry.py', status: 'added', addedLines: [WHOLE_FILE] },
      ],
    });
    expect((await target.config()).config.clients).toBe(7);
  });

  it('keeps the published outcome for the CLI', async () => {
    const target = new LocalReviewTarget({ root: '.' });
    expect(target.lastOutcome).toBeNull();
    // Only its identity matters here: the target stores what it is given, whatever the outcome holds.
    const outcome = { headSha: WORKTREE_REF, summary: 'nothing found' } as ReviewOutcome;
    await target.publish(outcome);
    expect(target.lastOutcome).toBe(outcome);
  });
});
