import { describe, expect, it } from 'vitest';
import { buildCorpus, checkCorpus, installed, TOOLS } from './patch-corpus.js';

/**
 * Every patch the tool offers for the rule tables' findings passes the language's own tool:
 * `python3 -m py_compile`, `javac`, `kotlinc`, `mcs`, `rustc` (against a stub of rand), `ruby -c`,
 * `gofmt`. A language whose tool is not installed is skipped. Each run prints the corpus's counts. A
 * compiler per file is slow (kotlinc takes over a minute), hence the long timeout.
 */
for (const [language, tool] of Object.entries(TOOLS)) {
  describe.skipIf(!installed(tool.command))(`${language} patch corpus (${tool.command})`, () => {
    it('the check rejects a broken patch', () => {
      const { failures } = checkCorpus(tool, [
        { row: 'canary', ...tool.canary, patched: tool.canary.broken },
      ]);
      expect(failures).toHaveLength(1);
    });

    it('every offered patch of every invalid row passes', async () => {
      const corpus = await buildCorpus(language);
      const { failures, complete, syntaxOnly } = checkCorpus(tool, corpus.patches);
      const withheld = [...corpus.withheld].map(([reason, count]) => `${count} × ${reason}`).join('; ');
      console.info(
        `${language}: ${corpus.findings} findings, ${corpus.patches.length} patches checked by ${tool.command} ` +
          `(${complete} in full${tool.syntaxOnly ? `, ${syntaxOnly} for syntax only: they use ${tool.syntaxOnly.why}` : ''}), ` +
          `${failures.length} failed; withheld: ${withheld || 'none'}`,
      );
      expect(corpus.patches.length).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    }, 600_000);
  });
}
