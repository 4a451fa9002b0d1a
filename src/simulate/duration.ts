const MS_PER_UNIT: Record<string, number> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

/**
 * Parses a human duration: `200ms`, `5s`, `1.5s`, `2m`, `2min`, `1h`, or a bare number of
 * milliseconds. Returns undefined for anything else (including negative values).
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|sec|m|min|h)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const unit = (match[2] ?? 'ms').toLowerCase();
  const value = Number(match[1]) * MS_PER_UNIT[unit]!;
  return Number.isFinite(value) ? value : undefined;
}

/** Up to two decimals, without trailing zeros: 1.5, 2, 0.25. */
function compact(value: number): string {
  return String(Number(value.toFixed(2)));
}

/** A duration for people: `250 ms`, `5 s`, `1.5 min`, `2 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const abs = Math.abs(ms);
  if (abs < MS_PER_UNIT.s!) return `${compact(ms)} ms`;
  if (abs < MS_PER_UNIT.m!) return `${compact(ms / MS_PER_UNIT.s!)} s`;
  if (abs < MS_PER_UNIT.h!) return `${compact(ms / MS_PER_UNIT.m!)} min`;
  return `${compact(ms / MS_PER_UNIT.h!)} h`;
}
