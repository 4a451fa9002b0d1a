import { CHOSEN_SKIPS } from '../analysis/file-filter.js';
import type { Delay, Finding } from '../analysis/finding.js';
import type { SkippedFile } from '../platforms/types.js';
import { formatDuration } from '../simulate/duration.js';
import {
  details,
  escapeProse,
  escapeText,
  inlineCode,
  MAX_BODY_CHARS,
  safeUrl,
  tableCell,
  tableCode,
} from './render-markdown.js';

/** Marks the summary note so a platform adapter can find and edit it in place. */
export const SUMMARY_MARKER = '<!-- jitterbot:summary -->';

/** Rows per table before the rest is counted instead of listed. */
const MAX_TABLE_ROWS = 50;
/** Blast-radius places listed by name. */
const MAX_BLAST_RADIUS = 20;

/** Another place in the repository with the same pattern (not part of the change). */
export interface BlastRadiusEntry {
  path: string;
  line: number;
  /** e.g. "fixed 5 s in a catch block". */
  description?: string;
}

export interface SummaryInput {
  platform: 'github' | 'gitlab';
  /** Findings on lines the change added. */
  findings: Finding[];
  /** Findings on lines the change did not add. */
  preExisting: Finding[];
  blastRadius: BlastRadiusEntry[];
  configErrors: string[];
  /** Clients assumed to retry together, and where that number came from. */
  clients: number;
  clientsSource?: string;
  /** Earlier comments whose finding is gone in this push. */
  fixedCount?: number;
  docsUrl: string;
  /** Changed files the review did not analyse, and why. */
  skipped?: readonly SkippedFile[];
}

/** Files listed by name in the summary; the rest are counted. */
const MAX_SKIPPED_LISTED = 50;

/**
 * Changed files skipped for what they contain rather than by the configuration: a retry could hide in
 * one (one very long line makes a file "minified"), so they open the summary.
 */
function unanalysedWarning(skipped: readonly SkippedFile[]): string {
  const hidden = skipped.filter((file) => !CHOSEN_SKIPS.has(file.reason));
  if (hidden.length === 0) return '';
  const listed = hidden
    .slice(0, 10)
    .map((file) => `${inlineCode(file.path)} (${escapeText(file.reason)})`)
    .join(', ');
  const more = hidden.length > 10 ? `, and ${hidden.length - 10} more` : '';
  return `⚠️ **${plural(hidden.length, 'changed file was', 'changed files were')} not analysed**, so a retry in ${hidden.length === 1 ? 'it' : 'them'} would not be found: ${listed}${more}.`;
}

function skippedList(skipped: readonly SkippedFile[]): string {
  if (skipped.length === 0) return '';
  const rows = skipped
    .slice(0, MAX_SKIPPED_LISTED)
    .map((file) => `- ${inlineCode(file.path)}: ${escapeText(file.reason)}`);
  if (skipped.length > MAX_SKIPPED_LISTED) rows.push(`- and ${skipped.length - MAX_SKIPPED_LISTED} more`);
  return details(`Changed files not analysed (${skipped.length})`, rows.join('\n'));
}

