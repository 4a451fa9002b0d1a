import type { LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { RustAnalyzer } from '../../src/analysis/languages/rust.js';
import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';
import { realWorldTables } from './rule-table.js';

/** How each language's rule tables run: its analyzer, the path a row without `filename` gets, its tables. */
export interface LanguageTables {
  /** The folder under `fixtures/`. */
  language: string;
  analyzer: () => LanguageAnalyzer;
  defaultFilename: string;
  /** Hand-written tables, one per rule or family of forms. */
  tables: string[];
}

/** The tables of the rules about jitter that does not spread clients: every language has them. */
const LOCKSTEP_TABLES = ['fake-jitter', 'clamped-jitter', 'clamped-server-hint', 'negligible-jitter'];

export const LANGUAGE_TABLES: readonly LanguageTables[] = [
  {
    language: 'typescript',
    analyzer: () => new TypeScriptAnalyzer(),
    defaultFilename: 'src/example.ts',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries', 'near-misses', 'value-flow'],
  },
  {
    language: 'python',
    analyzer: () => new PythonAnalyzer(),
    defaultFilename: 'app/service.py',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries', 'near-misses', 'value-flow'],
  },
  {
    language: 'go',
    analyzer: () => new GoAnalyzer(),
    defaultFilename: 'internal/client/client.go',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries', 'near-misses', 'value-flow'],
  },
  {
    language: 'ruby',
    analyzer: () => new RubyAnalyzer(),
    defaultFilename: 'app/services/client.rb',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries', 'near-misses', 'value-flow'],
  },
  {
    language: 'java',
    analyzer: () => new JavaAnalyzer(),
    defaultFilename: 'src/main/java/com/acme/Client.java',
    tables: ['retries', 'libraries', 'near-misses', 'value-flow'],
  },
  {
    language: 'kotlin',
    analyzer: () => new KotlinAnalyzer(),
    defaultFilename: 'src/main/kotlin/com/acme/Client.kt',
    tables: ['retries', 'value-flow', 'libraries'],
  },
  {
    language: 'csharp',
    analyzer: () => new CSharpAnalyzer(),
    defaultFilename: 'src/Acme/Client.cs',
    tables: ['retries', 'polly', 'near-misses', 'value-flow'],
  },
  {
    language: 'rust',
    analyzer: () => new RustAnalyzer(),
    defaultFilename: 'src/client.rs',
    tables: ['retries', 'crates', 'near-misses', 'value-flow'],
  },
];

export function languageTables(language: string): LanguageTables {
  const found = LANGUAGE_TABLES.find((entry) => entry.language === language);
  if (!found) throw new Error(`no rule tables for ${language}`);
  return found;
}

/** Every table of a language: the hand-written ones, then the held-out real-world ones. */
export function allTables(entry: LanguageTables): string[] {
  return [
    ...[...entry.tables, ...LOCKSTEP_TABLES].map((name) => `fixtures/${entry.language}/${name}.yml`),
    ...realWorldTables(entry.language),
  ];
}
