import { formatDuration } from '../simulate/duration.js';
import type { FindingSimulation } from '../simulate/finding.js';
import { bucketPeaks } from '../simulate/herd.js';
import { codeFence } from './render-markdown.js';

/** Points per series: enough to show the rounds of a herd, few enough to read on a phone. */
const CHART_POINTS = 40;
const MS_PER_SECOND = 1_000;

/** Mermaid strings are double-quoted; keep labels free of quotes and line breaks. */
function label(text: string): string {
  return text.replace(/["\r\n]/g, "'");
}

/**
 * A Mermaid `xychart-beta` of retries over time: bars for today's schedule, a line for the suggested
 * one, each point the busiest slot in its interval, on one shared time axis.
 */
export function arrivalsChart(simulation: FindingSimulation): string {
  const { current, suggested, slotMs } = simulation;
  const horizon = Math.max(1, current.result.horizonSlots, suggested.result.horizonSlots);
  const points = Math.min(CHART_POINTS, horizon);
  const today = bucketPeaks(current.result, points, horizon);
  const after = bucketPeaks(suggested.result, points, horizon);
  const top = Math.max(1, ...today, ...after);
  const seconds = Number(((horizon * slotMs) / MS_PER_SECOND).toFixed(1));
  const title = `Busiest ${formatDuration(slotMs)} slot per interval: bars ${current.label}, line ${suggested.label}`;
  const lines = [
    'xychart-beta',
    `    title "${label(title)}"`,
    `    x-axis "seconds after the failure" 0 --> ${seconds}`,
    `    y-axis "retries" 0 --> ${top}`,
    `    bar [${today.join(', ')}]`,
    `    line [${after.join(', ')}]`,
  ];
  return codeFence(lines.join('\n'), 'mermaid');
}
