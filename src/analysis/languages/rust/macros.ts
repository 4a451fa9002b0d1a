import { loadedLanguage, parseLoaded, type Node, type Tree } from '../tree-sitter/runtime.js';
import type { CallSite } from '../../flow/waits.js';
import type { Snippet } from '../tree-sitter/findings.js';
import { namedChildren } from '../tree-sitter/syntax.js';

/**
 * Macros are token trees to the grammar. What a retry needs from them is parsed again, in place — at
 * the same rows, columns and offsets as in the file, everything else blanked — so a wait inside one
 * is found at its own line, and the engine reads it like any other code.
 */

/** Item macros (`lazy_static! { static ref … }`, `cfg_blocking! { fn … }`): their items, `static ref` read as `static`. */
export function reparseItems(root: Node, macro: Node): Tree | null {
  const body = macro.namedChildren.find((child) => child?.type === 'token_tree');
  if (!body) return null;
  const start = body.startIndex + 1;
  const inner = root.text
    .slice(start, body.endIndex - 1)
    .replace(/\bstatic(\s+)ref\b/g, (_, space: string) => `static${space}   `);
  return parseInPlace(root.text, [{ at: start, text: inner }]);
}

/**
 * One arm of a `macro_rules!` definition as a function of its own: `($f:expr, $wait:expr) => { … }`
 * reads as `fn name(_f: _, _wait: _) { … }`, each `$var` of the body as `_var` (same width), so an
 * invocation `name!(call(), 100)` is a call of it and the engine follows its arguments like a
 * function's. Arms that match literal tokens or repeat (`$(…)*`) are not functions: they are left out.
 */
export function reparseMacroArms(root: Node, definition: Node, limit: number): Tree[] {
  const name = definition.namedChildren.find((child) => child?.type === 'identifier')?.text;
  if (!name || limit <= 0) return [];
  const trees: Tree[] = [];
  let free = definition.startIndex;
  for (const rule of namedChildren(definition)) {
    if (rule.type !== 'macro_rule') continue;
    const pattern = rule.namedChildren.find((child) => child?.type === 'token_tree_pattern');
    const body = rule.namedChildren.find((child) => child?.type === 'token_tree');
    const params = pattern ? plainParameters(pattern) : null;
    const from = free;
    free = rule.endIndex;
    if (!body || !params || body.text.includes('$(')) continue;
    const header = placeTokens(root.text, from, body.startIndex, [
      'fn',
      name,
      '(',
      ...params.flatMap((param, index) => [...(index > 0 ? [','] : []), `_${param}`, ':', '_']),
      ')',
    ]);
    if (!header) continue;
    const inner = body.text.replace(/\$crate\b/g, ' crate').replace(/\$(?=[A-Za-z_])/g, '_');
    // `=> ( … )` and `=> [ … ]` bodies become blocks, of the same width.
    const text = inner.startsWith('{') ? inner : `{${inner.slice(1, -1)}}`;
    const tree = parseInPlace(root.text, [...header, { at: body.startIndex, text }]);
    if (tree) trees.push(tree);
    if (trees.length >= limit) break;
  }
  return trees;
}

/** `($f:expr, $count:expr,)`: the metavariables' names, when the pattern is nothing but them. */
function plainParameters(pattern: Node): string[] | null {
  const names: string[] = [];
  for (const child of pattern.children) {
    if (!child) continue;
    if (child.type === 'token_binding_pattern') {
      const variable = child.namedChildren.find((part) => part?.type === 'metavariable');
      if (!variable) return null;
      names.push(variable.text.slice(1));
    } else if (!['(', ')', '[', ']', '{', '}', ','].includes(child.type)) return null;
  }
  return names;
}

/**
 * Writes tokens into the blank text between `from` and `to`, never across a line break, so the rows
 * of everything else stay where they are. Null when they do not fit.
 */
function placeTokens(
  text: string,
  from: number,
  to: number,
  tokens: string[],
): { at: number; text: string }[] | null {
  const placed: { at: number; text: string }[] = [];
  let at = from;
  for (const [index, token] of tokens.entries()) {
    for (;;) {
      const end = at + token.length;
      if (end >= to) return null;
      const lineBreak = text.slice(at, end + 1).search(/[\r\n]/);
      if (lineBreak < 0) break;
      at += lineBreak + 1;
    }
    placed.push({ at, text: token });
    at += token.length;
    // Two words in a row need a space between them.
    if (/\w$/.test(token) && /^\w/.test(tokens[index + 1] ?? '')) at += 1;
  }
  return placed;
}

/** The file's text blanked (line breaks kept) but for `pieces`, parsed. */
function parseInPlace(source: string, pieces: { at: number; text: string }[]): Tree | null {
  const language = loadedLanguage('rust');
  if (!language) return null;
  let text = '';
  let at = 0;
  for (const piece of pieces) {
    text += source.slice(at, piece.at).replace(/[^\r\n]/g, ' ') + piece.text;
    at = piece.at + piece.text.length;
  }
  try {
    return parseLoaded('rust', language, text);
  } catch {
    return null;
  }
}

/** Macros of the language and of the crates every project uses: never a function of the repository. */
const KNOWN_MACRO =
  /^(print|println|eprint|eprintln|format|format_args|write|writeln|vec|panic|assert\w*|debug_assert\w*|unreachable|unimplemented|todo|matches|dbg|include\w*|concat|stringify|env|option_env|cfg|line|file|column|module_path|compile_error|thread_local|trace|debug|info|warn|error|event|span|\w+_span|bail|ensure|anyhow|format_err|json|select|join|try_join|pin|lazy_static)$/;

/**
 * `name!(a, 5, 100)` of a macro the repository may define: its name and its arguments, each the one
 * token it is (a literal, a name) or null for anything longer, which the caller reads as unknown.
 */
export function macroCall(invocation: Node): { name: string; args: (Node | null)[] } | null {
  const path = invocation.namedChildren[0];
  const tree = invocation.namedChildren.find((child) => child?.type === 'token_tree');
  const name = path?.text.replace(/^.*::/, '');
  if (!name || !tree || KNOWN_MACRO.test(name) || !/^[([]/.test(tree.text)) return null;
  const args: (Node | null)[] = [];
  let tokens: Node[] = [];
  const inner = tree.children.slice(1, -1);
  for (const [index, token] of inner.entries()) {
    if (token && token.type !== ',') tokens.push(token);
    if (token?.type === ',' || index === inner.length - 1) {
      if (tokens.length > 0) args.push(tokens.length === 1 && tokens[0]!.isNamed ? tokens[0]! : null);
      tokens = [];
    }
  }
  return { name, args };
}

/**
 * A wait found in a macro arm, with the text the file has at its place (`$interval`, not the `_interval`
 * it was parsed as): what a patch replaces and what a message quotes.
 */
export function withFileText(site: CallSite, source: string): void {
  const restore = (part: Snippet) => {
    part.text = source.slice(part.range.startOffset, part.range.endOffset);
  };
  restore(site.anchor);
  site.args.forEach(restore);
  for (const [, part] of site.named) restore(part);
  if (site.direct) restore(site.direct.argument);
}
