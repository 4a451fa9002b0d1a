import { posix } from 'node:path';
import type { FrontEnd } from '../../flow/program.js';
import { extractTsFacts, type TsFacts } from './facts.js';
import { candidatesFor, guessedMapping, matchPattern, parseSource, TS_JS_EXTENSIONS } from './modules.js';

/**
 * TS/JS for the value-flow engine: facts from the compiler's parser alone (no type checker, no
 * Program), modules by relative specifier (`.js` naming the `.ts` source, extensions, index files),
 * `require`, and re-exports; a bare `constants/retry` is tried under `src/` as bundlers resolve it.
 */
export const TS_FRONT_END: FrontEnd = {
  extensions: TS_JS_EXTENSIONS,
  extract: (path, text) => Promise.resolve(factsOf(path, text)),
  modulePaths,
  // `import * as config from './config'` binds the module itself; a member import is not a module.
  submodule: (module, name) => `${module}#${name}`,
  objectLiterals: true,
  moduleState: true,
};

function factsOf(path: string, text: string): TsFacts | null {
  try {
    return extractTsFacts(path, parseSource(path, text))?.facts ?? null;
  } catch (error) {
    // The compiler's parser recurses: a hostile file is simply not followed into.
    if (error instanceof RangeError) return null;
    throw error;
  }
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
