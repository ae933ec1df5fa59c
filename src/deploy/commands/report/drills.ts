/**
 * The report's "Rollback drills" section, as data: the `drill` records (`rollback --drill`) of the
 * period, and the last drill the ledger holds (from any time), with each leg's result and duration.
 * Drills are read apart from the DORA analysis, which never sees them.
 */
import type { DeploymentRecord, DrillLeg } from '../../ledger/index.js';
import type { Window } from '../../metrics/dora.js';

/** A month and a few days: a drill older than this is overdue (the playbook's step is monthly). */
export const DRILL_OVERDUE_MS = 35 * 24 * 60 * 60 * 1000;

export interface DrillView {
  id: string;
  startedAt: string;
  result: string;
  actor: string;
  fromImage: string | null;
  targetRevision: number | null;
  targetImage: string | null;
  /** Each leg: rolled back to the verified-good revision, then forward to the live one. */
  rollbackMs: number | null;
  rollbackResult: DrillLeg['result'] | null;
  rollForwardMs: number | null;
  rollForwardResult: DrillLeg['result'] | null;
  durationMs: number | null;
  failureMessage: string | null;
}

export interface DrillSummary {
  /** Drills started in the period. */
  count: number;
  passed: number;
  failed: number;
  /** Newest first. */
  items: DrillView[];
  /** The newest drill in the ledger (also from before the period), or null. */
  last: DrillView | null;
  /** True when the newest drill is older than 35 days (or there is none). */
  overdue: boolean;
}

function legOf(r: DeploymentRecord, name: 'rollback' | 'rollForward'): DrillLeg | undefined {
  return (r as { drill?: Partial<Record<'rollback' | 'rollForward', DrillLeg>> }).drill?.[name];
}

export function drillView(r: DeploymentRecord): DrillView {
  const back = legOf(r, 'rollback');
  const fwd = legOf(r, 'rollForward');
  return {
    id: r.id,
    startedAt: r.startedAt,
    result: r.result,
    actor: r.actor,
    fromImage: (r as { drill?: { fromImage?: string } }).drill?.fromImage ?? r.image ?? null,
    targetRevision: back?.toRevision ?? r.rollback?.toRevision ?? null,
    targetImage: back?.image ?? r.rollback?.toImage ?? null,
    rollbackMs: back?.durationMs ?? null,
    rollbackResult: back?.result ?? null,
    rollForwardMs: fwd?.durationMs ?? null,
    rollForwardResult: fwd?.result ?? null,
    durationMs: r.durationMs ?? null,
    failureMessage: r.failureMessage ?? null,
  };
}

/**
 * The drills of `window` and the last one, from drill records (any order), as of `now` (--at): a
 * drill that started or finished after `now` had no result yet, so it is left out.
 */
export function summarizeDrills(drills: DeploymentRecord[], window: Window, now: number): DrillSummary {
  const finishedBy = (d: DeploymentRecord) => {
    const started = Date.parse(d.startedAt);
    const finished = d.finishedAt ? Date.parse(d.finishedAt) : started + (d.durationMs ?? 0);
    return started <= now && !(finished > now);
  };
  const sorted = drills
    .filter((d) => d.kind === 'drill' && d.result !== 'in_progress' && finishedBy(d))
    .slice()
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  const inPeriod = sorted.filter((d) => {
    const t = Date.parse(d.startedAt);
    return t >= window.start && t < window.end;
  });
  const last = sorted[0];
  return {
    count: inPeriod.length,
    passed: inPeriod.filter((d) => d.result === 'succeeded').length,
    failed: inPeriod.filter((d) => d.result !== 'succeeded').length,
    items: inPeriod.map(drillView),
    last: last ? drillView(last) : null,
    overdue: !last || now - Date.parse(last.startedAt) > DRILL_OVERDUE_MS,
  };
}
