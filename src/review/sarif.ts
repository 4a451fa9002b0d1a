import type { Log, Result, ReportingDescriptor, Fix } from 'sarif';
import type { RuleId } from '../analysis/finding.js';
import type { PublishedFinding, SkippedFile } from '../platforms/types.js';
import type { Suggestion } from '../suggest/types.js';
import { patchVerdict } from './patch-verdict.js';
import { RULE_DOCS_URL } from './rule-docs.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** Rule metadata shared by every output: SARIF's `tool.driver.rules`, the README, comment links. */
export const RULES: Record<
  RuleId,
  { name: string; short: string; full: string; help: string; level: 'warning' | 'note' }
> = {
  'fixed-delay-retry': {
    name: 'FixedDelayRetry',
    short: 'Retry waits a fixed delay between attempts',
    full: 'A retry that waits the same delay before every attempt makes every client that failed together retry together: a thundering herd that turns a short throttle into an outage. Randomise the delay (full jitter).',
    help: "Wait a random share of the delay instead of all of it (full jitter: a uniform draw between 0 and the delay, growing with the attempt up to a cap), or turn on the retry library's own jitter. The fix attached to the result does this in the project's own idiom. A fixed delay that is right (polling, pacing, a delay the server dictates) can be silenced with `jitterbot-ignore-next-line <reason>` on the line above.",
    level: 'warning',
  },
  'unjittered-backoff': {
    name: 'UnjitteredBackoff',
    short: 'Retry backs off without jitter',
    full: 'Exponential (or linear) backoff without randomness spreads attempts over time but keeps clients that failed together in lockstep: each wave arrives together. Add jitter to the backoff.',
    help: "Draw each wait at random up to the computed backoff (full jitter) or between half of it and all of it (equal jitter), or turn on the retry library's jitter option. The fix attached to the result does this in the project's own idiom.",
    level: 'note',
  },
  'clamped-jitter': {
    name: 'ClampedJitter',
    short: 'Retry jitter is swallowed by a cap',
    full: 'A random term added beneath a cap (`min(base * 2 ** n + random() * base, cap)`) stops mattering once the backoff passes the cap: from that attempt on every client waits exactly the cap and retries in the same instant.',
    help: 'Apply the jitter after the clamp: draw the wait at random up to the capped backoff (`random() * min(cap, base * 2 ** n)`), so the cap bounds the range rather than replacing it.',
    level: 'warning',
  },
  'clamped-server-hint': {
    name: 'ClampedServerHint',
    short: 'Server retry hint clamped to a constant',
    full: 'A server hint clamped to a constant (`min(retry_after, 600)`) makes every client the server told to wait longer than the cap wait exactly the cap, and retry together.',
    help: 'Add a bounded positive jitter on top of the clamped hint (`min(retry_after, cap) + random() * spread`): never earlier than the server asked, and no longer in lockstep.',
    level: 'note',
  },
  'negligible-jitter': {
    name: 'NegligibleJitter',
    short: 'Retry jitter too small for its wait',
    full: 'A random spread far smaller than the wait (±1 % of 30 s, a random term in milliseconds added to a wait in seconds) leaves clients that failed together arriving together.',
    help: 'Draw a share of the wait itself at random (full jitter: a uniform draw up to the wait; equal jitter: half of it plus a random half), not a sliver added to it. The threshold is the `negligible_jitter` setting (default 10 % of the wait).',
    level: 'note',
  },
  'fake-jitter': {
    name: 'FakeJitter',
    short: 'Retry jitter is the same in every process',
    full: 'A retry whose jitter is drawn from a generator seeded with a constant (`random.Random(42)`, `new Random(42)`, `rand.NewSource(1)`), or computed by a helper named as jitter that draws no random number, waits the same sequence of delays in every client: clients that failed together still retry together.',
    help: "Draw the jitter from a source that differs between processes: the language's shared random source (`random.random()`, `ThreadLocalRandom`, `rand.Int63n`, `Math.random()`), or a generator seeded from the OS. In a helper named as jitter, add the random term it is missing (full jitter: a uniform draw up to the delay). Tests that need a repeatable sequence can pass a seeded generator in; production code should not build one.",
    level: 'warning',
  },
};

export interface SarifEntry {
  published: PublishedFinding;
  /** `new` on lines the change added; `unchanged` for pre-existing findings; absent in whole-tree scans. */
  baselineState?: 'new' | 'unchanged';
  /** File text, for the fix's line/column regions. */
  text?: string;
}

