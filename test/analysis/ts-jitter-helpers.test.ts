import { describe, expect, it } from 'vitest';
import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';

/** TypeScript's own jitter helpers: what a function returns or waits decides, not randomness inside it. */
describe('repository jitter helpers (TypeScript)', () => {
  const helpers = (text: string) => new TypeScriptAnalyzer().jitterHelpers({ path: 'src/retry.ts', text });

  it('finds a delay computed from the attempt, through a local, and a jittered sleep', () => {
    const text = [
      'export function backoffMs(attempt: number, cap = 30_000): number {',
      '  const window = Math.min(cap, 100 * 2 ** attempt);',
      '  const delay = Math.random() * window;',
      '  return delay;',
      '}',
      'export const jitter = (ms: number) => ms / 2 + Math.random() * (ms / 2);',
      'export async function sleepJittered(ms: number): Promise<void> {',
      '  await new Promise((resolve) => setTimeout(resolve, Math.random() * ms));',
      '}',
    ].join('\n');
    expect(helpers(text)).toEqual([
      { name: 'backoffMs', path: 'src/retry.ts', takesAttempt: true, sleeps: false },
      { name: 'jitter', path: 'src/retry.ts', takesAttempt: false, sleeps: false },
      { name: 'sleepJittered', path: 'src/retry.ts', takesAttempt: false, sleeps: true },
    ]);
  });

  it('leaves out a fetch that retries with jitter inside and returns the response', () => {
    const text = [
      'export async function fetchWithRetry(url: string): Promise<Response> {',
      '  for (let attempt = 0; ; attempt++) {',
      '    const response = await fetch(url);',
      '    if (response.ok) return response;',
      '    await new Promise((r) => setTimeout(r, Math.random() * 1000 * 2 ** attempt));',
      '  }',
      '}',
    ].join('\n');
    expect(helpers(text)).toEqual([]);
  });
});
