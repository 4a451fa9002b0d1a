import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { reparseVerdict } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { rewriteJava } from '../../src/suggest/java/index.js';
import { describePatchRows, itPatchesEveryFinding } from './patch-table.js';

const TABLES = ['fixtures/java/retries.yml', 'fixtures/java/libraries.yml'];
const DEFAULT_PATH = 'src/main/java/com/acme/Client.java';

describe('Java patches', () => {
  itPatchesEveryFinding(TABLES, new JavaAnalyzer(), rewriteJava, DEFAULT_PATH, (original, patched) =>
    reparseVerdict('java', original, patched),
  );

  it('writes ThreadLocalRandom with its import, and Spring Retry random backoff', async () => {
    const code =
      'package com.acme;\n\nimport java.io.IOException;\n\nclass C {\n  void f() throws Exception {\n    for (int i = 0; i < 3; i++) {\n      try { call(); return; } catch (IOException e) { Thread.sleep(1000); }\n    }\n  }\n}\n';
    const [finding] = await new JavaAnalyzer().analyze(
      { path: 'src/C.java', text: code },
      { read: async () => null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    const result = rewriteJava(finding!, code, { strategy: 'full', capMs: 30_000 });
    expect(result.kind).toBe('plan');
    const patched = applyEdits(code, result.kind === 'plan' ? result.edits : []);
    expect(patched).toContain('import java.util.concurrent.ThreadLocalRandom;');
    expect(patched).toContain(
      'Thread.sleep(ThreadLocalRandom.current().nextLong(Math.min(30000L, 1000 * (1L << Math.min(i, 30))) + 1))',
    );

    const spring =
      'import org.springframework.retry.annotation.Backoff;\nimport org.springframework.retry.annotation.Retryable;\nclass C {\n  @Retryable(backoff = @Backoff(delay = 2000))\n  void f() {}\n}\n';
    const [retry] = await new JavaAnalyzer().analyze(
      { path: 'src/C.java', text: spring },
      { read: async () => null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    const switched = rewriteJava(retry!, spring, { strategy: 'full', capMs: 30_000 });
    expect(applyEdits(spring, switched.kind === 'plan' ? switched.edits : [])).toContain(
      '@Backoff(delay = 2000, multiplier = 2, random = true)',
    );
  });

  it('reports a Spring FixedBackOff and, having no jitter switch to turn on, advises ExponentialBackOff', async () => {
    const code =
      'import org.springframework.kafka.listener.DefaultErrorHandler;\nimport org.springframework.util.backoff.FixedBackOff;\nclass C {\n  DefaultErrorHandler h() {\n    return new DefaultErrorHandler(new FixedBackOff(1500L, 3L));\n  }\n}\n';
    const found = await new JavaAnalyzer().analyze(
      { path: 'src/C.java', text: code },
      { read: async () => null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    expect(found.map((f) => [f.range.startLine, f.rule, f.delay])).toEqual([
      [5, 'fixed-delay-retry', { kind: 'fixed', ms: 1500, text: 'new FixedBackOff(1500L, 3L)' }],
    ]);
    const result = rewriteJava(found[0]!, code, { strategy: 'full', capMs: 30_000 });
    expect(result.kind).toBe('refusal');
    expect(result.description).toContain('ExponentialBackOff');

    const none = code.replace('1500L, 3L', '1500L, 0L');
    expect(
      await new JavaAnalyzer().analyze(
        { path: 'src/C.java', text: none },
        { read: async () => null },
        DEFAULT_ANALYSIS_OPTIONS,
      ),
    ).toEqual([]);
  });
});

describePatchRows('fixtures/java/patches.yml', new JavaAnalyzer(), DEFAULT_PATH);
