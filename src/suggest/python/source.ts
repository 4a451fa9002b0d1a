import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren } from '../../analysis/languages/tree-sitter/syntax.js';
import { inlineCode } from '../inline-code.js';
import type { PlannedEdit } from '../plan.js';

/**
 * Where a Python patch adds an import: after the file's leading block of imports (so `from
 * __future__` stays first), else after its docstring, else at the top.
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

/** `import random` unless the name `random` is already the module. */
export function randomImport(text: string): PlannedEdit | null {
  return addPythonImport(text, 'import random', /^\s*import\s+(?:[\w.]+\s*,\s*)*random\s*(?:,|$|#)/m);
}

/** `import os` unless the name `os` is already the module. */
export function osImport(text: string): PlannedEdit | null {
  return addPythonImport(text, 'import os', /^\s*import\s+(?:[\w.]+\s*,\s*)*os\s*(?:,|$|#)/m);
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
