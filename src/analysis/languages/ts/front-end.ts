import { posix } from 'node:path';
import type { ts } from 'ts-morph';
import type { FrontEnd } from '../../flow/program.js';
import { extractTsFacts, type TsFacts } from './facts.js';
import { candidatesFor, guessedMapping, matchPattern, TS_JS_EXTENSIONS } from './modules.js';

/**
 * TS/JS for the value-flow engine: facts from the compiler's parser alone (no type checker, no
 * Program), modules by relative specifier (`.js` naming the `.ts` source, extensions, index files),
 * `require`, and re-exports; a bare `constants/retry` is tried under `src/` as bundlers resolve it.
 * The parser is the caller's: the analyser hands over the syntax trees it keeps for import
 * resolution, so a file followed by both is parsed once; so is its resolver, which reads the
 * project's `tsconfig.json` `paths`, so a value imported through a monorepo alias is followed as the
 * function that waits it is.
 */
export function tsFrontEnd(
  parse: (path: string, text: string) => ts.SourceFile | Promise<ts.SourceFile>,
  resolve?: (fromPath: string, module: string) => Promise<string | null>,
): FrontEnd {
  return {
    // A submodule reference (`config#settings`, below) names no file of its own; a leading `#` is a
    // subpath import (`#settings/retry`), which the project's paths may map.
    ...(resolve
      ? { resolve: async (from, module) => (module.indexOf('#') > 0 ? null : resolve(from, module)) }
      : {}),
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
    modulePaths,
    // `import * as config from './config'` binds the module itself; a member import is not a module.
    submodule: (module, name) => `${module}#${name}`,
    objectLiterals: true,
    moduleState: true,
  };
}

export function modulePaths(fromPath: string, module: string): string[] {
  if (module.includes('#')) return [];
  const inRepository = (paths: string[]) => paths.filter((p) => !p.startsWith('..') && !p.startsWith('/'));
  if (module.startsWith('.')) return inRepository(candidatesFor(posix.join(posix.dirname(fromPath), module)));
  // `@/config`, `~/config`, `#/config`: a path alias of the project's root, most often `src/`.
  const alias = /^[@~#]\/(.+)$/.exec(module)?.[1];
  if (alias)
    return inRepository([
      ...candidatesFor(posix.join('src', alias)),
      ...candidatesFor(alias),
      ...candidatesFor(alias).map((path) => `**/${path}`),
    ]);
  const mapping = guessedMapping(module);
  if (!mapping) return [];
  const paths: string[] = [];
  for (const [pattern, targets] of mapping.paths) {
    const captured = matchPattern(pattern, module);
    if (captured === null) continue;
    for (const target of targets)
      paths.push(...candidatesFor(posix.join(mapping.baseDir, target.replace('*', captured))));
  }
  return inRepository(paths);
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
