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
 *   it went live while it was the live version). It counts once, with every reason listed.
 * - The live version at a time: of the successful deploys that had gone live (finished) by then, the
 *   last to go live, leaving out any a successful manual rollback had taken back (then the version
 *   before it is live; after a failed one it is still live). A deploy still rolling out is not live
 *   yet.
 * - Time to restore: one sample per failure, from its detection, the earliest of failureDetectedAt
 *   (for a failed or rolled-back deploy without one: its finish), its linked incidents' openedAt and
 *   its manual rollbacks' start, to the first verified restore (automatic rollback's restoredAt, a
 *   successful manual rollback, the next successful deploy (fix forward), or the resolution of its
 *   incidents). Incidents linked to no deploy are failures of their own (openedAt → resolvedAt).
 *   Unrestored failures are listed and left out of the median.
 * - Lead time: successful deploys with a known commit time, commit → finishedAt.
 * - As of `now` (--at): only what had happened by `now` counts, so a report for a past time gives the
 *   same figures whenever it is run. A deploy, rollback or incident that starts after `now` is left
 *   out (also as a fix forward, a rollback or the live version); a deploy or rollback that finished
 *   after `now` is still in progress; a restoredAt, resolvedAt or failureDetectedAt after `now` has
 *   not happened (the failure is unrestored, the incident open). Each is flagged `in_future`
 *   (`report --at` leaves records that start after it out before they get here: out of scope, not a
 *   clock problem; commands/report/run.ts).
 * - Clock skew: a duration that would be negative is clamped to 0 and flagged. Durations are never
 *   negative.
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

  // 1. Parse the times as of `now`: what starts after it is left out; what finishes after it has not
  // finished yet (the report as of --at sees only what had happened by then, so it never changes).
  const deploys: DeployView[] = [];
  const rollbacks: DeployView[] = [];
  for (const record of records) {
    if (record.kind !== 'deploy' && record.kind !== 'rollback') continue;
    const started = parse(record.startedAt);
    if (started === undefined) continue;
    if (started > now) {
      flag(record, 'in_future', `startedAt ${record.startedAt} is after the report time; left out`);
      continue;
    }
    let result: string = record.result;
    let finished = parse(record.finishedAt);
    if (finished === undefined && record.durationMs !== undefined && COMPLETED.has(result))
      finished = started + Math.max(0, record.durationMs);
    if (finished !== undefined && finished > now) {
      flag(
        record,
        'in_future',
        `finishedAt ${record.finishedAt ?? iso(finished)} is after the report time; in progress as of it`,
      );
      finished = undefined;
      result = 'in_progress';
    }
    if (finished !== undefined && finished < started) {
      flag(
        record,
        'finished_before_started',
        `finishedAt ${record.finishedAt} is before startedAt ${record.startedAt}; duration clamped to 0`,
      );
      finished = started;
    }
    const view: DeployView = {
      record,
      key: `${record.namespace}/${record.deployment}`,
      result,
      live: result === 'succeeded',
      started,
      finished,
      durationMs: finished === undefined ? undefined : finished - started,
      reasons: [],
    };
    (record.kind === 'deploy' ? deploys : rollbacks).push(view);
  }
  // Incidents as of `now`: opened after it, left out; resolved after it, still open.
  const known: IncidentInput[] = [];
  for (const inc of incidents) {
    const opened = parse(inc.openedAt);
    if (opened === undefined) continue;
    const where = { id: inc.id, kind: 'incident', openedAt: inc.openedAt };
    if (opened > now) {
      flag(where, 'in_future', `openedAt ${inc.openedAt} is after the report time; left out`);
      continue;
    }
    const resolved = parse(inc.resolvedAt);
    if (resolved !== undefined && resolved > now) {
      flag(where, 'in_future', `resolvedAt ${inc.resolvedAt} is after the report time; open as of it`);
      const { resolvedAt: _later, ...open } = inc;
      known.push(open);
    } else known.push(inc);
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
    if (d.result === 'failed') d.reasons.push({ type: 'failed' });
    if (d.result === 'rolled_back') d.reasons.push({ type: 'rolled_back' });
  }
  /** When a successful manual rollback took a deploy back (its finish): it was no longer live after. */
  const takenBackAt = new Map<DeployView, number>();
  const wentLive = (d: DeployView) => d.finished ?? d.started;
  /** The longest rollout: bounds how far back a deploy that went live after another can have started. */
  const longest = deploys.reduce((m, d) => Math.max(m, wentLive(d) - d.started), 0);
  /**
   * The version live at `t` among the deploys `of` accepts: of the successful deploys that went live
   * at or before `t` and that no successful manual rollback had taken back by then, the one that went
   * live last. A deploy still rolling out at `t` is not live yet; after a manual rollback, the version
   * before it is. It answers for a manual rollback (the version it undoes) and an incident.
   */
  const liveVersionAt = (t: number, of: (d: DeployView) => boolean): DeployView | undefined => {
    let best: DeployView | undefined;
    for (let i = lastBefore(t, true); i >= 0; i--) {
      const c = deploys[i] as DeployView;
      if (best && c.started + longest < wentLive(best)) break; // nothing earlier went live later
      if (!c.live || wentLive(c) > t) continue;
      if (!of(c)) continue;
      const back = takenBackAt.get(c);
      if (back !== undefined && back <= t) continue;
      if (!best || wentLive(c) > wentLive(best)) best = c;
    }
    return best;
  };
  const manualRollbacksOf = new Map<DeployView, DeployView[]>();
  for (const rb of rollbacks) {
    if (rb.result !== 'succeeded' && rb.result !== 'failed') continue;
    // A version a successful rollback took back is no longer live; after a failed one it still is,
    // so a second attempt rolls back the same deploy.
    const d = liveVersionAt(rb.started, (x) => x.key === rb.key);
    if (!d) continue;
    d.reasons.push({ type: 'manual_rollback', recordId: rb.record.id });
    manualRollbacksOf.set(d, [...(manualRollbacksOf.get(d) ?? []), rb]);
    if (rb.result === 'succeeded' && rb.finished !== undefined) takenBackAt.set(d, rb.finished);
  }
  const incidentsOf = new Map<DeployView, IncidentInput[]>();
  const standaloneIncidents: IncidentInput[] = [];
  for (const inc of known) {
    const opened = parse(inc.openedAt) as number;
    let d = inc.relatedDeployId ? deployById.get(inc.relatedDeployId) : undefined;
    let linkedBy: 'id' | 'window' = 'id';
    if (!d) {
      linkedBy = 'window';
      // The version live when the incident opened, if it went live within the window before it.
      const live = liveVersionAt(opened, (c) => !inc.namespace || c.record.namespace === inc.namespace);
      if (live && opened - wentLive(live) <= windowMs) d = live;
    }
    if (!d) {
      standaloneIncidents.push(inc);
      continue;
    }
    d.reasons.push({ type: 'incident', incidentId: inc.id, linkedBy });
    incidentsOf.set(d, [...(incidentsOf.get(d) ?? []), inc]);
  }

  // 3. Restores: from the earliest detection (the deploy's own, its first incident, its first manual
  // rollback) to the first verified restore; all as of `now`.
  const restoreOf = new Map<DeployView, RestoreSample | UnrestoredFailure>();
  for (const [index, d] of deploys.entries()) {
    if (d.reasons.length === 0) continue;
    const starts: number[] = [];
    let detected = parse(d.record.failureDetectedAt);
    if (detected !== undefined && detected > now) {
      flag(d.record, 'in_future', `failureDetectedAt ${d.record.failureDetectedAt} is after the report time`);
      detected = undefined;
    }
    if (detected !== undefined) starts.push(detected);
    else if (d.result === 'failed' || d.result === 'rolled_back') starts.push(d.finished ?? d.started);
    for (const inc of incidentsOf.get(d) ?? []) starts.push(parse(inc.openedAt) as number);
    for (const rb of manualRollbacksOf.get(d) ?? []) starts.push(rb.started);
    const start = Math.min(...starts);
    const candidates: Array<{ t: number; via: RestoreSample['via'] }> = [];
    let restored = parse(d.record.restoredAt);
    if (restored !== undefined && restored > now) {
      flag(
        d.record,
        'in_future',
        `restoredAt ${d.record.restoredAt} is after the report time; not restored as of it`,
      );
      restored = undefined;
    }
    if (restored !== undefined) candidates.push({ t: restored, via: 'automatic_rollback' });
    else {
      for (const rb of manualRollbacksOf.get(d) ?? [])
        if (rb.result === 'succeeded' && rb.finished !== undefined)
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
    if (d.result !== 'succeeded') continue;
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
  const facts: DoraFacts = {
    deploys,
    rollbacks,
    incidents: known,
    restoreOf,
    standaloneRestores,
    leadOf,
    now,
  };
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
