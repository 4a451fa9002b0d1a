import { it } from 'vitest';
import { suggest } from '../../src/suggest/suggest.js';
import { simulateFinding } from '../../src/simulate/finding.js';
import { renderComment, renderSummary } from '../../src/review/render.js';
import { callFinding } from '../suggest/make-finding.js';

it('scratch', () => {
  const code = `import { sleep } from './sleep.js';

export async function fetchWithRetry(url: string): Promise<Response> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await fetch(url);
    } catch {
      await sleep(5000);
    }
  }
  throw new Error('gave up');
}
`;
  const f = callFinding({ path: 'src/a.ts', code, argument: '5000', delay: { kind: 'fixed', ms: 5000, text: '5000' }, attemptVar: 'attempt' });
  const s = suggest(f, code, { strategy: 'full', capMs: 30000 });
  const sim = simulateFinding(f, 100, s.strategy, 30000, 642);
  console.log(renderComment({ finding: f, suggestion: s, simulation: sim, platform: 'gitlab', docsUrl: 'https://example.com/docs/rules.md#fixed-delay-retry', clientsSource: 'replicas: 12 in deploy/k8s.yaml' }));
  console.log(renderSummary({ platform: 'github', findings: [f], preExisting: [f], blastRadius: [{ path: 'src/x.ts', line: 3, description: 'fixed-delay-retry' }], configErrors: ['jitterbot.yml: cap_ms: expected number'], clients: 100, docsUrl: 'https://example.com' }));
});
