import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/analysis/finding.js';
import {
  fingerprintMarker,
  parseFingerprintMarker,
  renderComment,
  renderSummary,
  SUMMARY_MARKER,
  type CommentInput,
} from '../../src/review/render.js';
import { MAX_BODY_CHARS } from '../../src/review/render-markdown.js';
import { simulateFinding } from '../../src/simulate/finding.js';
import { suggest } from '../../src/suggest/suggest.js';
import type { Suggestion } from '../../src/suggest/types.js';
import { callFinding, libraryFinding } from '../suggest/make-finding.js';

const CODE = `import { sleep } from './sleep.js';

export async function charge(id: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await post(id);
    } catch {
      await sleep(5000);
    }
  }
}
declare function post(id: string): Promise<void>;
`;
const DOCS = 'https://github.com/jitterbot/jitterbot/blob/main/docs/rules.md#fixed-delay-retry';

function input(overrides: Partial<CommentInput> = {}): CommentInput {
  const finding = callFinding({
    path: 'src/payments.ts',
    code: CODE,
    argument: '5000',
    delay: { kind: 'fixed', ms: 5000, text: '5000' },
    attemptVar: 'attempt',
  });
  const suggestion = suggest(finding, CODE, { strategy: 'full', capMs: 30_000 });
  return {
    finding,
    suggestion,
    simulation: simulateFinding(finding, 100, suggestion.strategy, 30_000, 642),
    platform: 'github',
    clientsSource: 'replicas: 12 in deploy/k8s.yaml',
    docsUrl: DOCS,
    ...overrides,
  };
}

describe('renderComment', () => {
  it('renders the GitHub comment', async () => {
    await expect(renderComment(input())).toMatchFileSnapshot('./__snapshots__/comment.github.md');
  });

  it('renders the GitLab comment with a multi-line suggestion range', async () => {
    const code = `import pRetry from 'p-retry';\n\nawait pRetry(charge, {\n  retries: 5,\n  factor: 1,\n});\ndeclare function charge(): Promise<void>;\n`;
    const finding = libraryFinding({
      path: 'src/jobs/charge.ts',
      code,
      library: 'p-retry',
      target: '{\n  retries: 5,\n  factor: 1,\n}',
      delay: { kind: 'fixed', ms: 1000, text: 'minTimeout default' },
    });
    const suggestion = suggest(finding, code, { strategy: 'full', capMs: 30_000 });
    const body = renderComment({
      finding,
      suggestion,
      simulation: simulateFinding(finding, 12, suggestion.strategy, 30_000, 642),
      platform: 'gitlab',
      docsUrl: DOCS,
    });
    // The new property goes on a new line after `factor: 1,`: one line replaced by two.
    expect(body).toContain('```suggestion:-0+0\n  factor: 1,\n  randomize: true,\n```');
    await expect(body).toMatchFileSnapshot('./__snapshots__/comment.gitlab.md');
  });

  it('counts the lines below the commented one for a GitLab multi-line suggestion', () => {
    const base = input();
    const valid = base.suggestion as Suggestion & { valid: true };
    const spanning: Suggestion = { ...valid, primary: { startLine: 6, endLine: 8, newLines: 'a\nb' } };
    const body = renderComment({ ...base, suggestion: spanning, platform: 'gitlab' });
    expect(body).toContain('```suggestion:-0+2\na\nb\n```');
  });

  it('keeps the suggestion block and the folded sections when rendered as GFM', () => {
    const html = marked.parse(renderComment(input()), { gfm: true, async: false });
    expect(html).toContain(
      '<pre><code class="language-suggestion">      await sleep(Math.random() * Math.min(30000, 5000 * 2 ** attempt));\n</code></pre>',
    );
    expect(html.match(/<details>/g)).toHaveLength(2);
    expect(html).toContain('<summary>Other jitter strategies</summary>');
    expect(html).toContain('<table>');
    expect(html).toContain('<code class="language-mermaid">xychart-beta');
    expect(html).toContain('<!-- jitterbot:fingerprint=');
  });

  it('quotes the numbers of this finding', () => {
    const body = renderComment(input());
    const simulation = input().simulation!;
    expect(body).toContain(
      'If 100 clients fail at the same moment (replicas: 12 in deploy/k8s.yaml), all 100 retry in the same 10 ms slot',
    );
    expect(body).toContain(`the busiest slot gets ${simulation.suggested.result.peak} retries`);
  });

  it('escapes what comes from code and paths', () => {
    const base = input();
    const hostile: Finding = {
      ...base.finding,
      evidence: ['catches `err` thrown by <script>alert(1)</script> @octocat', 'delay from ``a`b``'],
    };
    const suggestion = base.suggestion as Suggestion & { valid: true };
    const withBackticks: Suggestion = {
      ...suggestion,
      primary: { ...suggestion.primary, newLines: 'const s = ```not a fence```;' },
    };
    const body = renderComment({
      ...base,
      finding: hostile,
      suggestion: withBackticks,
      clientsSource: '<b>@team</b> | values.yaml',
    });
    expect(body).not.toContain('<script>');
    expect(body).toContain('&lt;script&gt;');
    expect(body).not.toMatch(/@octocat|@team/);
    expect(body).toContain('@\u200boctocat');
    expect(body).toContain('````suggestion\nconst s = ```not a fence```;\n````');
    expect(body).toContain('- delay from ``a`b``');
    const html = marked.parse(body, { gfm: true, async: false });
    expect(html).toContain('<code class="language-suggestion">const s = ```not a fence```;');
  });

  it('describes an invalid patch in words, without a suggestion block', () => {
    const base = input();
    const invalid: Suggestion = {
      ...base.suggestion!,
      valid: false,
      invalidReason: "the patched file has a new error on line 8: Cannot find name 'retries'.",
      primary: null,
    };
    const body = renderComment({ ...base, suggestion: invalid });
    expect(body).not.toContain('```suggestion');
    expect(body).toContain('described, not offered as a patch');
    expect(body).toContain(invalid.description.slice(0, 30));
  });

  it('mentions the repository helper when the patch does not use it', () => {
    const body = renderComment(
      input({ repoHelper: { name: 'withBackoff', path: 'src/lib/retry.ts', takesAttempt: true } }),
    );
    expect(body).toContain('The repository already has a jitter helper, `withBackoff` in `src/lib/retry.ts`');
  });

  it('stays under the size limit and keeps the marker', () => {
    const base = input();
    const long: Finding = {
      ...base.finding,
      evidence: Array.from({ length: 2_000 }, (_, i) => `evidence ${i} `.repeat(10)),
    };
    const body = renderComment({ ...base, finding: long });
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(parseFingerprintMarker(body)).toBe(base.finding.fingerprint);
    expect(body).toContain('```suggestion');
  });

  it('works without a simulation or a suggestion', () => {
    const body = renderComment(input({ simulation: null, suggestion: null }));
    expect(body).toContain('come back at the same moment');
    expect(body).not.toContain('<details>');
    expect(parseFingerprintMarker(body)).not.toBeNull();
  });
});

