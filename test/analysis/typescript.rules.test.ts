import { describeRuleTables } from './rule-table.js';

describeRuleTables([
  'fixtures/typescript/fixed-delay-retry.yml',
  'fixtures/typescript/unjittered-backoff.yml',
  'fixtures/typescript/libraries.yml',
  'fixtures/typescript/near-misses.yml',
  // Held out: real code from public repositories, labelled before the detector ran on it.
  'fixtures/typescript/real-world.yml',
  'fixtures/typescript/real-world-2.yml',
  'fixtures/typescript/real-world-3.yml',
]);
