/**
 * One period's DORA metrics (metrics/dora.ts's definitions) from the facts analyzeDora derived for
 * the whole ledger: the deploys and manual rollbacks with their times clamped and failure reasons
 * collected, each failure's restore, and each successful deploy's lead time.
 */
import type { DeploymentRecord } from '../ledger/record.js';
import {
  classifyChangeFailureRate,
  classifyDuration,
  classifyFrequency,
  distribution,
  ratio,
  type Window,
} from './dora-stats.js';
import {
  type CauseCount,
  DAY_MS,
  type DailyPoint,
  DORA_BANDS,
  type FailureReason,
  HOUR_MS,
  type IncidentInput,
  type PeriodMetrics,
  type RestoreSample,
  type UnrestoredFailure,
} from './dora-types.js';

export const COMPLETED = new Set(['succeeded', 'rolled_back', 'failed']);
const STALE_MS = 6 * HOUR_MS;

/** A deploy with its times parsed and clamped. */
export interface DeployView {
  record: DeploymentRecord;
  /** namespace/deployment: which workload the record changed. */
  key: string;
  /**
   * The result as of `now`: the record's result, or `in_progress` when it finished after `now` (a
   * report as of --at sees what had happened by then).
   */
  result: string;
  /** result === 'succeeded' (a version that went live). */
  live: boolean;
  started: number;
  /** Finish (>= started, <= now), or undefined while in progress (as of now) / unknown. */
  finished?: number;
  durationMs?: number;
  reasons: FailureReason[];
}

export const inWindow = (t: number, w: Window) => t >= w.start && t < w.end;
export const iso = (t: number) => new Date(t).toISOString();
export const parse = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

export interface DoraFacts {
  deploys: DeployView[];
  rollbacks: DeployView[];
  incidents: readonly IncidentInput[];
  restoreOf: Map<DeployView, RestoreSample | UnrestoredFailure>;
  standaloneRestores: Array<{ opened: number; sample: RestoreSample | UnrestoredFailure }>;
  leadOf: Map<DeployView, number>;
  /** `now` in epoch milliseconds. */
  now: number;
}

