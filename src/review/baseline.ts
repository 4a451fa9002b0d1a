import type { Finding } from '../analysis/finding.js';

/**
 * A baseline: the findings a team accepted when it adopted jitterbot, recorded by fingerprint (which
 * survives lines moving) so scans and reviews report only new ones — the way Semgrep and detekt
 * let a linter be adopted on an old codebase. Committed at the repository root.
 */
export const BASELINE_PATH = '.jitterbot-baseline.json';

const BASELINE_VERSION = 1;

interface BaselineEntry {
  fingerprint: string;
  rule: string;
  /** Where it was when recorded: for the people reading the file, not for matching. */
  path: string;
  line: number;
}

export type Baseline = { fingerprints: ReadonlySet<string> } | { error: string };

/** The text of a baseline file for `findings`, sorted so that re-recording changes only what changed. */
export function baselineText(findings: readonly Finding[]): string {
  const entries: BaselineEntry[] = findings
    .map((finding) => ({
      fingerprint: finding.fingerprint,
      rule: finding.rule,
      path: finding.path,
      line: finding.range.startLine,
    }))
    .sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line);
  return `${JSON.stringify({ version: BASELINE_VERSION, findings: entries }, null, 2)}\n`;
}

/** Never throws: a broken file is an error message, and the review goes on without a baseline. */
export function parseBaseline(text: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { error: `${BASELINE_PATH}: not valid JSON: ${(error as Error).message}` };
  }
  const findings = (raw as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings)) return { error: `${BASELINE_PATH}: expected { "findings": [...] }` };
  const fingerprints = findings
    .map((entry) => (entry as { fingerprint?: unknown } | null)?.fingerprint)
    .filter((fingerprint): fingerprint is string => typeof fingerprint === 'string');
  return { fingerprints: new Set(fingerprints) };
}
