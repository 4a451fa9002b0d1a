import { codeFrameColumns } from '@babel/code-frame';
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import type { PublishedFinding, SkippedFile } from '../platforms/types.js';
import { applyEdits } from '../suggest/edits.js';
import { notOfferedLine, patchVerdict } from './patch-verdict.js';

export interface TextEntry {
  published: PublishedFinding;
  text?: string;
  /** Diff mode: a finding on lines the change did not add. */
  preExisting?: boolean;
}

export interface TextOptions {
  color: boolean;
  /** Lines of context around the finding in the code frame. */
  context?: number;
}

/** `path:line:col  level  message  [rule]`, a code frame, the evidence, and the fix as a unified diff. */
export function renderText(entries: readonly TextEntry[], options: TextOptions): string {
  const colors = pc.createColors(options.color);
  const blocks = entries.map((entry) => {
    const { finding, suggestion } = entry.published;
    const level = finding.level === 'warning' ? colors.yellow('warning') : colors.cyan('note');
    const where = colors.bold(`${finding.path}:${finding.range.startLine}:${finding.range.startColumn}`);
    const lines = [
      `${where}  ${level}  ${finding.message}  ${colors.dim(`[${finding.rule}]`)}${entry.preExisting ? colors.dim(' (pre-existing)') : ''}`,
    ];
    if (entry.text !== undefined) {
      lines.push(
        codeFrameColumns(
          entry.text,
          {
            start: { line: finding.range.startLine, column: finding.range.startColumn },
            end: { line: finding.range.endLine, column: finding.range.endColumn },
          },
          {
            highlightCode: options.color,
            forceColor: options.color,
            linesAbove: options.context ?? 2,
            linesBelow: options.context ?? 2,
          },
        ),
      );
    }
    for (const fact of finding.evidence) lines.push(colors.dim(`  · ${fact}`));
    const verdict = suggestion ? patchVerdict(suggestion) : null;
    if (verdict?.offered && entry.text !== undefined) {
      const { edits, strategy, description } = verdict.suggestion;
      lines.push(colors.green(`  fix (${strategy}): ${description}`));
      lines.push(colorDiff(unifiedDiff(finding.path, entry.text, applyEdits(entry.text, edits)), colors));
    } else if (verdict && !verdict.offered) {
      lines.push(colors.green(`  fix (${notOfferedLine(verdict.reason)}): ${verdict.description}`));
    }
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}

export function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 2 })
    .split('\n')
    .slice(1) // the `Index:`/`===` preamble says nothing a reader needs
    .filter((line) => !/^=+$/.test(line))
    .join('\n')
    .trimEnd();
}

function colorDiff(diff: string, colors: ReturnType<typeof pc.createColors>): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+') && !line.startsWith('+++')) return colors.green(line);
      if (line.startsWith('-') && !line.startsWith('---')) return colors.red(line);
      if (line.startsWith('@@')) return colors.cyan(line);
      return line;
    })
    .join('\n');
}

export function renderSkipped(skipped: readonly SkippedFile[]): string {
  return skipped.map((file) => `skipped ${file.path}: ${file.reason}`).join('\n');
}

export function renderTotals(
  counts: { warnings: number; notes: number; files: number; preExisting: number },
  color: boolean,
): string {
  const colors = pc.createColors(color);
  const total = counts.warnings + counts.notes;
  if (total === 0) return colors.green(`No fixed-delay retries found (${counts.files} files analysed).`);
  const parts = [
    `${counts.warnings} warning${counts.warnings === 1 ? '' : 's'}`,
    `${counts.notes} note${counts.notes === 1 ? '' : 's'}`,
  ];
  const pre = counts.preExisting > 0 ? `, ${counts.preExisting} pre-existing` : '';
  return colors.bold(
    `${total} finding${total === 1 ? '' : 's'} (${parts.join(', ')}${pre}) in ${counts.files} files analysed.`,
  );
}
