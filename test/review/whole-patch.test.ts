/**
 * A suggestion block covers only the lines around the wait; a patch that also adds an import says so
 * in the comment and carries the whole patch, which `git apply` takes as it is.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalReviewTarget } from '../../src/platforms/local/target.js';
import { runReview } from '../../src/review/pipeline.js';
import { TempRepo } from '../platforms/local-repo.js';

const SOURCE = [
  'import time',
  '',
  'import requests',
  '',
  '',
  'def fetch(url):',
  '    for attempt in range(5):',
  '        try:',
  '            return requests.get(url, timeout=10)',
  '        except requests.ConnectionError:',
  '            time.sleep(5)',
  '    raise RuntimeError("gave up")',
  '',
].join('\n');

const repos: TempRepo[] = [];
afterEach(() => repos.splice(0).forEach((repo) => repo.remove()));

describe('a patch with an edit outside the suggestion block', () => {
  it('says so in one line and offers the whole patch, which git apply accepts', async () => {
    const repo = TempRepo.init();
    repos.push(repo);
    repo.write('app/client.py', SOURCE);
    repo.commit('client');
    const target = await LocalReviewTarget.open({ root: repo.root });
    const outcome = await runReview(target, target.reader, { blastRadius: false });
    const body = outcome.toPost[0]!.body;
    expect(body).toContain('```suggestion');
    expect(body).toContain('Committing this suggestion alone is not the whole fix; also:');
    const diff = /```diff\n([\s\S]*?)\n```/.exec(body)?.[1];
    expect(diff).toMatch(/^\+import random$/m);
    writeFileSync(join(repo.root, 'fix.patch'), `${diff}\n`);
    execFileSync('git', ['apply', '--check', 'fix.patch'], { cwd: repo.root });
    execFileSync('git', ['apply', 'fix.patch'], { cwd: repo.root });
    const patched = execFileSync('git', ['diff', '--', 'app/client.py'], {
      cwd: repo.root,
      encoding: 'utf8',
    });
    expect(patched).toMatch(/^\+import random$/m);
    expect(patched).toMatch(/^\+\s+time\.sleep\(random\./m);
  });
});
