import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  ['fixtures/java/retries.yml', 'fixtures/java/libraries.yml', 'fixtures/java/near-misses.yml'],
  new JavaAnalyzer(),
  'src/main/java/com/acme/Client.java',
);
