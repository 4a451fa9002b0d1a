import { allTables, languageTables } from './languages.js';
import { describeRuleTables } from './rule-table.js';

const entry = languageTables('csharp');
describeRuleTables(allTables(entry), entry.analyzer(), entry.defaultFilename);
