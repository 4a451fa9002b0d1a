import parseDiff from 'parse-diff';
import type { ChangedFile, LineRange } from './types.js';

/**
 * Reading unified diffs: a whole `git diff` output (the local checkout) and single-file hunks (GitHub's
 * `pulls.listFiles` `patch` field, GitLab's merge request `changes[].diff`). Pure: text in, files out.
 *
 * parse-diff reads the hunks. The per-file headers are read here because parse-diff knows neither
 * `rename from`/`rename to`, nor `Binary files … differ`, nor git's C-quoted paths (`"a/new\nline.ts"`),
 * and guesses paths with spaces from the `diff --git` line.
 */

/** Bounds on how much of a diff is turned into line ranges, so a huge change cannot exhaust memory. */
export interface DiffLimits {
  /** Files beyond this many are listed with their status but no added lines. */
  maxFiles: number;
  /** Hunk lines (headers, context, removed and added lines) read per file; the rest is not reviewed. */
  maxLinesPerFile: number;
}

// GitHub's pull request files API stops at 3000 files, so a larger review is already partial there.
export const DEFAULT_DIFF_LIMITS: DiffLimits = { maxFiles: 3_000, maxLinesPerFile: 20_000 };

/** A changed file as a diff describes it; `truncated` says why part of it was not read. */
export interface DiffFile extends ChangedFile {
  truncated?: string;
}

/** Every line of a file: how a whole-tree scan (no base to compare with) marks files as entirely new. */
export const WHOLE_FILE: LineRange = { start: 1, end: Number.MAX_SAFE_INTEGER };

const DEV_NULL = '/dev/null';
const GITLINK_MODE = '160000';
// Git's own prefixes: a/ b/ by default, i/ w/ c/ o/ with diff.mnemonicPrefix, 1/ 2/ for --no-index.
const SIDE_PREFIX = /^[abiwco12]\//;

/** Added line numbers of one file's hunks (no `diff --git` header needed), merged into sorted ranges. */
export function addedLinesFromPatch(patch: string): LineRange[] {
  if (patch.trim() === '') return [];
  let parsed: parseDiff.File[];
  try {
    parsed = parseDiff(patch);
  } catch {
    // parse-diff throws on a `\ No newline` marker directly after a hunk header; such text is not a
    // diff any platform produces, and no added lines is the safe reading of it.
    return [];
  }
  const lines: number[] = [];
  for (const file of parsed) {
    for (const chunk of file.chunks) {
      for (const change of chunk.changes) {
        // parse-diff repeats the previous change for a `\ No newline at end of file` marker.
        if (change.type === 'add' && !change.content.startsWith('\\')) lines.push(change.ln);
      }
    }
  }
  return mergeLines(lines);
}

/** Whether `line` (1-based) falls in one of `ranges`, which must be sorted and disjoint. */
export function isLineAdded(ranges: readonly LineRange[], line: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const range = ranges[middle]!;
    if (line < range.start) high = middle - 1;
    else if (line > range.end) low = middle + 1;
    else return true;
  }
  return false;
}

/** Sorted, deduplicated, adjacent lines joined: [3, 1, 2, 2, 7] → 1–3, 7–7. */
export function mergeLines(lines: readonly number[]): LineRange[] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const ranges: LineRange[] = [];
  for (const line of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && line === last.end + 1) last.end = line;
    else ranges.push({ start: line, end: line });
  }
  return ranges;
}

/**
 * The files of a whole `git diff` output (with `diff --git` headers, any context size, renames).
 * Removed and binary files have no added lines; files past `limits` keep their status and carry a
 * `truncated` note.
 */
export function parseUnifiedDiff(text: string, limits: DiffLimits = DEFAULT_DIFF_LIMITS): DiffFile[] {
  const files: DiffFile[] = [];
  for (const section of splitSections(text)) {
    const header = readHeader(section.header);
    if (!header) continue;
    const file = toChangedFile(header);
    if (file.status === 'removed' || file.status === 'binary') {
      files.push(file);
    } else if (files.length >= limits.maxFiles) {
      files.push({ ...file, truncated: `not reviewed: the diff has more than ${limits.maxFiles} files` });
    } else if (section.hunks.length > limits.maxLinesPerFile) {
      const read = section.hunks.slice(0, limits.maxLinesPerFile).join('\n');
      files.push({
        ...file,
        addedLines: addedLinesFromPatch(read),
        truncated: `partly reviewed: only the first ${limits.maxLinesPerFile} lines of this file's diff were read`,
      });
    } else {
      files.push({ ...file, addedLines: addedLinesFromPatch(section.hunks.join('\n')) });
    }
  }
  return files;
}

interface Section {
  /** Lines from `diff --git` up to the first hunk. */
  header: string[];
  /** Lines from the first `@@` on. */
  hunks: string[];
}

/**
 * Every body line of a git hunk starts with ' ', '+', '-' or '\', so a line starting with `diff --git `
 * always opens the next file, whatever the file contents are.
 */
function splitSections(text: string): Section[] {
  const sections: Section[] = [];
  let current: Section | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = { header: [line], hunks: [] };
      sections.push(current);
    } else if (!current) {
      continue;
    } else if (current.hunks.length > 0 || line.startsWith('@@ ')) {
      current.hunks.push(line);
    } else {
      current.header.push(line);
    }
  }
  return sections;
}

interface Header {
  oldPath: string | null;
  newPath: string | null;
  renamedFrom?: string;
  created: boolean;
  deleted: boolean;
  binary: boolean;
}

