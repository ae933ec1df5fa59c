/**
 * Printer helpers for ledger records, shared by the deploy, rollback and history views: a record's
 * result in colour and its phase timings.
 */
import type { Colors } from './color.js';
import { formatDuration } from './duration.js';

/** The phases of a record, e.g. "lock 12ms, apply 150ms, rollout 8.2s, verify 1.1s". */
export function formatPhases(record: { phases: Record<string, number | undefined> }): string {
  return Object.entries(record.phases)
    .map(([k, v]) => `${k} ${formatDuration(v)}`)
    .join(', ');
}

export function resultColor(c: Colors, result: string): string {
  if (result === 'succeeded') return c.green(result);
  if (result === 'rolled_back' || result === 'skipped' || result === 'in_progress') return c.yellow(result);
  return c.red(result);
}
