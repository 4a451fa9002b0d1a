import { KotlinAnalyzer } from '../../src/analysis/languages/java/kotlin.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  ['fixtures/kotlin/retries.yml'],
  new KotlinAnalyzer(),
  'src/main/kotlin/com/acme/Client.kt',
);
