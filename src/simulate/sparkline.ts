/** Eight heights; an empty interval prints as a space so gaps stay visible. */
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * A one-line Unicode chart of `values`, scaled to `max` (the largest value by default) so several
 * lines can share one scale.
 */
export function sparkline(values: readonly number[], max = Math.max(0, ...values)): string {
  return values
    .map((value) => {
      if (value <= 0 || max <= 0) return ' ';
      const level = Math.ceil((Math.min(value, max) / max) * BLOCKS.length) - 1;
      return BLOCKS[Math.max(0, level)];
    })
    .join('');
}
