/**
 * DORA delivery metrics from ledger records: pure functions, no I/O, no clock (the "now" is given).
 *
 * Definitions (docs/FOUR_KEYS_COMPARISON.md compares them with Google's Four Keys):
 * - Period: a rolling window ending at `now` (week = 7 days, month = 30 days); the previous period
 *   is the same length just before it. A record belongs to the period its `startedAt` falls in
 *   (an incident: its `openedAt`), even when it finished in the next one.
 * - Deployments: records of kind `deploy`. Completed = succeeded, rolled_back or failed. In-progress
 *   deploys are excluded from every rate and listed; skipped ones are counted apart.
 * - Success rate = succeeded / completed.
 * - Change failure rate = failed changes / completed. A deploy is a failed change when it failed,
 *   was rolled back (automatically, or manually by a later `rollback` record while it was the live
 *   version) or was followed by an incident (linked by id, or opened within `failureWindowMs` after
 *   it finished while it was the live version). It counts once, with every reason listed.
 * - Time to restore: one sample per failure, from its detection (failureDetectedAt, else the
 *   earliest linked incident or manual rollback) to the first verified restore (automatic rollback's
 *   restoredAt, a successful manual rollback, the next successful deploy (fix forward), or the
 *   resolution of its incidents). Incidents linked to no deploy are failures of their own
 *   (openedAt → resolvedAt). Unrestored failures are listed and left out of the median.
 * - Lead time: successful deploys with a known commit time, commit → finishedAt.
 * - Clock skew: a duration that would be negative is clamped to 0 and flagged; a time in the future
 *   of `now` is clamped to `now` and flagged. Durations are never negative.
 * - Percentiles: linear interpolation between closest ranks (type 7, like numpy and
 *   PERCENTILE_CONT): p50 of [1,2,3,4] is 2.5.
 */
import type { DeploymentRecord } from '../ledger/record.js';
import {
  classifyChangeFailureRate,
  classifyDuration,
  classifyFrequency,
  distribution,
  periodWindows,
  ratio,
  type Window,
} from './dora-stats.js';
import {
  type CauseCount,
  type ClockSkewFlag,
  DAY_MS,
  type DailyPoint,
  DEFAULT_FAILURE_WINDOW_MS,
  DORA_BANDS,
  type DoraAnalysis,
  type DoraOptions,
  type FailureReason,
  HOUR_MS,
  type IncidentInput,
  type PeriodMetrics,
  type RestoreSample,
  type UnrestoredFailure,
} from './dora-types.js';

export * from './dora-stats.js';
export * from './dora-types.js';

const COMPLETED = new Set(['succeeded', 'rolled_back', 'failed']);
const STALE_MS = 6 * HOUR_MS;

/** A deploy with its times parsed and clamped. */
interface DeployView {
  record: DeploymentRecord;
  /** namespace/deployment: which workload the record changed. */
  key: string;
  /** result === 'succeeded' (a version that went live). */
  live: boolean;
  started: number;
  /** Clamped finish (>= started, <= now), or undefined while in progress / unknown. */
  finished?: number;
  durationMs?: number;
  reasons: FailureReason[];
}

const inWindow = (t: number, w: Window) => t >= w.start && t < w.end;
const iso = (t: number) => new Date(t).toISOString();
const parse = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
};

/**
 * Computes the metrics for the period ending at `now` and the one before it.
 * `records` may hold any kinds; deploys and rollbacks are read from it. `incidents` come separately.
 */
