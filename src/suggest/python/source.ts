import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren } from '../../analysis/languages/tree-sitter/syntax.js';
import { inlineCode } from '../inline-code.js';
import type { PlannedEdit } from '../plan.js';

/**
 * Where a Python patch adds an import: a standard-library module into the standard-library group
 * (isort/ruff order); anything else after the file's leading block of imports (so `from __future__`
 * stays first), else after its docstring, else at the top.
 */

const IMPORT_TYPES = new Set(['import_statement', 'import_from_statement', 'future_import_statement']);

/** The edit adding `statement`, or null when `present` says the file already has it. */
export function addPythonImport(text: string, statement: string, present: RegExp): PlannedEdit | null {
  if (present.test(text)) return null;
  const offset = withLoadedTree('python', text, (tree) => {
    let after = -1;
    for (const child of namedChildren(tree.rootNode)) {
      if (IMPORT_TYPES.has(child.type)) after = child.endIndex;
      else if (child.type === 'comment') continue;
      else if (after < 0 && child.type === 'expression_statement' && child.namedChild(0)?.type === 'string')
        after = child.endIndex;
      else break;
    }
    return after;
  });
  if (offset === null || offset < 0)
    return {
      start: 0,
      end: 0,
      newText: `${statement}\n`,
      note: `add ${inlineCode(statement)} at the top of the file`,
    };
  const lineEnd = text.indexOf('\n', offset);
  const at = lineEnd < 0 ? text.length : lineEnd + 1;
  return {
    start: at,
    end: at,
    newText: `${lineEnd < 0 ? '\n' : ''}${statement}\n`,
    note: `add ${inlineCode(statement)} with the other imports`,
  };
}

/**
 * Standard-library modules a retry file is likely to import. A group of imports holding one of them
 * is the file's standard-library section (isort and ruff keep one per section, separated by blank
 * lines); `time` is nearly always there, since the wait is `time.sleep`.
 */
const STANDARD_MODULES = new Set(
  (
    'abc argparse asyncio base64 collections concurrent contextlib copy csv dataclasses datetime ' +
    'decimal enum errno functools hashlib http inspect io itertools json logging math os pathlib ' +
    'queue random re secrets signal socket sqlite3 ssl string subprocess sys threading time ' +
    'traceback types typing urllib uuid warnings'
  ).split(' '),
);

interface TopImport {
  module: string;
  /** `import x` (isort sorts these before `from x import y` within a section). */
  plain: boolean;
  lineStart: number;
  nextLine: number;
}

/** The file's leading imports in blank-line-separated groups, `from __future__` left out. */
function importGroups(text: string): TopImport[][] | null {
  return withLoadedTree('python', text, (tree) => {
    const groups: TopImport[][] = [];
    let previousEnd = -1;
    for (const child of namedChildren(tree.rootNode)) {
      if (child.type === 'comment' || child.type === 'future_import_statement') continue;
      const plain = child.type === 'import_statement';
      if (!plain && child.type !== 'import_from_statement') {
        const docstring = child.type === 'expression_statement' && child.namedChild(0)?.type === 'string';
        if (groups.length === 0 && docstring) continue;
        break;
      }
      const name = plain ? child.childrenForFieldName('name')[0] : field(child, 'module_name');
      const module = (name?.type === 'aliased_import' ? field(name, 'name') : name)?.text ?? '';
      const lineStart = text.lastIndexOf('\n', child.startIndex - 1) + 1;
      const lineEnd = text.indexOf('\n', child.endIndex);
      const entry = { module, plain, lineStart, nextLine: lineEnd < 0 ? text.length : lineEnd + 1 };
      const blank = previousEnd >= 0 && /\n[ \t]*\n/.test(text.slice(previousEnd, lineStart + 1));
      if (groups.length === 0 || blank) groups.push([entry]);
      else groups[groups.length - 1]!.push(entry);
      previousEnd = entry.nextLine - 1;
    }
    return groups;
  });
}

/**
 * The edit adding `import <module>` for a standard-library module where isort and ruff want it:
 * sorted among the plain imports of the standard-library group (before its `from` imports); a group
 * of its own before the others when the file has none; the leading-block rule without imports.
 */
function addStandardImport(text: string, module: string, present: RegExp): PlannedEdit | null {
  if (present.test(text)) return null;
  const statement = `import ${module}`;
  const groups = importGroups(text) ?? [];
  const standard = groups.find((group) =>
    group.some((entry) => STANDARD_MODULES.has(entry.module.split('.')[0] ?? '')),
  );
  const first = groups[0]?.[0];
  if (!standard && first)
    return {
      start: first.lineStart,
      end: first.lineStart,
      newText: `${statement}\n\n`,
      note: `add ${inlineCode(statement)} before the other imports, as the standard-library group`,
    };
  if (!standard) return addPythonImport(text, statement, present);
  const plain = standard.filter((entry) => entry.plain);
  const anchor =
    plain.find((entry) => entry.module > module) ??
    (plain.length > 0 ? undefined : standard.find((entry) => entry.module > module));
  const at = anchor ? anchor.lineStart : (plain[plain.length - 1] ?? standard[standard.length - 1]!).nextLine;
  const newline = at === text.length && !text.endsWith('\n') ? '\n' : '';
  return {
    start: at,
    end: at,
    newText: `${newline}${statement}\n`,
    note: `add ${inlineCode(statement)} with the standard-library imports`,
  };
}

/** `import random` unless the name `random` is already the module. */
export function randomImport(text: string): PlannedEdit | null {
  return addStandardImport(text, 'random', /^\s*import\s+(?:[\w.]+\s*,\s*)*random\s*(?:,|$|#)/m);
}

/** `import os` unless the name `os` is already the module. */
export function osImport(text: string): PlannedEdit | null {
  return addStandardImport(text, 'os', /^\s*import\s+(?:[\w.]+\s*,\s*)*os\s*(?:,|$|#)/m);
}

/**
 * Makes `name` importable from `module` in the file: appended to an existing `from module import …`
 * (null edit when already there), or a new import line. Returns how to refer to it.
 */
export function importedName(
  text: string,
  module: string,
  name: string,
): { reference: string; edit: PlannedEdit | null } | null {
  return withLoadedTree('python', text, (tree) => {
    let qualifiedModule: string | null = null;
    for (const statement of namedChildren(tree.rootNode)) {
      if (statement.type === 'import_from_statement' && field(statement, 'module_name')?.text === module) {
        const names = statement.childrenForFieldName('name').filter((n): n is Node => !!n);
        if (names.some((n) => n.text === name)) return { reference: name, edit: null };
        const last = names[names.length - 1];
        if (last)
          return {
            reference: name,
            edit: {
              start: last.endIndex,
              end: last.endIndex,
              newText: `, ${name}`,
              note: `add ${inlineCode(name)} to the \`from ${module} import …\` line`,
            },
          };
      }
      if (statement.type === 'import_statement') {
        for (const imported of statement.childrenForFieldName('name')) {
          if (imported?.type === 'dotted_name' && imported.text === module) qualifiedModule = module;
          if (imported?.type === 'aliased_import' && field(imported, 'name')?.text === module)
            qualifiedModule = field(imported, 'alias')?.text ?? module;
        }
      }
    }
    if (qualifiedModule) return { reference: `${qualifiedModule}.${name}`, edit: null };
    return { reference: name, edit: addPythonImport(text, `from ${module} import ${name}`, /$^/) };
  });
}
