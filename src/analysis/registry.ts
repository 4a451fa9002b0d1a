import type { LanguageAnalyzer } from './analyzer.js';
import { TypeScriptAnalyzer } from './languages/typescript.js';

/** Every analyzer jitterbot runs; the pipeline picks one by file extension and never by language name. */
export function createAnalyzers(): LanguageAnalyzer[] {
  return [new TypeScriptAnalyzer()];
}

export function analyzerFor(analyzers: readonly LanguageAnalyzer[], path: string): LanguageAnalyzer | null {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return null;
  const extension = path.slice(dot).toLowerCase();
  return analyzers.find((analyzer) => analyzer.extensions.includes(extension)) ?? null;
}
