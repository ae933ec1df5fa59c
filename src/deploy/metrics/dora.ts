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
import { COMPLETED, type DeployView, type DoraFacts, iso, parse, periodMetrics } from './dora-period.js';
import { periodWindows, type Window } from './dora-stats.js';
import {
  type ClockSkewFlag,
  DEFAULT_FAILURE_WINDOW_MS,
  type DoraAnalysis,
  type DoraOptions,
  type IncidentInput,
  type RestoreSample,
  type UnrestoredFailure,
} from './dora-types.js';

export * from './dora-stats.js';
export * from './dora-types.js';

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
  const facts: DoraFacts = { deploys, rollbacks, incidents, restoreOf, standaloneRestores, leadOf, now };
  const metricsFor = (w: Window) => periodMetrics(w, facts);

  return {
    period: options.period,
    now: iso(now),
    failureWindowMs: windowMs,
    current: metricsFor(windows.current),
    previous: metricsFor(windows.previous),
    clockSkew: flagged.filter((f) => f.t >= windows.previous.start).map((f) => f.flag),
  };
}
