import { posix } from 'node:path';
import { inlineCode } from '../inline-code.js';
import type { PlannedEdit } from '../plan.js';
import type { RepoJitterHelper } from '../types.js';
import { addImportStatement, declaresTopLevel } from './imports.js';
import type { EcmaSource } from './source.js';

/** TypeScript sources are imported by their emitted name, which NodeNext requires and bundlers accept. */
const EMITTED_EXTENSION: Record<string, string> = {
  '.ts': '.js',
  '.tsx': '.js',
  '.mts': '.mjs',
  '.cts': '.cjs',
};

/** The specifier a file at `fromPath` uses to import the helper (both repository-relative). */
export function helperSpecifier(fromPath: string, helper: RepoJitterHelper): string {
  if (helper.importSpecifier !== undefined) return helper.importSpecifier;
  const extension = posix.extname(helper.path);
  const target =
    helper.path.slice(0, helper.path.length - extension.length) + (EMITTED_EXTENSION[extension] ?? extension);
  const relative = posix.relative(posix.dirname(fromPath), target);
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** The import of the helper when the file neither defines nor imports it yet. */
export function helperImport(source: EcmaSource, helper: RepoJitterHelper): PlannedEdit | undefined {
  if (helper.path === source.path || declaresTopLevel(source, helper.name)) return undefined;
  const specifier = helperSpecifier(source.path, helper);
  const q = source.quote;
  const semi = source.usesSemicolons ? ';' : '';
  const statement = source.isCommonJs
    ? `const { ${helper.name} } = require(${q}${specifier}${q})${semi}`
    : `import { ${helper.name} } from ${q}${specifier}${q}${semi}`;
  return addImportStatement(source, statement, `add ${inlineCode(statement)} at the top of the file`);
}
