import { posix } from 'node:path';
import { ts } from 'ts-morph';

/** How many `extends` a tsconfig chain may follow (the compiler has no limit; real chains are short). */
const MAX_EXTENDS = 8;

/** `extends` of a tsconfig, as the paths it names relative to the repository (packages are left out). */
function tsconfigExtends(configPath: string, text: string): string[] {
  const config = ts.parseConfigFileTextToJson(configPath, text).config as { extends?: unknown } | undefined;
  const named = config?.extends;
  const list = Array.isArray(named) ? named : [named];
  return list
    .filter((entry): entry is string => typeof entry === 'string' && entry.startsWith('.'))
    .map((entry) => {
      const joined = posix.join(posix.dirname(configPath), entry);
      return joined.endsWith('.json') ? joined : `${joined}.json`;
    });
}

/** The texts of `configPath` and of every file of the repository it extends, read through `read`. */
export async function tsconfigChain(
  configPath: string,
  text: string,
  read: (path: string) => Promise<string | null>,
): Promise<Map<string, string>> {
  const configs = new Map([[configPath, text]]);
  let pending = tsconfigExtends(configPath, text);
  for (let depth = 0; depth < MAX_EXTENDS && pending.length > 0; depth += 1) {
    const next: string[] = [];
    for (const extended of pending) {
      if (configs.has(extended)) continue;
      const found = await read(extended).catch(() => null);
      if (found === null) continue;
      configs.set(extended, found);
      next.push(...tsconfigExtends(extended, found));
    }
    pending = next;
  }
  return configs;
}

/**
 * The options of the tsconfig at `configPath` with what it extends merged in, as the compiler merges
 * them; `configs` holds the texts of the chain (`tsconfigChain`). Paths in the result are relative to
 * the repository root.
 */
export function mergedOptions(
  configs: ReadonlyMap<string, string>,
  configPath: string,
): ts.CompilerOptions | undefined {
  const text = configs.get(configPath);
  if (text === undefined) return undefined;
  const json = ts.parseConfigFileTextToJson(configPath, text).config as object | undefined;
  if (json === undefined) return undefined;
  // The compiler resolves `extends` against absolute directories: the repository root is `/`.
  const inRepository = (path: string) => path.replace(/^\//, '');
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: true,
    fileExists: (path) => configs.has(inRepository(path)),
    readFile: (path) => configs.get(inRepository(path)),
    readDirectory: () => [],
  };
  const absolute = `/${configPath}`;
  return ts.parseJsonConfigFileContent(json, host, posix.dirname(absolute), undefined, absolute).options;
}
