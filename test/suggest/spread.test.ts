import { describe, expect, it } from 'vitest';
import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { suggest } from '../../src/suggest/suggest.js';
import { runCase } from '../analysis/rule-table.js';

const OPTIONS = { strategy: 'full' as const, capMs: 30_000 };

async function suggestionFor(code: string, path: string, analyzer?: PythonAnalyzer) {
  const [finding] = await runCase({ name: 'spread', code, filename: path }, analyzer, path);
  return { finding: finding!, suggestion: suggest(finding!, code, OPTIONS) };
}

describe('suggestions for waits whose jitter does not spread clients', () => {
  it('applies the jitter after the clamp, keeping the code own capped delay as the bound', async () => {
    const code = [
      'const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));',
      'export async function get(url: string) {',
      '  for (let attempt = 0; attempt < 8; attempt++) {',
      '    try {',
      '      return await fetch(url);',
      '    } catch (err) {',
      '      await sleep(Math.min(100 * 2 ** attempt + Math.random() * 100, 5000));',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n');
    const { finding, suggestion } = await suggestionFor(code, 'src/get.ts');
    expect(finding.rule).toBe('clamped-jitter');
    expect(suggestion.valid).toBe(true);
    expect(suggestion.edits.map((e) => e.newText)).toEqual([
      'Math.random() * Math.min(100 * 2 ** attempt + Math.random() * 100, 5000)',
    ]);
    expect(suggestion.description).toBe(
      'Apply the jitter after the clamp: draw the wait with full jitter within the capped delay, so that the cap bounds the random range instead of replacing it.',
    );
  });

  it('draws a negligible-jitter wait over the whole wait, in Python', async () => {
    const code = [
      'import random',
      'import time',
      '',
      'def fetch(client):',
      '    while True:',
      '        try:',
      '            return client.get()',
      '        except ConnectionError:',
      '            time.sleep(30 + random.random() * 0.3)',
      '',
    ].join('\n');
    const { finding, suggestion } = await suggestionFor(code, 'app/fetch.py', new PythonAnalyzer());
    expect(finding.rule).toBe('negligible-jitter');
    expect(suggestion.edits.map((e) => e.newText)).toEqual(['random.uniform(0, 30 + random.random() * 0.3)']);
  });

  it('offers no patch that could retry before a clamped server hint, and says what to add', async () => {
    const code = [
      'import time',
      '',
      'def send(client, batch):',
      '    for attempt in range(5):',
      '        try:',
      '            return client.send(batch)',
      '        except RateLimitError as e:',
      '            time.sleep(min(e.retry_after, 600))',
      '',
    ].join('\n');
    const { finding, suggestion } = await suggestionFor(code, 'app/send.py', new PythonAnalyzer());
    expect(finding.rule).toBe('clamped-server-hint');
    expect(suggestion.valid).toBe(false);
    expect(suggestion.edits).toEqual([]);
    expect(suggestion.description).toContain('`min(e.retry_after, 600) + random() * spread`');
  });
});
