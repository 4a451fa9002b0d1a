import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { describeRuleTables } from './rule-table.js';

describeRuleTables(
  [
    'fixtures/ruby/fixed-delay-retry.yml',
    'fixtures/ruby/unjittered-backoff.yml',
    'fixtures/ruby/near-misses.yml',
  ],
  new RubyAnalyzer(),
  'app/services/client.rb',
);
