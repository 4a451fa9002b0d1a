import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { BoundedRepoReader } from '../../src/platforms/bounded-reader.js';
import type { ReviewOutcome, ReviewTarget } from '../../src/platforms/types.js';
import { budgetCuts, readCutNote } from '../../src/review/read-cuts.js';
import { runReview } from '../../src/review/pipeline.js';
import { SUMMARY_MARKER } from '../../src/review/render.js';
import { withWarning } from '../../src/review/render-summary.js';

/** A change adding one file whose wait is a constant defined in another file of the repository. */
const FILES: Record<string, string> = {
  'src/config.ts': 'export const RETRY_DELAY_MS = 5000;\n',
  'src/client.ts': [
    "import { RETRY_DELAY_MS } from './config';",
    '',
    'export async function fetchOrder(id: string): Promise<unknown> {',
    '  for (let attempt = 0; attempt < 5; attempt++) {',
    '    try {',
    '      return await fetch(`https://orders.internal/${id}`);',
    '    } catch {',
    '      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n'),
};

function target(published: ReviewOutcome[]): ReviewTarget {
  return {
    platform: 'github',
    changeSet: async () => ({
      baseSha: 'base',
      headSha: 'head',
      files: [{ path: 'src/client.ts', status: 'added', addedLines: [{ start: 1, end: 12 }] }],
    }),
    config: async () => ({ config: DEFAULT_CONFIG, errors: [] }),
    earlierComments: async () => [],
    publish: async (outcome) => void published.push(outcome),
  };
}

function reader(maxFiles: number): BoundedRepoReader {
  return new BoundedRepoReader(
    {
      fetch: async (path) => FILES[path] ?? null,
      listAll: async () => Object.keys(FILES),
    },
    { maxFiles, maxBytes: 1024 * 1024, maxFileBytes: 1024 * 1024, maxListed: 1000 },
  );
}

describe('what the read budget cut', () => {
  it('is said under the summary heading when a file the review needed was not read', async () => {
    const published: ReviewOutcome[] = [];
    // The changed file uses the budget (its absent baseline does not); the imported constant's file is cut.
    const outcome = await runReview(target(published), reader(1));
    expect(outcome.readsCut).toBe(1);
    expect(published[0]).toBe(outcome);
    const sections = outcome.summary.split('\n\n');
    expect(sections[0]).toBe(SUMMARY_MARKER);
    expect(sections[1]).toMatch(/^## jitterbot/);
    expect(sections[2]).toBe(
      '⚠️ **The read budget ran out**: 1 file of the repository was not read (`src/config.ts`), so a delay defined there was not followed and a finding that depends on it may be missing.',
    );
  });

  it('is not mentioned when the budget held, and the constant is followed', async () => {
    const outcome = await runReview(target([]), reader(100));
    expect(outcome.readsCut).toBeUndefined();
    expect(outcome.summary).not.toMatch(/read budget/);
    expect(outcome.toPost).toHaveLength(1);
    expect(outcome.toPost[0]!.finding.delay).toMatchObject({ kind: 'fixed', ms: 5000 });
  });

  it('counts only budget refusals of files the repository has, names five and counts the rest', async () => {
    const refused = [
      { path: 'big.bin', reason: 'too large' },
      ...Array.from({ length: 7 }, (_, i) => ({ path: `src/m${i}.ts`, reason: 'file budget exhausted' })),
      { path: 'src/m0.ts', reason: 'file budget exhausted' },
    ];
    expect(await budgetCuts(refused, async () => [])).toEqual([]);
    const cuts = await budgetCuts(refused, async () => [
      'big.bin',
      ...refused.map((r) => r.path),
      'src/m0.ts',
    ]);
    expect(cuts).toHaveLength(7);
    expect(readCutNote(cuts)).toContain(
      '`src/m0.ts`, `src/m1.ts`, `src/m2.ts`, `src/m3.ts`, `src/m4.ts`, and 2 more',
    );
    expect(readCutNote([])).toBe('');
    expect(withWarning('a\n\n## jitterbot: x\n\nb', '')).toBe('a\n\n## jitterbot: x\n\nb');
  });
});
