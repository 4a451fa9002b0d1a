import type { ModuleHost } from '../../analyzer.js';
import { withTree, type GrammarName, type Node } from './runtime.js';

/**
 * Following other files of the repository for a tree-sitter language: what each file declares is
 * summarised once into plain data (trees are freed straight away) and kept in a small cache per
 * scan; expressions kept as text are re-parsed on demand, which for a constant costs microseconds.
 */

/** Summaries kept per scan: shared settings and helper modules stay hot, the rest is dropped. */
export const MAX_CACHED_MODULES = 128;

/** How deep one delay expression is followed (`((…))`, `a + b + …`) before it is called unknown. */
export const MAX_EXPRESSION_NESTING = 400;

/** How far a chain of imports and helper calls is followed before giving up (unknown, not a guess). */
export const MAX_RESOLUTION_DEPTH = 8;

/** Per-scan cache of one language's module summaries, least recently used first out. */
export class SummaryCache<T> {
  private readonly entries = new Map<string, Promise<T | null>>();

  constructor(
    private readonly host: ModuleHost,
    private readonly summarise: (path: string, text: string) => Promise<T | null>,
    private readonly capacity = MAX_CACHED_MODULES,
  ) {}

  /** The summary of `path` read through the host, or null when it cannot be read or parsed. */
  get(path: string): Promise<T | null> {
    const cached = this.entries.get(path);
    if (cached) {
      this.entries.delete(path);
      this.entries.set(path, cached);
      return cached;
    }
    const pending = this.host
      .read(path)
      .then((text) => (text === null ? null : this.summarise(path, text)))
      .catch(() => null);
    this.remember(path, pending);
    return pending;
  }

  /** Records the summary of a file being analysed, so that following imports back to it does not re-read it. */
  put(path: string, summary: T): void {
    this.remember(path, Promise.resolve(summary));
  }

  private remember(path: string, pending: Promise<T | null>): void {
    this.entries.set(path, pending);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Parses `prefix + text + suffix` and hands `use` the smallest node spanning exactly `text`: how
 * an expression kept as text is evaluated again (`prefix` makes it valid on its own, e.g.
 * `package p\nvar _ = ` for Go). Null when the text does not parse as one node.
 */
export async function withFragment<T>(
  grammar: GrammarName,
  prefix: string,
  text: string,
  suffix: string,
  use: (node: Node) => T | Promise<T>,
): Promise<T | null> {
  return withTree(grammar, `${prefix}${text}${suffix}`, async (tree) => {
    const start = prefix.length;
    const end = start + text.length;
    let node = tree.rootNode.descendantForIndex(start, end);
    while (node && !node.isNamed && node.parent) node = node.parent;
    if (!node || node.startIndex !== start || node.endIndex !== end || node.hasError) return null;
    return use(node);
  });
}
