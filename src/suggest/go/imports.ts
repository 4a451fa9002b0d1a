import { defaultImportName } from '../../analysis/languages/go/package.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../../analysis/languages/tree-sitter/syntax.js';
import type { PlannedEdit } from '../plan.js';

/** A Go file's imports, and where a patch adds one so that gofmt and goimports keep it there. */

export interface GoImports {
  /** Local name → import path. */
  names: Map<string, string>;
  /** Where a new import spec goes outside an `import ( … )` block, and how to write it there. */
  insert: { at: number; text: (spec: string) => string; note: string } | null;
  /** The first `import ( … )` block: its groups of specs, and their indentation. */
  block: { groups: ImportSpecAt[][]; indent: string } | null;
}

/** A standard-library path: its first element has no dot (`math/rand`, not `github.com/…`). */
function isStandard(path: string): boolean {
  return !(path.split('/')[0] ?? '').includes('.');
}

/**
 * The edit adding one standard-library import spec (`"time"`, `mrand "math/rand"`). In an
 * `import ( … )` block it goes where gofmt and goimports keep it: sorted into the standard-library
 * group, or as a new group of its own before the others when the block has none.
 */
export function importEdit(imports: GoImports, path: string, spec: string): PlannedEdit | null {
  const note = (where: string) => `add \`${spec}\` ${where}`;
  const block = imports.block;
  if (block) {
    const group = block.groups.find((specs) => specs.every((s) => isStandard(s.path)));
    if (!group) {
      const first = block.groups[0]![0]!;
      return {
        start: first.lineStart,
        end: first.lineStart,
        newText: `${block.indent}${spec}\n\n`,
        note: note('to the imports, as the standard-library group'),
      };
    }
    const next = group.find((s) => s.path > path);
    const at = next ? next.lineStart : group[group.length - 1]!.nextLine;
    return {
      start: at,
      end: at,
      newText: `${block.indent}${spec}\n`,
      note: note('to the standard-library imports'),
    };
  }
  if (!imports.insert) return null;
  return {
    start: imports.insert.at,
    end: imports.insert.at,
    newText: imports.insert.text(spec),
    note: imports.insert.note.replace('%s', spec),
  };
}

interface ImportSpecAt {
  path: string;
  /** Start of the spec's line, and of the line after it. */
  lineStart: number;
  nextLine: number;
}

/** The file's imports, and where a new one goes: into the `import ( … )` block, or a new line after the package clause. */
export function goImports(text: string): GoImports | null {
  return withLoadedTree('go', text, (tree) => {
    const names = new Map<string, string>();
    let insert: GoImports['insert'] = null;
    let block: GoImports['block'] = null;
    for (const declaration of namedChildren(tree.rootNode)) {
      if (declaration.type === 'package_clause' && !insert) {
        insert = {
          at: declaration.endIndex,
          text: (spec) => `\n\nimport ${spec}`,
          note: 'add `import %s` after the package clause',
        };
      }
      if (declaration.type !== 'import_declaration') continue;
      for (const spec of descendantsOfTypes(declaration, new Set(['import_spec']))) {
        const path = field(spec, 'path')?.text.slice(1, -1) ?? '';
        names.set(field(spec, 'name')?.text ?? defaultImportName(path), path);
      }
      const list = namedChildren(declaration).find((n) => n.type === 'import_spec_list');
      const specs = list ? namedChildren(list).filter((n) => n.type === 'import_spec') : [];
      const laidOut = list && specs.length > 0 ? importBlock(text, specs) : null;
      if (laidOut) block ??= laidOut;
      else if (list && specs[0]) {
        const indent = /[ \t]*$/.exec(text.slice(0, specs[0].startIndex))![0];
        insert = {
          at: specs[0].startIndex - indent.length,
          text: (spec) => `${indent}${spec}\n`,
          note: 'add `%s` to the imports',
        };
      } else if (!list) {
        insert = {
          at: declaration.endIndex,
          text: (spec) => `\nimport ${spec}`,
          note: 'add `import %s` with the other imports',
        };
      }
    }
    return { names, insert, block };
  });
}

/**
 * The specs of an `import ( … )` block in groups separated by blank lines, and their indentation;
 * null when a spec shares its line with anything but a comment (`import ("fmt")`).
 */
function importBlock(text: string, specs: Node[]): GoImports['block'] {
  const groups: ImportSpecAt[][] = [];
  let previousEnd = -1;
  for (const spec of specs) {
    const lineStart = text.lastIndexOf('\n', spec.startIndex - 1) + 1;
    const lineEnd = text.indexOf('\n', spec.endIndex);
    const after = text.slice(spec.endIndex, lineEnd < 0 ? text.length : lineEnd);
    if (text.slice(lineStart, spec.startIndex).trim() !== '' || !/^\s*(\/\/.*)?$/.test(after)) return null;
    const at: ImportSpecAt = {
      path: field(spec, 'path')?.text.slice(1, -1) ?? '',
      lineStart,
      nextLine: lineEnd < 0 ? text.length : lineEnd + 1,
    };
    const blank = previousEnd >= 0 && /\n[ \t]*\n/.test(text.slice(previousEnd, lineStart + 1));
    if (groups.length === 0 || blank) groups.push([at]);
    else groups[groups.length - 1]!.push(at);
    previousEnd = at.nextLine - 1;
  }
  const first = specs[0]!;
  const indent = /[ \t]*$/.exec(text.slice(0, first.startIndex))![0];
  return { groups, indent };
}

/**
 * The edit importing a package of the project's own module: sorted into the block's group that
 * already imports from the module, or as a group of its own after the others (where goimports
 * keeps local imports).
 */
export function moduleImportEdit(imports: GoImports, module: string, path: string): PlannedEdit | null {
  const spec = `"${path}"`;
  const block = imports.block;
  if (!block) return importEdit(imports, path, spec);
  const own = (s: ImportSpecAt) => s.path === module || s.path.startsWith(`${module}/`);
  const group = block.groups.find((specs) => specs.some(own));
  const note = `add \`${spec}\` to the imports`;
  if (group) {
    const next = group.find((s) => s.path > path);
    const at = next ? next.lineStart : group[group.length - 1]!.nextLine;
    return { start: at, end: at, newText: `${block.indent}${spec}\n`, note };
  }
  const last = block.groups[block.groups.length - 1]!;
  const at = last[last.length - 1]!.nextLine;
  return {
    start: at,
    end: at,
    newText: `\n${block.indent}${spec}\n`,
    note: `${note}, as a group of its own`,
  };
}
