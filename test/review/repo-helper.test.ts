import { afterEach, describe, expect, it } from 'vitest';
import { LocalReviewTarget } from '../../src/platforms/local/target.js';
import { runReview } from '../../src/review/pipeline.js';
import { TempRepo } from '../platforms/local-repo.js';

/**
 * A review of a Java change in a repository that already has a jitter helper in another package:
 * confirmation finds it, and the posted suggestion calls it (imported, with the loop's counter)
 * instead of drawing a new random number.
 */

const HELPER = [
  'package com.acme.retry;',
  '',
  'import java.util.concurrent.ThreadLocalRandom;',
  '',
  'public final class Backoff {',
  '  private Backoff() {}',
  '',
  '  public static long delayMillis(int attempt) {',
  '    long window = Math.min(30_000L, 500L << Math.min(attempt, 16));',
  '    return ThreadLocalRandom.current().nextLong(window + 1);',
  '  }',
  '}',
  '',
].join('\n');

const CLIENT = [
  'package com.acme.orders;',
  '',
  'import java.io.IOException;',
  '',
  'public class OrdersClient {',
  '  public void fetch() throws Exception {',
  '    while (true) {',
  '      try {',
  '        call();',
  '        return;',
  '      } catch (IOException e) {',
  '        Thread.sleep(2000);',
  '      }',
  '    }',
  '  }',
  '',
  '  private void call() throws IOException {}',
  '}',
  '',
].join('\n');

const repos: TempRepo[] = [];
afterEach(() => repos.splice(0).forEach((repo) => repo.remove()));

describe('a review that reuses the repository’s jitter helper', () => {
  it('Java: the suggestion waits the helper’s delay, imported from its package, with a counter', async () => {
    const repo = TempRepo.init();
    repos.push(repo);
    repo.write('src/main/java/com/acme/retry/Backoff.java', HELPER);
    repo.write('src/main/java/com/acme/orders/OrdersClient.java', CLIENT);
    repo.commit('orders client');
    const target = await LocalReviewTarget.open({ root: repo.root });
    const outcome = await runReview(target, target.reader, { blastRadius: false });
    expect(outcome.toPost).toHaveLength(1);
    const body = outcome.toPost[0]!.body;
    expect(body).toContain(
      '```suggestion\n        attempt++;\n        Thread.sleep(Backoff.delayMillis(attempt));\n```',
    );
    expect(body).toContain('`delayMillis` in `src/main/java/com/acme/retry/Backoff.java`');
    expect(body).not.toContain('consider using it');
    const diff = /```diff\n([\s\S]*?)\n```/.exec(body)?.[1];
    expect(diff).toMatch(/^\+import com\.acme\.retry\.Backoff;$/m);
    expect(diff).toMatch(/^\+ {4}int attempt = 0;$/m);
  });
});
