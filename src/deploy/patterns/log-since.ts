// Parsing of `--since` durations: 10s, 30m, 1h, 2d, 1h30m, 90 (seconds), 1.5h.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export class InvalidDurationError extends Error {
  constructor(value: string) {
    super(`invalid duration "${value}": use a number with a unit, for example 10s, 30m, 1h, 2d or 1h30m`);
    this.name = 'InvalidDurationError';
  }
}

/** Parse a duration into whole seconds (at least 1). Throws InvalidDurationError. */
export function parseDurationSeconds(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 0) return n;
    throw new InvalidDurationError(value);
  }
  const re = /(\d+(?:\.\d+)?)([smhd])/y;
  let total = 0;
  let pos = 0;
  while (pos < v.length) {
    re.lastIndex = pos;
    const m = re.exec(v);
    if (!m) throw new InvalidDurationError(value);
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || total <= 0) throw new InvalidDurationError(value);
  return Math.max(1, Math.ceil(total));
}
