import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  [
    'fixtures/python/fixed-delay-retry.yml',
    'fixtures/python/unjittered-backoff.yml',
    'fixtures/python/libraries.yml',
    'fixtures/python/near-misses.yml',
  ],
  new PythonAnalyzer(),
  'app/service.py',
);
