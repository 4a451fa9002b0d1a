import type { LanguageAnalyzer } from './analyzer.js';
import { TypeScriptAnalyzer } from './languages/typescript.js';
import { JavaAnalyzer } from './languages/java.js';
import { KotlinAnalyzer } from './languages/kotlin.js';
import { CSharpAnalyzer } from './languages/csharp.js';
import { RustAnalyzer } from './languages/rust.js';
import { PythonAnalyzer } from './languages/python.js';
import { GoAnalyzer } from './languages/go.js';
import { RubyAnalyzer } from './languages/ruby.js';

/** Every analyzer jitterbot runs; the pipeline picks one by file extension and never by language name. */
export function createAnalyzers(): LanguageAnalyzer[] {
  return [
    new TypeScriptAnalyzer(),
    new JavaAnalyzer(),
    new KotlinAnalyzer(),
    new CSharpAnalyzer(),
    new RustAnalyzer(),
    new PythonAnalyzer(),
    new GoAnalyzer(),
    new RubyAnalyzer(),
  ];
}

export function analyzerFor(analyzers: readonly LanguageAnalyzer[], path: string): LanguageAnalyzer | null {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return null;
  const extension = path.slice(dot).toLowerCase();
  return analyzers.find((analyzer) => analyzer.extensions.includes(extension)) ?? null;
}