function delayCell(delay: Delay): string {
  const ms = delay.kind === 'fixed' ? delay.ms : delay.baseMs;
  const value = ms === undefined ? inlineCode(delay.text) : formatDuration(ms);
  return delay.kind === 'fixed' ? `fixed ${value}` : `${delay.kind} from ${value}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.slice(0, MAX_TABLE_ROWS).map((finding) => {
    const icon = finding.level === 'warning' ? '⚠️' : 'ℹ️';
    const where = tableCode(`${finding.path}:${finding.range.startLine}`);
    return `| ${icon} | ${finding.rule} | ${where} | ${tableCell(delayCell(finding.delay))} | ${finding.confidence} | ${tableCell(escapeProse(finding.message))} |`;
  });
  const more = findings.length > MAX_TABLE_ROWS ? [`\n…and ${findings.length - MAX_TABLE_ROWS} more.`] : [];
  return [
    '| | Rule | Where | Delay | Confidence | Message |',
    '|---|---|---|---|---|---|',
    ...rows,
    ...more,
  ].join('\n');
}

function counts(input: SummaryInput): string {
  const warnings = input.findings.filter((finding) => finding.level === 'warning').length;
  const notes = input.findings.length - warnings;
  const parts = [
    `**${plural(input.findings.length, 'finding')}** on changed lines (${plural(warnings, 'warning')}, ${plural(notes, 'note')})`,
    `${input.preExisting.length} pre-existing`,
  ];
  if (input.fixedCount !== undefined && input.fixedCount > 0)
    parts.push(`${input.fixedCount} fixed since the last run`);
  return parts.join(' · ');
}

function herd(input: SummaryInput): string {
  const source =
    input.clientsSource === undefined
      ? 'the default; set `clients` in the configuration when you know better'
      : escapeText(input.clientsSource);
  return `Herd size used in the simulations: **${input.clients}** clients (${source}).`;
}

function blastRadius(entries: readonly BlastRadiusEntry[]): string {
  if (entries.length === 0) return '';
  const listed = entries.slice(0, MAX_BLAST_RADIUS).map((entry) => {
    const where = inlineCode(`${entry.path}:${entry.line}`);
    return entry.description === undefined ? `- ${where}` : `- ${where}: ${escapeProse(entry.description)}`;
  });
  const more = entries.length > MAX_BLAST_RADIUS ? [`- …and ${entries.length - MAX_BLAST_RADIUS} more`] : [];
  return [
    `### Same pattern elsewhere (${entries.length})`,
    '',
    'Not part of this change, but they will retry in lockstep with the code above:',
    '',
    ...listed,
    ...more,
  ].join('\n');
}

function configErrors(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  return [
    '### Configuration problems',
    '',
    'These options were ignored (their defaults applied); every other option was used:',
    '',
    ...errors.map((error) => `- ${escapeText(error)}`),
  ].join('\n');
}

/**
 * The check-run summary (GitHub) or the summary note (GitLab): counts, the findings on changed lines,
 * pre-existing ones folded away, the blast radius, configuration problems and where the herd size
 * came from. Pure; starts with `SUMMARY_MARKER`.
 */
export function renderSummary(input: SummaryInput): string {
  const heading =
    input.findings.length === 0
      ? '## jitterbot: no retries without jitter in this change'
      : `## jitterbot: ${plural(input.findings.length, 'retry', 'retries')} without jitter in this change`;
  const url = safeUrl(input.docsUrl);
  const sections = [
    SUMMARY_MARKER,
    heading,
    unanalysedWarning(input.skipped ?? []),
    counts(input),
    herd(input),
    input.findings.length === 0 ? '' : findingsTable(input.findings),
    input.preExisting.length === 0
      ? ''
      : details(
          `Pre-existing findings (${input.preExisting.length}), not on lines this change added`,
          findingsTable(input.preExisting),
        ),
    blastRadius(input.blastRadius),
    configErrors(input.configErrors),
    skippedList(input.skipped ?? []),
    url === undefined ? '' : `<sub>[How jitterbot decides](${url})</sub>`,
  ].filter((section) => section !== '');
  const body = sections.join('\n\n');
  return body.length <= MAX_BODY_CHARS
    ? body
    : `${body.slice(0, MAX_BODY_CHARS - 40)}\n\n…(summary truncated)`;
}

/**
 * A summary with a warning placed right under its heading, where the unanalysed-files warning goes:
 * something the review could not do, said before its results.
 */
export function withWarning(summary: string, warning: string): string {
  if (warning === '') return summary;
  const sections = summary.split('\n\n');
  const heading = sections.findIndex((section) => section.startsWith('## jitterbot'));
  sections.splice(heading < 0 ? sections.length : heading + 1, 0, warning);
  return sections.join('\n\n');
}

/** One line for a check run's title or a commit status: how many new findings the change has. */
export function findingsTitle(findings: number): string {
  if (findings === 0) return 'No retries without jitter on the added lines';
  return findings === 1 ? '1 retry without jitter' : `${findings} retries without jitter`;
}
