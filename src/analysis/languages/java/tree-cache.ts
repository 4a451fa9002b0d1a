import type { ModuleHost } from '../../analyzer.js';
import { parse, type GrammarName, type Tree } from '../tree-sitter/runtime.js';

/** Other files one analysed file may open to resolve constants: enough for config classes, bounded for hostile trees. */
export const MAX_FOLLOWED_FILES = 16;

/** Files larger than this are data, not the constant holder a delay refers to. */
const MAX_FOLLOWED_BYTES = 512 * 1024;

/**
 * The other files of the repository that one file's analysis reads (constants in a config class, a
 * module's `const`), parsed once each. Trees are WASM memory: `dispose()` frees them when the file's
 * analysis ends, so nodes from here must not outlive it.
 */
export class TreeCache {
  private readonly trees = new Map<string, Promise<Tree | null>>();
  private readonly opened: Tree[] = [];

  constructor(
    private readonly grammar: GrammarName,
    private readonly host: ModuleHost,
  ) {}

  /** The parsed file at `path`, or null when it is absent, too large, unparsable or over the budget. */
  tree(path: string): Promise<Tree | null> {
    let pending = this.trees.get(path);
    if (!pending) {
      pending = this.trees.size >= MAX_FOLLOWED_FILES ? Promise.resolve(null) : this.load(path);
      this.trees.set(path, pending);
    }
    return pending;
  }

  /** The raw text of `path` (manifests such as Cargo.toml), through the same host. */
  text(path: string): Promise<string | null> {
    return this.host.read(path);
  }

  private async load(path: string): Promise<Tree | null> {
    const text = await this.host.read(path);
    if (text === null || text.length > MAX_FOLLOWED_BYTES) return null;
    try {
      const tree = await parse(this.grammar, text);
      this.opened.push(tree);
      return tree;
    } catch {
      // A file that cannot be parsed in time resolves nothing; the delay becomes unknown.
      return null;
    }
  }

  dispose(): void {
    for (const tree of this.opened.splice(0)) tree.delete();
    this.trees.clear();
  }
}

/** `a/b/c.java` → `a/b`; '' at the root. */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function joinPath(directory: string, name: string): string {
  return directory === '' ? name : `${directory}/${name}`;
}
