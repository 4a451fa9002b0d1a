import { describe, expect, it } from 'vitest';
import { countsUp } from '../../src/suggest/attempt.js';

/** Which names a patch may hand a helper as the attempt: counted up by the file, or a loop's variable. */
describe('an attempt counter the file visibly counts up', () => {
  it.each([
    ['attempt++;', 'attempt'],
    ['attempt += 1', 'attempt'],
    ['tries = tries + 1', 'tries'],
    ['for attempt := 0; attempt < 3; attempt++ {', 'attempt'],
    ['for attempt in range(5):', 'attempt'],
    ['for attempt in 0..5 {', 'attempt'],
    ['for (attempt in 0 until 5) {', 'attempt'],
    ['for (val attempt in 1..MAX) {', 'attempt'],
    ['3.times do |attempt|', 'attempt'],
    ['repeat(5) { attempt ->', 'attempt'],
  ])('%s counts %s', (code, name) => {
    expect(countsUp(code, name)).toBe(true);
  });

  it.each([
    ['for i := range retries {', 'retries'],
    ['while (retries > 0) { retries--; }', 'retries'],
    ['repeat(maxRetries) { attempt ->', 'maxRetries'],
    ['for (item in attempts) {', 'attempts'],
  ])('%s does not count %s', (code, name) => {
    expect(countsUp(code, name)).toBe(false);
  });
});