describe('fingerprint markers', () => {
  it('round-trips and cannot be broken out of', () => {
    expect(parseFingerprintMarker(`text\n${fingerprintMarker('0123abcd')}\n`)).toBe('0123abcd');
    expect(fingerprintMarker('x --> <b>')).toBe('<!-- jitterbot:fingerprint=x______b_ -->');
    expect(parseFingerprintMarker('no marker here')).toBeNull();
  });
});

describe('renderSummary', () => {
  const base = input();
  const note: Finding = {
    ...base.finding,
    rule: 'unjittered-backoff',
    level: 'note',
    delay: { kind: 'exponential', baseMs: 100, text: '100 * 2 ** n' },
  };
  const summary = renderSummary({
    platform: 'github',
    findings: [base.finding, note],
    preExisting: [{ ...base.finding, path: 'src/legacy|old.ts' }],
    blastRadius: [
      { path: 'src/queue.ts', line: 40, description: 'fixed-delay-retry' },
      { path: 'src/cron.ts', line: 7 },
    ],
    configErrors: ['.github/jitterbot.yml: cap_ms: Expected number, received string'],
    clients: 12,
    clientsSource: 'replicas: 12 in deploy/k8s.yaml',
    fixedCount: 1,
    docsUrl: DOCS,
  });

  it('renders counts, tables, blast radius and config errors', async () => {
    expect(summary.startsWith(SUMMARY_MARKER)).toBe(true);
    await expect(summary).toMatchFileSnapshot('./__snapshots__/summary.md');
  });

  it('survives GFM rendering with pipes in paths', () => {
    const html = marked.parse(summary, { gfm: true, async: false });
    expect(html.match(/<table>/g)).toHaveLength(2);
    expect(html).toContain('<code>src/legacy|old.ts:8</code>');
    expect(html).toContain('<summary>Pre-existing findings (1), not on lines this change added</summary>');
  });

  it('says so when there is nothing to report', () => {
    const empty = renderSummary({
      platform: 'gitlab',
      findings: [],
      preExisting: [],
      blastRadius: [],
      configErrors: [],
      clients: 100,
      docsUrl: DOCS,
    });
    expect(empty).toContain('## jitterbot: no retries without jitter in this change');
    expect(empty).not.toContain('<table>');
  });
});
