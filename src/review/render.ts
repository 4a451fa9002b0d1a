import type { Delay, Finding } from '../analysis/finding.js';
import { formatDuration } from '../simulate/duration.js';
import type { FindingSimulation, ScheduleOutcome } from '../simulate/finding.js';
import { JITTER_STRATEGIES } from '../simulate/strategies.js';
import type { RepoJitterHelper, Suggestion } from '../suggest/types.js';
import { applyEdits } from '../suggest/edits.js';
import { arrivalsChart } from './render-chart.js';
import {
  codeFence,
  details,
  escapeProse,
  escapeText,
  inlineCode,
  MAX_BODY_CHARS,
  safeUrl,
  tableCell,
} from './render-markdown.js';
import { notOfferedLine, patchVerdict } from './patch-verdict.js';
import { unifiedDiff } from './text.js';

export { renderSummary, SUMMARY_MARKER, type SummaryInput, type BlastRadiusEntry } from './render-summary.js';

export type Platform = 'github' | 'gitlab';

export interface CommentInput {
  finding: Finding;
  suggestion: Suggestion | null;
  /** Null when the delay is not a known number and nothing could be simulated. */
  simulation: FindingSimulation | null;
  platform: Platform;
  /** Where the client count came from, e.g. "replicas: 12 in deploy/k8s.yaml". */
  clientsSource?: string;
  repoHelper?: RepoJitterHelper;
  docsUrl: string;
  /** The file the finding is in, for the whole patch when the suggestion block cannot carry all of it. */
  fileText?: string;
}

const MS_PER_SECOND = 1_000;
const MARKER_PREFIX = 'jitterbot:fingerprint=';
const MARKER_PATTERN = /<!-- jitterbot:fingerprint=(\w+) -->/;

/** The hidden marker that ties a comment to its finding across pushes. */
export function fingerprintMarker(fingerprint: string): string {
  // Fingerprints are hex; anything else is reduced so it can never close the HTML comment.
  return `<!-- ${MARKER_PREFIX}${fingerprint.replace(/\W/g, '_')} -->`;
}

/** The fingerprint in a comment body written by `renderComment`, or null. */
export function parseFingerprintMarker(body: string): string | null {
  return MARKER_PATTERN.exec(body)?.[1] ?? null;
}

/** "fixed 5 s", "exponential from 100 ms", or the delay's source text when its value is unknown. */
export function describeDelay(delay: Delay): string {
  const ms = delay.kind === 'fixed' ? delay.ms : delay.baseMs;
  const value = ms === undefined ? inlineCode(delay.text) : formatDuration(ms);
  return delay.kind === 'fixed' ? `fixed ${value}` : `${delay.kind} from ${value}`;
}

