import { posix } from 'node:path';
import type { ts } from 'ts-morph';
import type { FrontEnd } from '../../flow/program.js';
import { extractTsFacts, type TsFacts } from './facts.js';
import { candidatesFor, TS_JS_EXTENSIONS } from './modules.js';

/**
 * TS/JS for the value-flow engine: facts from the compiler's parser alone (no type checker, no
 * Program), `require`, and re-exports. The parser and the module resolver are the caller's: the
 * analyser hands over the syntax trees it keeps and the resolver it follows imports with (relative
 * specifiers, the project's `tsconfig.json` `paths` and `baseUrl`, a bundler's `src/` root, the
 * repository's own workspace packages), so a file followed by both is parsed once, and a value is
 * found wherever the function that waits it is.
 */
export function tsFrontEnd(
  parse: (path: string, text: string) => ts.SourceFile | Promise<ts.SourceFile>,
  resolve: (fromPath: string, module: string) => Promise<string | null>,
): FrontEnd {
  return {
    resolve: async (from, module) => (isSubmodule(module) ? null : resolve(from, module)),
    extensions: TS_JS_EXTENSIONS,
    extract: async (path, text) => {
      try {
        return extractTsFacts(path, await parse(path, text))?.facts ?? null;
      } catch (error) {
        // The compiler's parser recurses: a hostile file is simply not followed into.
        if (error instanceof RangeError) return null;
        throw error;
      }
    },
    modulePaths: (_fromPath, module) => (isSubmodule(module) ? [] : rootAliasGuesses(module)),
    // `import * as config from './config'` binds the module itself; a member import is not a module.
    submodule: (module, name) => `${module}#${name}`,
    objectLiterals: true,
    moduleState: true,
  };
}

/**
 * A submodule reference (`config#settings`, below) names no file of its own; a leading `#` is a
 * subpath import (`#settings/retry`), which the project's paths may map.
 */
function isSubmodule(module: string): boolean {
  return module.indexOf('#') > 0;
}

/**
 * What the resolver leaves: `@/config`, `~/config`, `#/config` with no mapping that names them, a
 * path alias of the project's root, most often `src/`.
 */
function rootAliasGuesses(module: string): string[] {
  const alias = /^[@~#]\/(.+)$/.exec(module)?.[1];
  if (!alias) return [];
  return [
    ...candidatesFor(posix.join('src', alias)),
    ...candidatesFor(alias),
    ...candidatesFor(alias).map((path) => `**/${path}`),
  ].filter((path) => !path.startsWith('..') && !path.startsWith('/'));
}

/** The innermost function of a file's facts around a source offset. */
export function functionAt(facts: TsFacts, offset: number): number | undefined {
  let best: number | undefined;
  for (const [id, span] of facts.spans.entries()) {
    if (
      span.start <= offset &&
      offset < span.end &&
      (best === undefined || span.start >= facts.spans[best]!.start)
    )
      best = id;
  }
  return best;
}