export function analyzeDora(
  records: readonly DeploymentRecord[],
  incidents: readonly IncidentInput[],
  options: DoraOptions,
): DoraAnalysis {
  const now = options.now.getTime();
  const windowMs = options.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS;
  // Flags carry the time of their record; only those of the two periods (or later) are reported.
  const flagged: Array<{ t: number; flag: ClockSkewFlag }> = [];
  const flag = (
    r: { id: string; kind: string; startedAt?: string; openedAt?: string },
    problem: ClockSkewFlag['problem'],
    detail: string,
  ) =>
    flagged.push({
      t: parse(r.startedAt) ?? parse(r.openedAt) ?? now,
      flag: { recordId: r.id, kind: r.kind, problem, detail },
    });

  // 1. Parse and clamp times.
  const deploys: DeployView[] = [];
  const rollbacks: DeployView[] = [];
  for (const record of records) {
    if (record.kind !== 'deploy' && record.kind !== 'rollback') continue;
    const started = parse(record.startedAt);
    if (started === undefined) continue;
    if (started > now) flag(record, 'in_future', `startedAt ${record.startedAt} is after the report time`);
    let finished = parse(record.finishedAt);
    if (finished !== undefined && finished > now && started <= now) {
      flag(record, 'in_future', `finishedAt ${record.finishedAt} is after the report time; clamped`);
      finished = now;
    }
    if (finished !== undefined && finished < started) {
      flag(
        record,
        'finished_before_started',
        `finishedAt ${record.finishedAt} is before startedAt ${record.startedAt}; duration clamped to 0`,
      );
      finished = started;
    }
    let durationMs: number | undefined;
    if (finished !== undefined) durationMs = finished - started;
    else if (record.durationMs !== undefined && COMPLETED.has(record.result)) {
      durationMs = Math.max(0, record.durationMs);
      finished = started + durationMs;
    }
    const view: DeployView = {
      record,
      key: `${record.namespace}/${record.deployment}`,
      live: record.result === 'succeeded',
      started,
      finished,
      durationMs,
      reasons: [],
    };
    (record.kind === 'deploy' ? deploys : rollbacks).push(view);
  }
  const byStart = (a: DeployView, b: DeployView) =>
    a.started - b.started || (a.record.id < b.record.id ? -1 : 1);
  deploys.sort(byStart);
  rollbacks.sort(byStart);
  const deployById = new Map(deploys.map((d) => [d.record.id, d]));
  /** Index of the last deploy started before `t` (or at `t` when inclusive); -1 if none. Binary search. */
  const lastBefore = (t: number, inclusive: boolean): number => {
    let lo = 0;
    let hi = deploys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = (deploys[mid] as DeployView).started;
      if (s < t || (inclusive && s === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };

  // 2. Failure attribution: each deploy collects reasons; it is one failed change whatever their number.
  for (const d of deploys) {
    if (d.record.result === 'failed') d.reasons.push({ type: 'failed' });
    if (d.record.result === 'rolled_back') d.reasons.push({ type: 'rolled_back' });
  }
  /** The newest successful deploy of the same target started before `t` (the version then live). */
  const liveAt = (t: number, key: string, skip?: (d: DeployView) => boolean): DeployView | undefined => {
    for (let i = lastBefore(t, false); i >= 0; i--) {
      const d = deploys[i] as DeployView;
      if (!d.live || d.key !== key) continue;
      if (skip?.(d)) continue;
      return d;
    }
    return undefined;
  };
  const manualRollbacksOf = new Map<DeployView, DeployView[]>();
  for (const rb of rollbacks) {
    if (rb.record.result !== 'succeeded' && rb.record.result !== 'failed') continue;
    const d = liveAt(rb.started, rb.key, (x) => x.reasons.some((r) => r.type === 'manual_rollback'));
    if (!d) continue;
    d.reasons.push({ type: 'manual_rollback', recordId: rb.record.id });
    manualRollbacksOf.set(d, [...(manualRollbacksOf.get(d) ?? []), rb]);
  }
  const incidentsOf = new Map<DeployView, IncidentInput[]>();
  const standaloneIncidents: IncidentInput[] = [];
  for (const inc of incidents) {
    const opened = parse(inc.openedAt);
    if (opened === undefined) continue;
    let d = inc.relatedDeployId ? deployById.get(inc.relatedDeployId) : undefined;
    let linkedBy: 'id' | 'window' = 'id';
    if (!d) {
      linkedBy = 'window';
      // The live version when the incident opened, if it went live within the window.
      for (let i = lastBefore(opened, true); i >= 0; i--) {
        const c = deploys[i] as DeployView;
        if (!c.live) continue;
        if (inc.namespace && c.record.namespace !== inc.namespace) continue;
        const wentLive = c.finished ?? c.started;
        if (opened - wentLive <= windowMs && opened >= wentLive) d = c;
        break;
      }
    }
    if (!d) {
      standaloneIncidents.push(inc);
      continue;
    }
    d.reasons.push({ type: 'incident', incidentId: inc.id, linkedBy });
    incidentsOf.set(d, [...(incidentsOf.get(d) ?? []), inc]);
  }

  // 3. Restores.
  const restoreOf = new Map<DeployView, RestoreSample | UnrestoredFailure>();
  for (const [index, d] of deploys.entries()) {
    if (d.reasons.length === 0) continue;
    const starts: number[] = [];
    const detected = parse(d.record.failureDetectedAt);
    if (detected !== undefined) starts.push(detected);
    else if (d.record.result === 'failed' || d.record.result === 'rolled_back')
      starts.push(d.finished ?? d.started);
    for (const inc of incidentsOf.get(d) ?? []) starts.push(parse(inc.openedAt) as number);
    for (const rb of manualRollbacksOf.get(d) ?? []) starts.push(rb.started);
    const start = Math.min(...starts);
    const candidates: Array<{ t: number; via: RestoreSample['via'] }> = [];
    const restored = parse(d.record.restoredAt);
    if (restored !== undefined) candidates.push({ t: restored, via: 'automatic_rollback' });
    else {
      for (const rb of manualRollbacksOf.get(d) ?? [])
        if (rb.record.result === 'succeeded' && rb.finished !== undefined)
          candidates.push({ t: rb.finished, via: 'manual_rollback' });
      const incs = incidentsOf.get(d) ?? [];
      if (incs.length > 0 && incs.every((i) => parse(i.resolvedAt) !== undefined))
        candidates.push({
          t: Math.max(...incs.map((i) => parse(i.resolvedAt) as number)),
          via: 'incident_resolved',
        });
      let next: DeployView | undefined;
      for (let i = index + 1; i < deploys.length && !next; i++) {
        const x = deploys[i] as DeployView;
        if (x.key === d.key && x.live && x.started >= start && x.finished !== undefined) next = x;
      }
      if (next?.finished !== undefined) candidates.push({ t: next.finished, via: 'fix_forward' });
    }
    candidates.sort((a, b) => a.t - b.t);
    const first = candidates[0];
    if (!first) {
      restoreOf.set(d, { failureId: d.record.id, type: 'deploy', detectedAt: iso(start) });
      continue;
    }
    let end = first.t;
    if (end < start) {
      flag(
        d.record,
        'restored_before_detected',
        `restored at ${iso(end)}, before detection at ${iso(start)}`,
      );
      end = start;
    }
    restoreOf.set(d, {
      failureId: d.record.id,
      type: 'deploy',
      detectedAt: iso(start),
      restoredAt: iso(end),
      durationMs: end - start,
      via: first.via,
    });
  }
  const standaloneRestores: Array<{ opened: number; sample: RestoreSample | UnrestoredFailure }> = [];
  for (const inc of standaloneIncidents) {
    const opened = parse(inc.openedAt) as number;
    let resolved = parse(inc.resolvedAt);
    if (resolved === undefined) {
      standaloneRestores.push({
        opened,
        sample: { failureId: inc.id, type: 'incident', detectedAt: iso(opened) },
      });
      continue;
    }
    if (resolved < opened) {
      flag(
        { id: inc.id, kind: 'incident', openedAt: inc.openedAt },
        'restored_before_detected',
        `resolvedAt ${inc.resolvedAt} is before openedAt ${inc.openedAt}; clamped to 0`,
      );
      resolved = opened;
    }
    standaloneRestores.push({
      opened,
      sample: {
        failureId: inc.id,
        type: 'incident',
        detectedAt: iso(opened),
        restoredAt: iso(resolved),
        durationMs: resolved - opened,
        via: 'incident_resolved',
      },
    });
  }

  // 4. Lead-time samples (successful deploys with a commit time).
  const leadOf = new Map<DeployView, number>();
  for (const d of deploys) {
    if (d.record.result !== 'succeeded') continue;
    const committed = parse(d.record.git?.committedAt);
    if (committed === undefined) continue;
    const live = d.finished ?? d.started;
    if (committed > live) {
      flag(
        d.record,
        'commit_after_deploy',
        `commit time ${d.record.git?.committedAt} is after the deploy finished; lead time clamped to 0`,
      );
      leadOf.set(d, 0);
    } else leadOf.set(d, live - committed);
  }

  const windows = periodWindows(options.period, options.now);
  const metricsFor = (w: Window): PeriodMetrics => {
    const days = (w.end - w.start) / DAY_MS;
    const inPeriod = deploys.filter((d) => inWindow(d.started, w));
    const completed = inPeriod.filter((d) => COMPLETED.has(d.record.result));
    const succeeded = completed.filter((d) => d.record.result === 'succeeded');
    const failed = completed.filter((d) => d.reasons.length > 0);
    const rbInPeriod = rollbacks.filter(
      (r) => inWindow(r.started, w) && (r.record.result === 'succeeded' || r.record.result === 'failed'),
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
        rolledBack: completed.filter((d) => d.record.result === 'rolled_back').length,
        failed: completed.filter((d) => d.record.result === 'failed').length,
        skipped: inPeriod.filter((d) => d.record.result === 'skipped').length,
        perWeek: (completed.length / days) * 7,
        successfulPerDay,
        inProgress: inPeriod
          .filter((d) => d.record.result === 'in_progress')
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
  };

  return {
    period: options.period,
    now: iso(now),
    failureWindowMs: windowMs,
    current: metricsFor(windows.current),
    previous: metricsFor(windows.previous),
    clockSkew: flagged.filter((f) => f.t >= windows.previous.start).map((f) => f.flag),
  };
}
