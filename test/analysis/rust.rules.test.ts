import { RustAnalyzer } from '../../src/analysis/languages/rust.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  ['fixtures/rust/retries.yml', 'fixtures/rust/crates.yml', 'fixtures/rust/near-misses.yml'],
  new RustAnalyzer(),
  'src/client.rs',
);