function readHeader(lines: string[]): Header | null {
  const header: Header = { oldPath: null, newPath: null, created: false, deleted: false, binary: false };
  let fromGitLine: [string, string] | null = null;
  let targetPath: string | undefined;
  for (const line of lines) {
    if (line.startsWith('diff --git ')) fromGitLine = gitLinePaths(line.slice('diff --git '.length));
    else if (line.startsWith('--- ')) header.oldPath = sidePath(line.slice(4));
    else if (line.startsWith('+++ ')) header.newPath = sidePath(line.slice(4));
    else if (line.startsWith('rename from ')) header.renamedFrom = unquote(line.slice('rename from '.length));
    else if (line.startsWith('rename to ')) targetPath = unquote(line.slice('rename to '.length));
    else if (line.startsWith('copy to ')) targetPath = unquote(line.slice('copy to '.length));
    // A copy (`git diff -C`) is a new file at head whose diff is against its source.
    else if (line.startsWith('new file mode ') || line.startsWith('copy from ')) header.created = true;
    else if (line.startsWith('deleted file mode ')) header.deleted = true;
    else if (line.startsWith('Binary files ') || line === 'GIT binary patch') header.binary = true;
    else if (isGitlink(line)) header.binary = true;
  }
  // `---`/`+++` are exact but absent without content changes (pure renames, empty or binary files);
  // then the rename lines, then the `diff --git` line.
  header.oldPath ??= header.renamedFrom ?? (header.created ? DEV_NULL : (fromGitLine?.[0] ?? null));
  header.newPath ??= targetPath ?? (header.deleted ? DEV_NULL : (fromGitLine?.[1] ?? null));
  if (header.oldPath === DEV_NULL) header.created = true;
  if (header.newPath === DEV_NULL) header.deleted = true;
  if (header.oldPath === null && header.newPath === null) return null;
  return header;
}

/** A submodule pointer is a commit, not text (`index abc..def 160000`, `new file mode 160000`). */
function isGitlink(line: string): boolean {
  if (line.startsWith('index ')) return line.split(' ')[2] === GITLINK_MODE;
  return /^(new file|deleted file|new|old) mode 160000$/.test(line);
}

function toChangedFile(header: Header): DiffFile {
  const path = (header.deleted ? header.oldPath : header.newPath) ?? header.oldPath ?? header.newPath ?? '';
  if (header.deleted) return { path, status: 'removed', addedLines: [] };
  const renamed =
    header.renamedFrom !== undefined ||
    (!header.created &&
      header.oldPath !== null &&
      header.newPath !== null &&
      header.oldPath !== header.newPath);
  const previousPath = renamed ? (header.renamedFrom ?? header.oldPath ?? undefined) : undefined;
  const base: DiffFile = {
    path,
    status: 'modified',
    addedLines: [],
    ...(previousPath ? { previousPath } : {}),
  };
  if (header.binary) return { ...base, status: 'binary' };
  if (header.created) return { ...base, status: 'added' };
  if (renamed) return { ...base, status: 'renamed' };
  return base;
}

/** `a/src/x.ts`, `"a/new\nline.ts"`, `/dev/null`, or with a tab and timestamp after the name. */
function sidePath(raw: string): string {
  let name: string;
  if (raw.startsWith('"')) {
    name = readQuoted(raw, 0)?.value ?? raw;
  } else {
    // Git appends a tab to names containing spaces; other diff tools put a timestamp after it.
    const tab = raw.indexOf('\t');
    name = tab === -1 ? raw : raw.slice(0, tab);
  }
  return name === DEV_NULL ? DEV_NULL : name.replace(SIDE_PREFIX, '');
}

/**
 * Paths of `diff --git a/x b/y`. Unquoted paths may contain spaces, so the split is only certain when
 * both sides name the same file, which is the only case where this line is the sole source of a path.
 */
function gitLinePaths(rest: string): [string, string] | null {
  if (rest.startsWith('"')) {
    const first = readQuoted(rest, 0);
    if (!first) return null;
    const second = rest.slice(first.end + 1);
    return [first.value.replace(SIDE_PREFIX, ''), sidePath(second)];
  }
  const sideLength = (rest.length - 1) / 2;
  if (Number.isInteger(sideLength) && rest[sideLength] === ' ') {
    const oldSide = rest.slice(0, sideLength);
    const newSide = rest.slice(sideLength + 1);
    if (oldSide.slice(2) === newSide.slice(2)) return [oldSide.replace(SIDE_PREFIX, ''), sidePath(newSide)];
  }
  const split = rest.lastIndexOf(' b/');
  if (split === -1) return null;
  return [rest.slice(0, split).replace(SIDE_PREFIX, ''), sidePath(rest.slice(split + 1))];
}

function unquote(raw: string): string {
  return raw.startsWith('"') ? (readQuoted(raw, 0)?.value ?? raw) : raw;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  '\\': 92,
};

const utf8 = new TextDecoder('utf-8');

/**
 * Git's C-style quoting (`quote_c_style`): backslash escapes and octal bytes (`\303\274` is ü).
 * Returns the decoded text and the index of the closing quote, or null when the quote never closes.
 */
function readQuoted(text: string, open: number): { value: string; end: number } | null {
  const bytes: number[] = [];
  let index = open + 1;
  while (index < text.length) {
    const char = String.fromCodePoint(text.codePointAt(index)!);
    if (char === '"') return { value: utf8.decode(Uint8Array.from(bytes)), end: index };
    if (char === '\\') {
      const next = text[index + 1] ?? '';
      const octal = /^[0-7]{3}/.exec(text.slice(index + 1, index + 4));
      if (octal) {
        bytes.push(parseInt(octal[0], 8));
        index += 4;
        continue;
      }
      const escaped = SIMPLE_ESCAPES[next];
      if (escaped !== undefined) {
        bytes.push(escaped);
        index += 2;
        continue;
      }
    }
    bytes.push(...Buffer.from(char, 'utf8'));
    index += char.length;
  }
  return null;
}
