import { posix } from 'node:path';
import type { SettingsConvention } from './ir.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type ParsedNode } from 'yaml';

/**
 * The project's own configuration files, as the engine reads a key from them: `.properties`, `.json`,
 * `.yml`/`.yaml`. Pure: text in, keys out; which file a key comes from is the engine's business.
 */

/** One key of a config file as the file spells it, its raw value and the line that sets it. */
export interface SettingEntry {
  key: string;
  value: string | number | boolean | null;
  line: number;
}

/** Keys by dotted path (`resilience.retry.waitDuration`; list items by index, `hosts.0`). */
export type Settings = ReadonlyMap<string, SettingEntry>;

/** Files the engine reads keys from, by extension. */
const SETTINGS_FILE = /\.(?:properties|json|ya?ml)$/i;

/**
 * A string literal in code that names such a file (`"assets/config/config.properties"`,
 * `'../config.json'`, a classpath resource `"/app.properties"` or `"classpath:app.yml"`).
 */
const SETTINGS_PATH_LITERAL =
  /["'`]((?:classpath\*?:)?\/?(?:[\w.@-]+\/)*[\w.@-]+\.(?:properties|json|ya?ml))["'`]/gi;

/**
 * Siblings that stand for a file the repository does not hold: the real config is often ignored by
 * git, and the example committed beside it is the documented default.
 */
const EXAMPLE_MARKERS = ['example', 'sample', 'default', 'dist', 'template'];

export function isSettingsFile(path: string): boolean {
  return SETTINGS_FILE.test(path);
}

/** The keys of a config file, or null when it does not parse. */
export function parseSettings(path: string, text: string): Settings | null {
  if (/\.properties$/i.test(path)) return parseProperties(text);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0) return null;
  const entries = new Map<string, SettingEntry>();
  const walk = (node: ParsedNode | null, prefix: string, line: number) => {
    if (isMap(node) || isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const pair = isMap(node) ? (item as { key: ParsedNode | null; value: ParsedNode | null }) : null;
        const key = pair ? (isScalar(pair.key) ? String(pair.key.value) : null) : String(index);
        if (key === null) continue;
        const at = pair?.key?.range ?? (item as ParsedNode).range;
        walk(
          pair ? pair.value : (item as ParsedNode),
          prefix === '' ? key : `${prefix}.${key}`,
          at ? lines.linePos(at[0]).line : line,
        );
      }
    } else if (isScalar(node) && prefix !== '') {
      const value = node.value;
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
        entries.set(prefix, { key: prefix, value: value as SettingEntry['value'], line });
    }
  };
  walk(doc.contents, '', 1);
  return entries;
}

/** Java `.properties`: `key = value`, `key: value` or `key value`; `#`/`!` comments; `\` continues a line. */
function parseProperties(text: string): Settings {
  const entries = new Map<string, SettingEntry>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = i + 1;
    let logical = lines[i]!.trimStart();
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (/(?:^|[^\\])(?:\\\\)*\\$/.test(logical) && i + 1 < lines.length) {
      i += 1;
      logical = logical.slice(0, -1) + lines[i]!.trimStart();
    }
    const match =
      /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(logical) ?? /^((?:\\.|[^=:\s\\])+)$/.exec(logical);
    if (!match) continue;
    const key = match[1]!.replace(/\\(.)/g, '$1');
    entries.set(key, { key, value: (match[2] ?? '').trimEnd(), line });
  }
  return entries;
}

/**
 * A key of a file. `relaxed`: Spring Boot's relaxed binding, where `wait-duration`, `waitDuration`
 * and `wait_duration` name one property.
 */
export function lookupSetting(settings: Settings, key: string, relaxed: boolean): SettingEntry | null {
  const exact = settings.get(key);
  if (exact || !relaxed) return exact ?? null;
  const wanted = canonical(key);
  for (const [name, entry] of settings) if (canonical(name) === wanted) return entry;
  return null;
}

function canonical(key: string): string {
  return key.replace(/[-_]/g, '').toLowerCase();
}

