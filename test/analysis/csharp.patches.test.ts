import { describe } from 'vitest';
import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { reparseVerdict } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { rewriteCSharp } from '../../src/suggest/csharp/index.js';
import { describePatchRows, itPatchesEveryFinding } from './patch-table.js';

const TABLES = ['fixtures/csharp/retries.yml', 'fixtures/csharp/polly.yml', 'fixtures/csharp/value-flow.yml'];
const DEFAULT_PATH = 'src/Acme/Client.cs';

describe('csharp patches', () => {
  itPatchesEveryFinding(TABLES, new CSharpAnalyzer(), rewriteCSharp, DEFAULT_PATH, (original, patched) =>
    reparseVerdict('csharp', original, patched),
  );
});

describePatchRows('fixtures/csharp/patches.yml', new CSharpAnalyzer(), DEFAULT_PATH);
