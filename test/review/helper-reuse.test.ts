import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RepoReader, ReviewTarget } from '../../src/platforms/types.js';
import { runReview } from '../../src/review/pipeline.js';
import { readProjectFacts } from '../../src/review/project-facts.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { callFinding } from '../suggest/make-finding.js';

/**
 * A Go review in a repository that already has a full-jitter helper in another package: the posted
 * suggestion waits the helper's result, counts the attempts the loop did not count, and imports the
 * helper's package by the module path of go.mod.
 */
const HELPER = [
  'package backoff',
  '',
  'import (',
  '\t"math/rand/v2"',
  '\t"time"',
  ')',
  '',
  '// Delay is a random wait up to base·2^attempt, capped at max.',
  'func Delay(attempt int, base, max time.Duration) time.Duration {',
  '\td := base << attempt',
  '\tif d <= 0 || d > max {',
  '\t\td = max',
  '\t}',
  '\treturn rand.N(d)',
  '}',
  '',
].join('\n');

const CONSUMER = [
  'package orders',
  '',
  'import (',
  '\t"log"',
  '\t"time"',
  ')',
  '',
  'func Consume(s Stream) {',
  '\tfor {',
  '\t\tif err := s.Read(); err != nil {',
  '\t\t\tlog.Printf("read: %v", err)',
  '\t\t\ttime.Sleep(5 * time.Second)',
  '\t\t\tcontinue',
  '\t\t}',
  '\t\treturn',
  '\t}',
  '}',
  '',
].join('\n');

const FILES: Record<string, string> = {
  'go.mod': 'module github.com/acme/shop\n\ngo 1.22\n',
  'internal/backoff/backoff.go': HELPER,
  'internal/orders/consume.go': CONSUMER,
};

const reader: RepoReader = {
  read: async (path) => FILES[path] ?? null,
  list: async () => Object.keys(FILES),
};

function target(platform: 'github' | 'gitlab'): ReviewTarget {
  return {
    platform,
    changeSet: async () => ({
      baseSha: 'base',
      headSha: 'head',
      files: [
        {
          path: 'internal/orders/consume.go',
          status: 'added' as const,
          addedLines: [{ start: 1, end: CONSUMER.split('\n').length }],
        },
      ],
    }),
    config: async () => ({ config: DEFAULT_CONFIG, errors: [] }),
    earlierComments: async () => [],
    publish: async () => undefined,
  };
}

describe("a Go review reuses the repository's jitter helper", () => {
  for (const platform of ['github', 'gitlab'] as const) {
    it(`posts the helper call with a counter and the import (${platform})`, async () => {
      const outcome = await runReview(target(platform), reader, { blastRadius: false });
      expect(outcome.toPost).toHaveLength(1);
      const [posted] = outcome.toPost;
      expect(posted!.suggestion?.valid).toBe(true);
      expect(posted!.body).toContain(
        '\t\t\tattempt++\n\t\t\ttime.Sleep(backoff.Delay(attempt, 5*time.Second, 30*time.Second))',
      );
      expect(posted!.body).toContain('`Delay` in `internal/backoff/backoff.go`');
      expect(posted!.body).not.toContain('consider using it');
      const patched = applyEdits(CONSUMER, posted!.suggestion?.edits ?? []);
      expect(patched).toContain('\t"time"\n\n\t"github.com/acme/shop/internal/backoff"\n)');
      expect(patched).toContain('\tattempt := 0\n\tfor {');
    });
  }
});

describe('the project facts a helper call needs', () => {
  const code = 'sleep 5\n';
  const at = (language: 'go' | 'ruby', path: string) => ({
    ...callFinding({ path, code, delay: { kind: 'fixed', ms: 5000, text: '5' }, argument: '5' }),
    language,
  });
  const files: Record<string, string> = {
    'services/shop/go.mod': 'module example.com/shop // the shop\n\ngo 1.21\n',
    'web/config/application.rb': 'module Web\n  class Application < Rails::Application\n  end\nend\n',
  };
  const facts: RepoReader = {
    read: async (path) => files[path] ?? null,
    list: async () => Object.keys(files),
  };

  it("reads go.mod's module and directory, and the Rails application a Ruby file is in", async () => {
    const found = await readProjectFacts(facts, 'head', [
      at('go', 'services/shop/internal/orders/consume.go'),
      at('ruby', 'web/app/jobs/sync.rb'),
      at('ruby', 'scripts/sync.rb'),
    ]);
    expect(found.get('services/shop/internal/orders/consume.go')).toEqual({
      goVersion: '1.21',
      goModule: { path: 'example.com/shop', dir: 'services/shop' },
    });
    expect(found.get('web/app/jobs/sync.rb')).toEqual({ rails: { root: 'web' } });
    expect(found.get('scripts/sync.rb')).toEqual({});
  });
});