/** What a raw value is as a delay, in the expression's own unit (a duration string: milliseconds). */
export type SettingValue = { kind: 'number'; value: number } | { kind: 'random' } | { kind: 'other' };

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function settingValue(raw: SettingEntry['value']): SettingValue {
  if (typeof raw === 'number')
    return Number.isFinite(raw) ? { kind: 'number', value: raw } : { kind: 'other' };
  if (typeof raw !== 'string') return { kind: 'other' };
  const text = raw.trim();
  // Spring's `${random.int(500,2000)}`: a value drawn at start-up, different on every instance.
  if (/^\$\{random\./.test(text)) return { kind: 'random' };
  // `${RETRY_WAIT:500ms}`: an environment variable or another key, else the file's own default —
  // what runs unless someone sets it, as with `@Value("${key:500}")`.
  const placeholder = /^\$\{[^:}]+:([^}]*)\}$/.exec(text);
  if (placeholder) return settingValue(placeholder[1]!);
  if (/^[-+]?\d+(?:\.\d+)?$/.test(text)) return { kind: 'number', value: Number(text) };
  // Spring Boot's duration format (`500ms`, `2s`) and ISO-8601 (`PT2S`).
  const simple = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)$/i.exec(text);
  if (simple)
    return { kind: 'number', value: Number(simple[1]) * DURATION_UNIT_MS[simple[2]!.toLowerCase()]! };
  const iso = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(text);
  if (iso && text.length > 2)
    return {
      kind: 'number',
      value: Number(iso[1] ?? 0) * 3_600_000 + Number(iso[2] ?? 0) * 60_000 + Number(iso[3] ?? 0) * 1_000,
    };
  return { kind: 'other' };
}

/** Config files a code file names in string literals, each with the line that names it. */
export function settingsPathLiterals(text: string): { literal: string; line: number }[] {
  const found: { literal: string; line: number }[] = [];
  let line = 1;
  let counted = 0;
  for (const match of text.matchAll(SETTINGS_PATH_LITERAL)) {
    for (; counted < match.index; counted += 1) if (text.charCodeAt(counted) === 10) line += 1;
    found.push({ literal: match[1]!, line });
  }
  return found;
}

/**
 * Repository paths a literal in `codePath` may mean, most likely first: relative to the code's own
 * directory (`join(__dirname, '../config.json')`), then to the repository root (the working
 * directory a Java or Python program is started in), then — for JVM code under `src/main/` — the
 * classpath's `src/main/resources/`. An absolute or `classpath:` literal is only a classpath resource.
 */
export function settingsPathCandidates(codePath: string, literal: string): string[] {
  const resource = literal.replace(/^classpath\*?:/, '');
  const onClasspath = resource !== literal || resource.startsWith('/');
  const paths = onClasspath ? [] : [posix.join(posix.dirname(codePath), literal), posix.normalize(literal)];
  const module = jvmModule(codePath);
  if (module !== null) paths.push(posix.join(`${module}src/main/resources`, resource));
  return [...new Set(paths.filter((p) => !p.startsWith('..') && !p.startsWith('/')))];
}

/** The module directory of JVM code under `src/main/` or `src/test/` (`''` at the root), or null. */
function jvmModule(codePath: string): string | null {
  return /^(.*?)src\/(?:main|test)\//.exec(codePath)?.[1] ?? null;
}

/** `config.json` → `config.example.json`, `config.json.example`, … (the committed stand-ins). */
export function exampleSiblings(path: string): string[] {
  const ext = posix.extname(path);
  const stem = path.slice(0, path.length - ext.length);
  return EXAMPLE_MARKERS.flatMap((marker) => [`${stem}.${marker}${ext}`, `${path}.${marker}`]);
}

/**
 * The files a framework reads by convention, for code at `codePath`: Spring Boot's
 * `src/main/resources/application.{properties,yml,yaml}` of the code's module, the node `config`
 * package's `config/default.{json,yml,yaml}` at the root. Profile files are left out: the default is
 * what runs where no profile is chosen.
 */
export function conventionFiles(convention: SettingsConvention, codePath: string): string[] {
  if (convention === 'node-config') return ['json', 'yml', 'yaml'].map((ext) => `config/default.${ext}`);
  const module = jvmModule(codePath) ?? '';
  return ['properties', 'yml', 'yaml'].map((ext) => `${module}src/main/resources/application.${ext}`);
}

/**
 * The key prefix of a Spring Boot `@ConfigurationProperties(prefix = "app.retry")` (or `("app.retry")`)
 * among a class's annotations: Spring binds the class's properties to the keys under it.
 */
export function springPropertiesPrefix(annotations: string): string | null {
  const match = /@(?:[\w.]+\.)?ConfigurationProperties\s*\(\s*(?:(?:prefix|value)\s*=\s*)?"([^"]*)"/.exec(
    annotations,
  );
  return match ? match[1]! : null;
}
