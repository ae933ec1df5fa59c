/**
 * The arithmetic of the DORA metrics: percentiles, distributions, ratios, classification into the
 * DORA bands, and the period windows.
 */

import type { Band, Distribution, PeriodKind, Ratio } from './dora-types.js';
import { DAY_MS, DORA_BANDS, PERIOD_DAYS } from './dora-types.js';

/** Percentile with linear interpolation between closest ranks (numpy default, PERCENTILE_CONT). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

export function distribution(values: number[]): Distribution {
  const sorted = values.slice().sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : null,
  };
}

export function ratio(numerator: number, denominator: number): Ratio {
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

export function classifyFrequency(perDay: number | null): Band | null {
  if (perDay === null) return null;
  for (const t of DORA_BANDS.deploymentFrequency) if (perDay >= t.minPerDay) return t.band;
  return 'low';
}

export function classifyDuration(
  ms: number | null,
  table: typeof DORA_BANDS.leadTime | typeof DORA_BANDS.timeToRestore,
): Band | null {
  if (ms === null) return null;
  for (const t of table) if (ms < t.maxMs) return t.band;
  return 'low';
}

export function classifyChangeFailureRate(rate: number | null): Band | null {
  if (rate === null) return null;
  for (const t of DORA_BANDS.changeFailureRate) if (rate <= t.max) return t.band;
  return 'low';
}

/** The current and previous period windows ending at `now`. */
export function periodWindows(period: PeriodKind, now: Date): { current: Window; previous: Window } {
  const len = PERIOD_DAYS[period] * DAY_MS;
  const end = now.getTime();
  return { current: { start: end - len, end }, previous: { start: end - 2 * len, end: end - len } };
}

export interface Window {
  start: number;
  end: number;
}
