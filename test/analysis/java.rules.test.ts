import { allTables, languageTables } from './languages.js';
import { describeRuleTables } from './rule-table.js';

const entry = languageTables('java');
describeRuleTables(allTables(entry), entry.analyzer(), entry.defaultFilename);
