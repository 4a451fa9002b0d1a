import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';
import { describePatchRows } from './patch-table.js';

describePatchRows('fixtures/typescript/patches.yml', new TypeScriptAnalyzer(), 'src/example.ts');
