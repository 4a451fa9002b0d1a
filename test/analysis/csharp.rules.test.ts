import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  ['fixtures/csharp/retries.yml', 'fixtures/csharp/polly.yml', 'fixtures/csharp/near-misses.yml'],
  new CSharpAnalyzer(),
  'src/Acme/Client.cs',
);
