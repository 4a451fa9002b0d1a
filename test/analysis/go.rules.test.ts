import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  [
    'fixtures/go/fixed-delay-retry.yml',
    'fixtures/go/unjittered-backoff.yml',
    'fixtures/go/libraries.yml',
    'fixtures/go/near-misses.yml',
  ],
  new GoAnalyzer(),
  'internal/client/client.go',
);