/** The metrics of the records that started in window `w`. */
export function periodMetrics(w: Window, facts: DoraFacts): PeriodMetrics {
  const { deploys, rollbacks, incidents, restoreOf, standaloneRestores, leadOf, now } = facts;
  const days = (w.end - w.start) / DAY_MS;
  const inPeriod = deploys.filter((d) => inWindow(d.started, w));
  const completed = inPeriod.filter((d) => COMPLETED.has(d.result));
  const succeeded = completed.filter((d) => d.result === 'succeeded');
  const failed = completed.filter((d) => d.reasons.length > 0);
  const rbInPeriod = rollbacks.filter(
    (r) => inWindow(r.started, w) && (r.result === 'succeeded' || r.result === 'failed'),
  );
  const automatic = completed.filter((d) => d.record.rollback !== undefined);
  const causes = new Map<string, CauseCount>();
  const addCause = (cause: string, manual: boolean) => {
    const c = causes.get(cause) ?? { cause, count: 0, automatic: 0, manual: 0 };
    c.count++;
    if (manual) c.manual++;
    else c.automatic++;
    causes.set(cause, c);
  };
  for (const d of automatic) addCause(d.record.failureClass ?? 'Unknown', false);
  for (const r of rbInPeriod)
    addCause(r.record.reason ?? r.record.rollback?.reason ?? 'manual (no reason given)', true);

  const restores: RestoreSample[] = [];
  const unrestored: UnrestoredFailure[] = [];
  const take = (s: RestoreSample | UnrestoredFailure | undefined) => {
    if (!s) return;
    if ('durationMs' in s) restores.push(s);
    else unrestored.push(s);
  };
  for (const d of inPeriod) take(restoreOf.get(d));
  for (const s of standaloneRestores) if (inWindow(s.opened, w)) take(s.sample);
  restores.sort((a, b) => Date.parse(a.detectedAt) - Date.parse(b.detectedAt));

  const leads = succeeded.filter((d) => leadOf.has(d)).map((d) => leadOf.get(d) as number);
  const durations = completed.filter((d) => d.durationMs !== undefined).map((d) => d.durationMs as number);
  const ttr = distribution(restores.map((r) => r.durationMs));
  const lead = distribution(leads);
  const cfr = ratio(failed.length, completed.length);
  const successfulPerDay = succeeded.length / days;

  const incidentsInPeriod = incidents.filter((i) => {
    const t = parse(i.openedAt);
    return t !== undefined && inWindow(t, w);
  });
  const byLevel = { '1': 0, '2': 0, '3': 0 } as Record<'1' | '2' | '3', number>;
  for (const i of incidentsInPeriod) byLevel[String(i.level) as '1' | '2' | '3']++;

  const daily: DailyPoint[] = [];
  const dayIndex = new Map<string, DailyPoint>();
  for (let t = Math.floor(w.start / DAY_MS) * DAY_MS; t < w.end; t += DAY_MS) {
    const p = { date: iso(t).slice(0, 10), deploys: 0, failedChanges: 0 };
    daily.push(p);
    dayIndex.set(p.date, p);
  }
  for (const d of completed) {
    const p = dayIndex.get(iso(d.started).slice(0, 10));
    if (!p) continue;
    p.deploys++;
    if (d.reasons.length > 0) p.failedChanges++;
  }

  return {
    start: iso(w.start),
    end: iso(w.end),
    days,
    deployments: {
      completed: completed.length,
      succeeded: succeeded.length,
      rolledBack: completed.filter((d) => d.result === 'rolled_back').length,
      failed: completed.filter((d) => d.result === 'failed').length,
      skipped: inPeriod.filter((d) => d.result === 'skipped').length,
      perWeek: (completed.length / days) * 7,
      successfulPerDay,
      inProgress: inPeriod
        .filter((d) => d.result === 'in_progress')
        .map((d) => ({
          id: d.record.id,
          startedAt: d.record.startedAt,
          ...(d.record.image ? { image: d.record.image } : {}),
          actor: d.record.actor,
          stale: now - d.started > STALE_MS,
        })),
    },
    successRate: ratio(succeeded.length, completed.length),
    changeFailureRate: cfr,
    failedChanges: failed.map((d) => ({
      deployId: d.record.id,
      startedAt: d.record.startedAt,
      ...(d.record.image ? { image: d.record.image } : {}),
      ...(d.record.failureClass ? { failureClass: d.record.failureClass } : {}),
      reasons: d.reasons,
    })),
    rollbacks: {
      total: automatic.length + rbInPeriod.length,
      automatic: automatic.length,
      manual: rbInPeriod.length,
      causes: [...causes.values()].sort((a, b) => b.count - a.count || (a.cause < b.cause ? -1 : 1)),
    },
    deployDuration: distribution(durations),
    timeToRestore: { ...ttr, samples: restores, unrestored },
    leadTime: { ...lead, unknown: succeeded.length - leads.length },
    incidents: {
      opened: incidentsInPeriod.length,
      byLevel,
      resolved: incidentsInPeriod.filter((i) => parse(i.resolvedAt) !== undefined).length,
    },
    bands: {
      deploymentFrequency: {
        band: completed.length === 0 ? null : classifyFrequency(successfulPerDay),
        value: completed.length === 0 ? null : successfulPerDay,
      },
      leadTime: { band: classifyDuration(lead.p50Ms, DORA_BANDS.leadTime), value: lead.p50Ms },
      changeFailureRate: { band: classifyChangeFailureRate(cfr.value), value: cfr.value },
      timeToRestore: { band: classifyDuration(ttr.p50Ms, DORA_BANDS.timeToRestore), value: ttr.p50Ms },
    },
    daily,
    deploys: completed
      .filter((d) => d.durationMs !== undefined)
      .map((d) => ({
        id: d.record.id,
        startedAt: d.record.startedAt,
        durationMs: d.durationMs as number,
        failed: d.reasons.length > 0,
      })),
  };
}