export interface SarifOptions {
  version: string;
  /**
   * Where the scanned directory sits in its repository (`services/api/`), so that locations are
   * relative to the repository root as code scanning expects; '' when the root itself was scanned.
   */
  pathPrefix?: string;
  /** Files not analysed, reported as tool notifications so a viewer shows what was not looked at. */
  skipped?: readonly SkippedFile[];
}

/**
 * SARIF 2.1.0 with results located relative to the scanned root, a fix per offered patch, and the
 * reason in the result's properties (`fixNotOffered`) when a patch is not offered.
 */
export function toSarif(entries: readonly SarifEntry[], options: SarifOptions): Log {
  const ruleIds = Object.keys(RULES) as RuleId[];
  const rules: ReportingDescriptor[] = ruleIds.map((id) => ({
    id,
    name: RULES[id].name,
    shortDescription: { text: RULES[id].short },
    fullDescription: { text: RULES[id].full },
    help: {
      text: RULES[id].help,
      markdown: `${RULES[id].help}\n\n[${id} in the rules](${RULE_DOCS_URL}#${id})`,
    },
    helpUri: `${RULE_DOCS_URL}#${id}`,
    defaultConfiguration: { level: RULES[id].level },
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'jitterbot', version: options.version, informationUri: RULE_DOCS_URL, rules },
        },
        originalUriBaseIds: { SRCROOT: { description: { text: 'The repository root' } } },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: (options.skipped ?? []).map((file) => ({
              level: 'note' as const,
              message: { text: `Not analysed: ${file.reason}` },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: {
                      uri: encodePath((options.pathPrefix ?? '') + file.path),
                      uriBaseId: 'SRCROOT',
                    },
                  },
                },
              ],
            })),
          },
        ],
        results: entries.map((entry) =>
          toResult(entry, ruleIds.indexOf(entry.published.finding.rule), options.pathPrefix ?? ''),
        ),
      },
    ],
  };
}

function toResult(entry: SarifEntry, ruleIndex: number, prefix: string): Result {
  const finding = entry.published.finding;
  const verdict = entry.published.suggestion ? patchVerdict(entry.published.suggestion) : null;
  const result: Result = {
    ruleId: finding.rule,
    ruleIndex,
    level: finding.level,
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodePath(prefix + finding.path), uriBaseId: 'SRCROOT' },
          region: {
            startLine: finding.range.startLine,
            startColumn: finding.range.startColumn,
            endLine: finding.range.endLine,
            endColumn: finding.range.endColumn,
          },
        },
      },
    ],
    partialFingerprints: { 'jitterbot/v1': finding.fingerprint },
    properties: {
      confidence: finding.confidence,
      delay: finding.delay,
      trigger: finding.trigger,
      evidence: finding.evidence,
      ...(finding.attemptVar ? { attemptVariable: finding.attemptVar } : {}),
      ...(verdict && !verdict.offered ? { fixNotOffered: verdict.reason } : {}),
    },
  };
  if (entry.baselineState) result.baselineState = entry.baselineState;
  if (verdict?.offered && entry.text !== undefined)
    result.fixes = [toFix(entry.published, verdict.suggestion, entry.text, prefix)];
  return result;
}

/** Every replacement of a valid patch, imports included (a platform suggestion carries only the contiguous block). */
function toFix(published: PublishedFinding, suggestion: Suggestion, text: string, prefix: string): Fix {
  const lineStarts = lineStartsOf(text);
  return {
    description: { text: suggestion.description },
    artifactChanges: [
      {
        artifactLocation: { uri: encodePath(prefix + published.finding.path), uriBaseId: 'SRCROOT' },
        replacements: suggestion.edits.map((edit) => {
          const start = position(lineStarts, edit.start);
          const end = position(lineStarts, edit.end);
          return {
            deletedRegion: {
              startLine: start.line,
              startColumn: start.column,
              endLine: end.line,
              endColumn: end.column,
              charOffset: edit.start,
              charLength: edit.end - edit.start,
            },
            insertedContent: { text: edit.newText },
          };
        }),
      },
    ],
  };
}

/** Paths are URIs in SARIF: spaces, `#`, `?` and non-ASCII must be percent-encoded, slashes kept. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index += 1)
    if (text.charCodeAt(index) === 10) starts.push(index + 1);
  return starts;
}

function position(lineStarts: number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 };
}
