/**
 * Number and time formatting shared by the markdown and HTML reports. Missing values print as
 * "N/A", never as 0, 0% or NaN.
 */

import type { Band, Ratio } from '../../metrics/dora.js';
import type { DrillSummary } from './drills.js';
import type { InfraHealth } from './infra.js';
import type { DeploymentReport } from './run.js';

export const NA = 'N/A';

/** 45s, 12m 30s, 2h 05m, 1d 23h. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NA;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${String(h % 24).padStart(2, '0')}h`;
}

export function fmtPct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NA;
  return `${(value * 100).toFixed(digits)}%`;
}

export function fmtRatio(r: Ratio): string {
  return r.value === null
    ? `${NA} (no completed deploys)`
    : `${fmtPct(r.value)} (${r.numerator} of ${r.denominator})`;
}

export function fmtNumber(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NA;
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

export function fmtFrequency(perDay: number | null): string {
  if (perDay === null) return NA;
  if (perDay >= 1) return `${perDay.toFixed(1)} per day`;
  if (perDay * 7 >= 1) return `${(perDay * 7).toFixed(1)} per week`;
  return `${(perDay * 30).toFixed(1)} per month`;
}

export function fmtBand(b: Band | null): string {
  return b === null ? NA : b[0]?.toUpperCase() + b.slice(1);
}

/** 2026-03-15 00:00 UTC */
export function fmtTime(iso: string | undefined): string {
  if (!iso) return NA;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function fmtBytes(n: number | null): string {
  if (n === null) return NA;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function periodLabel(r: DeploymentReport): { current: string; previous: string } {
  return r.period === 'week'
    ? { current: 'This week', previous: 'Previous week' }
    : { current: 'This month', previous: 'Previous month' };
}

export function reportTitle(r: DeploymentReport): string {
  const scope = r.scope.environment ? `${r.scope.environment} (${r.scope.namespace})` : r.scope.namespace;
  return `Deployment report: ${r.period === 'week' ? 'week' : 'month'} ending ${fmtTime(r.current.end)}, ${scope}`;
}

/** Key rows shared by the markdown and HTML summaries: [label, current, previous, band]. */
export function summaryRows(r: DeploymentReport): Array<[string, string, string, Band | null]> {
  const c = r.current;
  const p = r.previous;
  return [
    [
      'Deployment frequency',
      `${fmtFrequency(c.bands.deploymentFrequency.value)} (${c.deployments.succeeded} successful)`,
      `${fmtFrequency(p.bands.deploymentFrequency.value)} (${p.deployments.succeeded} successful)`,
      c.bands.deploymentFrequency.band,
    ],
    [
      'Lead time for changes (median)',
      fmtDuration(c.leadTime.p50Ms),
      fmtDuration(p.leadTime.p50Ms),
      c.bands.leadTime.band,
    ],
    [
      'Change failure rate',
      fmtRatio(c.changeFailureRate),
      fmtRatio(p.changeFailureRate),
      c.bands.changeFailureRate.band,
    ],
    [
      'Time to restore (median)',
      fmtDuration(c.timeToRestore.p50Ms),
      fmtDuration(p.timeToRestore.p50Ms),
      c.bands.timeToRestore.band,
    ],
  ];
}

/** Detail rows: [label, current, previous]. */
export function detailRows(r: DeploymentReport): Array<[string, string, string]> {
  const rows: Array<[string, (m: DeploymentReport['current']) => string]> = [
    ['Deployments (completed)', (m) => String(m.deployments.completed)],
    ['Deployments per week', (m) => fmtNumber(m.deployments.perWeek)],
    ['Succeeded', (m) => String(m.deployments.succeeded)],
    ['Rolled back automatically', (m) => String(m.deployments.rolledBack)],
    ['Failed (not restored by the deploy)', (m) => String(m.deployments.failed)],
    ['In progress (excluded)', (m) => String(m.deployments.inProgress.length)],
    ['Skipped (nothing to change)', (m) => String(m.deployments.skipped)],
    ['Success rate', (m) => fmtRatio(m.successRate)],
    ['Change failure rate', (m) => fmtRatio(m.changeFailureRate)],
    [
      'Rollbacks (automatic + manual)',
      (m) => `${m.rollbacks.total} (${m.rollbacks.automatic} + ${m.rollbacks.manual})`,
    ],
    ['Deploy duration p50', (m) => fmtDuration(m.deployDuration.p50Ms)],
    ['Deploy duration p95', (m) => fmtDuration(m.deployDuration.p95Ms)],
    ['Time to restore, median', (m) => fmtDuration(m.timeToRestore.p50Ms)],
    ['Time to restore, worst', (m) => fmtDuration(m.timeToRestore.maxMs)],
    ['Failures not yet restored', (m) => String(m.timeToRestore.unrestored.length)],
    [
      'Lead time, median (deploys with a known commit time)',
      (m) =>
        `${fmtDuration(m.leadTime.p50Ms)} (${m.leadTime.count} of ${m.leadTime.count + m.leadTime.unknown})`,
    ],
    ['Lead time, p95', (m) => fmtDuration(m.leadTime.p95Ms)],
    [
      'Incidents opened (level 1 / 2 / 3)',
      (m) =>
        `${m.incidents.opened} (${m.incidents.byLevel['1']} / ${m.incidents.byLevel['2']} / ${m.incidents.byLevel['3']})`,
    ],
  ];
  return rows.map(([label, f]) => [label, f(r.current), f(r.previous)]);
}

export function reasonText(
  reason: DeploymentReport['current']['failedChanges'][number]['reasons'][number],
): string {
  switch (reason.type) {
    case 'failed':
      return 'failed';
    case 'rolled_back':
      return 'rolled back automatically';
    case 'manual_rollback':
      return `rolled back by ${reason.recordId}`;
    case 'incident':
      return `incident ${reason.incidentId}${reason.linkedBy === 'window' ? ' (within window)' : ''}`;
  }
}

export const VIA_TEXT: Record<string, string> = {
  automatic_rollback: 'automatic rollback',
  manual_rollback: 'manual rollback',
  fix_forward: 'next successful deploy',
  incident_resolved: 'incident resolved',
};

/** The thresholds table: [key, elite, high, medium, low]. */
export function thresholdRows(r: DeploymentReport): Array<[string, string, string, string, string]> {
  const t = r.thresholds;
  const labels = (list: readonly { label: string }[]) =>
    list.map((x) => x.label) as [string, string, string, string];
  return [
    ['Deployment frequency (successful deploys)', ...labels(t.deploymentFrequency)],
    ['Lead time for changes (median)', ...labels(t.leadTime)],
    ['Change failure rate', ...labels(t.changeFailureRate)],
    ['Time to restore (median)', ...labels(t.timeToRestore)],
  ];
}

/**
 * The infrastructure figures as plain-text rows [figure, value, note]; each renderer escapes the
 * cells for its format. The two formats word three cells differently, hence `labels`.
 */
export function infraRows(
  infra: InfraHealth,
  labels: { cpu: string; memory: string; durationNote: string },
): string[][] {
  const j = infra.jobs;
  const rows: string[][] = [
    ['Pod restarts', fmtNumber(infra.restarts.value), infra.restarts.note ?? ''],
    ['OOM kills', fmtNumber(infra.oomKills.value), infra.oomKills.note ?? ''],
    [
      labels.cpu,
      `${infra.cpu.peak === null ? 'N/A' : `${infra.cpu.peak.toFixed(3)} cores`} / ${infra.cpu.limit === null ? 'N/A' : `${infra.cpu.limit} cores`} (${fmtNumber(infra.cpu.pctOfLimit)}%)`,
      infra.cpu.note ?? '',
    ],
    [
      labels.memory,
      `${fmtBytes(infra.memory.peak)} / ${fmtBytes(infra.memory.limit)} (${fmtNumber(infra.memory.pctOfLimit)}%)`,
      infra.memory.note ?? '',
    ],
    [
      'Jobs processed',
      j.available ? `${j.processed}${j.perDay !== null ? ` (${fmtNumber(j.perDay)} per day)` : ''}` : 'N/A',
      j.note ?? '',
    ],
    [
      'Jobs by outcome',
      j.available
        ? Object.entries(j.byOutcome)
            .sort()
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        : 'N/A',
      '',
    ],
    ['Job failure ratio (failed / rendered)', fmtPct(j.failureRatio), ''],
  ];
  if (j.p50Seconds !== undefined)
    rows.push([
      'Job duration p50 / p95',
      `${fmtDuration(j.p50Seconds === null ? null : j.p50Seconds * 1000)} / ${fmtDuration(j.p95Seconds == null ? null : j.p95Seconds * 1000)}`,
      labels.durationNote,
    ]);
  return rows;
}

/** The alerts that fired as plain-text rows [alert, severity, times fired, time firing]. */
export function alertRows(infra: InfraHealth): string[][] {
  return infra.alerts.firing.map((a) => [
    a.alertname,
    a.severity ?? '',
    String(a.episodes),
    fmtDuration(a.firingSeconds * 1000),
  ]);
}

/** Rollback causes as plain-text rows [rank, cause, rollbacks, automatic, manual]. */
export function causeRows(r: DeploymentReport): string[][] {
  return r.current.rollbacks.causes.map((x, i) => [
    String(i + 1),
    x.cause,
    String(x.count),
    String(x.automatic),
    String(x.manual),
  ]);
}

export const DRILL_HEADERS = [
  'Drill',
  'Started',
  'Result',
  'Rolled back to',
  'Rollback',
  'Roll forward',
  'Total',
];

/** One drill as a table row (markdown and HTML). */
export function drillRow(d: DrillSummary['items'][number]): string[] {
  const leg = (ms: number | null, result: string | null) =>
    ms === null ? '-' : `${fmtDuration(ms)}${result === 'failed' ? ' (failed)' : ''}`;
  return [
    d.id,
    fmtTime(d.startedAt),
    d.result === 'succeeded' ? 'passed' : `failed${d.failureMessage ? `: ${d.failureMessage}` : ''}`,
    `revision ${d.targetRevision ?? '?'} (${d.targetImage ?? '?'})`,
    leg(d.rollbackMs, d.rollbackResult),
    leg(d.rollForwardMs, d.rollForwardResult),
    fmtDuration(d.durationMs),
  ];
}

/** The sentence above the drill table: how many, the last one, and whether one is overdue. */
export function drillHeadline(r: DeploymentReport): string {
  const d = r.drills;
  const L = periodLabel(r).current.toLowerCase();
  const count =
    d.count === 0
      ? `No rollback drill ${L}.`
      : `${d.count} rollback drill${d.count === 1 ? '' : 's'} ${L}: ${d.passed} passed, ${d.failed} failed.`;
  const last = d.last
    ? ` Last drill: ${fmtTime(d.last.startedAt)}, ${d.last.result === 'succeeded' ? 'passed' : 'failed'} (rollback ${fmtDuration(d.last.rollbackMs)}, roll forward ${fmtDuration(d.last.rollForwardMs)}).`
    : ' The ledger holds no drill.';
  const overdue = d.overdue
    ? ' A drill is due: `mobius-deploy rollback --drill` (docs/MAINTENANCE_PLAYBOOK.md, monthly).'
    : '';
  return count + last + overdue;
}