function title(finding: Finding): string {
  const icon = finding.level === 'warning' ? '⚠️' : 'ℹ️';
  if (finding.delay.kind === 'fixed') {
    const ms = finding.delay.ms;
    const what = ms === undefined ? 'a fixed delay' : `a fixed ${formatDuration(ms)}`;
    return `### ${icon} This retry waits ${what}: clients that fail together retry together`;
  }
  return `### ${icon} This backoff grows without jitter: clients that fail together stay in lockstep`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The shortest way to write a delay on the command line: `5s` rather than `5000ms`. */
function durationArgument(ms: number): string {
  const rounded = Math.round(ms);
  return rounded % MS_PER_SECOND === 0 ? `${rounded / MS_PER_SECOND}s` : `${rounded}ms`;
}

function servedAfter(outcome: ScheduleOutcome): string {
  const at = outcome.result.allSucceededAtMs;
  return at === null
    ? `${outcome.result.gaveUp} never get through`
    : `all are served after ${formatDuration(at)}`;
}

/** The paragraph of why, with this finding's own numbers. */
function why(input: CommentInput): string {
  const { simulation, clientsSource } = input;
  if (simulation === null) {
    return 'Clients that fail at the same moment (a deploy, an outage, a rate limit) wait the same time and come back at the same moment, so the retry load arrives as one spike each round.';
  }
  const { clients, slotMs, capacity, current, suggested, attempts } = simulation;
  const source =
    clientsSource === undefined
      ? 'the configured default; set `clients` when you know better'
      : escapeText(clientsSource);
  const slot = formatDuration(slotMs);
  const landing =
    current.result.peak >= clients
      ? `all ${clients} retry in the same ${slot} slot`
      : `up to ${current.result.peak} of them retry in the same ${slot} slot`;
  const again =
    input.finding.delay.kind === 'fixed' ? `every ${formatDuration(simulation.baseMs)}` : 'at every retry';
  const requests = capacity === 1 ? 'request' : 'requests';
  const against = `Against a service that serves ${capacity} ${requests} per slot, ${servedAfter(current)} within ${attempts} attempts.`;
  const after = `With ${escapeText(suggested.label)} the busiest slot gets ${plural(suggested.result.peak, 'retry', 'retries')} and ${servedAfter(suggested)}.`;
  return `If ${clients} clients fail at the same moment (${source}), ${landing}, and again ${again}. ${against} ${after}`;
}

function evidence(finding: Finding): string {
  if (finding.evidence.length === 0) return '';
  return ['**Why this is a retry**', '', ...finding.evidence.map((item) => `- ${escapeProse(item)}`)].join(
    '\n',
  );
}

function suggestionBlock(input: CommentInput, allowPatch: boolean): string {
  const { platform } = input;
  if (input.suggestion === null) return '';
  const verdict = patchVerdict(input.suggestion);
  const parts: string[] = [];
  if (verdict.offered && allowPatch) {
    const { primary, description, extra, edits } = verdict.suggestion;
    const info =
      platform === 'github' ? 'suggestion' : `suggestion:-0+${primary.endLine - primary.startLine}`;
    parts.push(`**Suggested change**: ${escapeProse(description)}`, '', codeFence(primary.newLines, info));
    if (extra.length > 0) {
      parts.push(
        '',
        'Committing this suggestion alone is not the whole fix; also:',
        ...extra.map((sentence) => `- ${escapeProse(sentence)}`),
      );
      if (input.fileText !== undefined) {
        const patched = applyEdits(input.fileText, edits);
        const diff = unifiedDiff(input.finding.path, input.fileText, patched);
        parts.push('', details('The whole patch, for `git apply`', codeFence(diff, 'diff')));
      }
    }
  } else {
    // A patch too long for a comment is the one exception: the other outputs carry it whole.
    const why = verdict.offered ? 'the patch is too long for a comment' : verdict.reason;
    parts.push(
      `**Suggested change** (${escapeText(notOfferedLine(why))}): ${escapeProse(input.suggestion.description)}`,
    );
  }
  const helper = input.repoHelper;
  if (helper !== undefined && !input.suggestion.description.includes(helper.name)) {
    parts.push(
      '',
      `The repository already has a jitter helper, ${inlineCode(helper.name)} in ${inlineCode(helper.path)}; consider using it here.`,
    );
  }
  return parts.join('\n');
}

function alternatives(simulation: FindingSimulation | null): string {
  if (simulation === null || simulation.alternatives.length === 0) return '';
  const rows = simulation.alternatives.map((outcome) => {
    const strategy = outcome.strategy === undefined ? undefined : JITTER_STRATEGIES[outcome.strategy];
    const formula = strategy === undefined ? '' : inlineCode(strategy.formula);
    const served =
      outcome.result.allSucceededAtMs === null ? 'never' : formatDuration(outcome.result.allSucceededAtMs);
    const summary = strategy?.summary ?? '';
    return `| ${tableCell(escapeText(outcome.label))} | ${tableCell(formula)} | ${outcome.result.peak} | ${served} | ${tableCell(escapeText(summary))} |`;
  });
  const table = [
    '| Strategy | Wait | Busiest slot | All served after | When to prefer it |',
    '|---|---|--:|--:|---|',
    ...rows,
  ].join('\n');
  return details('Other jitter strategies', table);
}

function chart(simulation: FindingSimulation | null): string {
  if (simulation === null) return '';
  const { current, suggested, slotMs } = simulation;
  return details(
    `Retries per ${formatDuration(slotMs)} slot: ${escapeText(current.label)} vs ${escapeText(suggested.label)}`,
    arrivalsChart(simulation),
  );
}

function footer(input: CommentInput): string {
  const url = safeUrl(input.docsUrl);
  const ms = input.finding.delay.kind === 'fixed' ? input.finding.delay.ms : input.finding.delay.baseMs;
  const clients = input.simulation?.clients;
  const command =
    ms === undefined || clients === undefined
      ? ''
      : ` · try it: ${inlineCode(`jitterbot simulate --clients ${clients} --delay ${durationArgument(ms)}`)}`;
  const link = url === undefined ? 'Why jitter?' : `[Why jitter, and how jitterbot decides](${url})`;
  return `<sub>${link}${command}</sub>`;
}

/** Optional sections in the order they are dropped when a body would be too long. */
type Section = { text: string; drop: number };

function assemble(sections: readonly Section[], limit: number): string | null {
  for (let level = 0; level <= Math.max(0, ...sections.map((s) => s.drop)); level += 1) {
    const body = sections
      .filter((section) => section.drop === 0 || section.drop > level)
      .map((section) => section.text)
      .filter((text) => text !== '')
      .join('\n\n');
    if (body.length <= limit) return body;
  }
  return null;
}

/**
 * The inline review comment for one finding: title, why (with this finding's numbers), evidence, the
 * platform's suggestion block, alternatives and a chart folded away, a docs link and the hidden
 * fingerprint marker. Everything taken from code or paths is escaped. Pure.
 */
export function renderComment(input: CommentInput): string {
  const marker = fingerprintMarker(input.finding.fingerprint);
  const build = (allowPatch: boolean): string | null =>
    assemble(
      [
        { text: title(input.finding), drop: 0 },
        { text: why(input), drop: 0 },
        { text: evidence(input.finding), drop: 3 },
        { text: suggestionBlock(input, allowPatch), drop: 0 },
        { text: alternatives(input.simulation), drop: 2 },
        { text: chart(input.simulation), drop: 1 },
        { text: footer(input), drop: 0 },
        { text: marker, drop: 0 },
      ],
      MAX_BODY_CHARS,
    );
  // A patch too long for a comment is described instead; the marker always survives.
  const body = build(true) ?? build(false);
  if (body !== null) return body;
  return [title(input.finding), escapeProse(input.finding.message).slice(0, MAX_BODY_CHARS / 2), marker].join(
    '\n\n',
  );
}
