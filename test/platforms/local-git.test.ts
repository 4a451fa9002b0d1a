import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, GitError, repositoryRoot, runGit } from '../../src/platforms/local/git.js';
import { lines, TempRepo } from './local-repo.js';

describe('runGit', () => {
  let repo: TempRepo;

  beforeAll(() => {
    repo = TempRepo.init();
    repo.write('src/a.ts', lines(200));
    repo.commit('one');
  });

  afterAll(() => repo.remove());

  it('returns output as bytes', async () => {
    const result = await runGit(repo.root, ['cat-file', 'blob', 'HEAD:src/a.ts']);
    expect(result.ok && result.stdout.toString('utf8')).toBe(lines(200));
  });

  it('turns output over the bound into a message, not a crash', async () => {
    const result = await runGit(repo.root, ['cat-file', 'blob', 'HEAD:src/a.ts'], { maxBuffer: 100 });
    expect(result).toMatchObject({ ok: false, message: 'git cat-file: output larger than 100 bytes' });
  });

  it("keeps git's own reason for other failures", async () => {
    await expect(git(repo.root, ['cat-file', 'blob', 'HEAD:missing.ts'])).rejects.toThrow(
      new GitError("git cat-file failed: path 'missing.ts' does not exist in 'HEAD'"),
    );
  });

  it('names a missing directory', async () => {
    const missing = join(repo.root, 'no', 'such');
    expect(await runGit(missing, ['status'])).toMatchObject({
      ok: false,
      message: `${missing}: no such directory`,
    });
  });

  it('finds the top of the work tree', async () => {
    expect(await repositoryRoot(join(repo.root, 'src'))).toBe(realpathSync(repo.root));
  });
});
