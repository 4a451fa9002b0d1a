/**
 * Nothing skipped silently: every changed file the review did not analyse is listed with its reason,
 * and one skipped for what it contains (a retry could hide behind one very long line) opens the summary.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalReviewTarget } from '../../src/platforms/local/target.js';
import { runReview } from '../../src/review/pipeline.js';
import { TempRepo } from '../platforms/local-repo.js';

const RETRY = [
  'export async function fetchAll(get: () => Promise<Response>): Promise<Response> {',
  '  for (;;) {',
  '    try {',
  '      return await get();',
  '    } catch {',
  '      await new Promise((resolve) => setTimeout(resolve, 5000));',
  '    }',
  '  }',
  '}',
].join('\n');

const repos: TempRepo[] = [];
afterEach(() => repos.splice(0).forEach((repo) => repo.remove()));

describe('changed files that were not analysed', () => {
  it('are listed with their reason, and the ones that could hide a retry open the summary', async () => {
    const repo = TempRepo.init();
    repos.push(repo);
    repo.write('README.md', 'service\n');
    repo.commit('base');
    repo.git('checkout', '-q', '-b', 'change');
    repo.write('src/hidden.ts', `${RETRY}\nexport const DATA = '${'x'.repeat(12_000)}';\n`);
    repo.write('src/blob.ts', Buffer.from([0x65, 0x78, 0x00, 0x01, 0x02]));
    repo.write('src/client.test.ts', `${RETRY}\n`);
    repo.write('assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]));
    repo.commit('change');

    const target = await LocalReviewTarget.open({ root: repo.root, baseRef: 'main' });
    const outcome = await runReview(target, target.reader, { blastRadius: false });

    expect(outcome.skipped).toEqual(
      expect.arrayContaining([
        { path: 'src/hidden.ts', reason: 'minified' },
        { path: 'src/blob.ts', reason: 'binary' },
        { path: 'src/client.test.ts', reason: 'test file' },
      ]),
    );
    expect(outcome.skipped.map((file) => file.path)).not.toContain('assets/logo.png');
    const [heading, warning] = outcome.summary.split('\n\n').slice(1);
    expect(heading).toMatch(/^## jitterbot/);
    expect(warning).toMatch(/^⚠️ \*\*2 changed files were not analysed\*\*/);
    expect(warning).toContain('`src/hidden.ts` (minified)');
    expect(warning).toContain('`src/blob.ts` (binary)');
    expect(warning).not.toContain('client.test.ts');
    expect(outcome.summary).toContain('Changed files not analysed (3)');
    expect(outcome.summary).toContain('- `src/client.test.ts`: test file');
  });
});
