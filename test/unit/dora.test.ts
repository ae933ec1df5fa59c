/**
 * DORA metrics against a hand-computed fixture (test/fixtures/ledger/basic-week, report time
 * 2026-03-15T00:00Z, period week: current [03-08, 03-15), previous [03-01, 03-08)).
 * Every expected number below was computed by hand from the fixture files; the comments show how.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeploymentRecord } from '../../src/deploy/ledger/record.js';
import {
  analyzeDora,
  classifyChangeFailureRate,
  classifyDuration,
  classifyFrequency,
  DORA_BANDS,
  type IncidentInput,
  percentile,
} from '../../src/deploy/metrics/dora.js';
import { loadDoraFixture as loadFixture, DORA_FIXTURE_NOW as NOW } from './dora-fixture.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function dep(id: string, start: string, minutes: number | undefined, result: string, extra = {}) {
  const startedAt = new Date(start).toISOString();
  return {
    schemaVersion: 1,
    id,
    kind: 'deploy',
    namespace: 'production',
    deployment: 'preview-worker',
    actor: 'a',
    phases: {},
    startedAt,
    result,
    ...(minutes !== undefined
      ? { finishedAt: new Date(Date.parse(startedAt) + minutes * MIN).toISOString() }
      : {}),
    ...extra,
  } as DeploymentRecord;
}

describe('percentile (type 7, linear between closest ranks)', () => {
  it('interpolates like PERCENTILE_CONT', () => {
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(percentile([0, 3, 5, 5, 6, 7, 8], 0.95), 7.699999999999999);
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([], 0.5), null);
  });
});

describe('DORA bands', () => {
  it('classifies at the thresholds', () => {
    assert.equal(classifyFrequency(1), 'elite');
    assert.equal(classifyFrequency(0.99), 'high');
    assert.equal(classifyFrequency(1 / 7), 'high');
    assert.equal(classifyFrequency(1 / 7 - 0.001), 'medium');
    assert.equal(classifyFrequency(1 / 30), 'medium');
    assert.equal(classifyFrequency(0.01), 'low');
    assert.equal(classifyFrequency(null), null);
    assert.equal(classifyDuration(HOUR - 1, DORA_BANDS.timeToRestore), 'elite');
    assert.equal(classifyDuration(HOUR, DORA_BANDS.timeToRestore), 'high');
    assert.equal(classifyDuration(7 * 24 * HOUR, DORA_BANDS.timeToRestore), 'low');
    assert.equal(classifyDuration(23 * HOUR, DORA_BANDS.leadTime), 'elite');
    assert.equal(classifyDuration(29 * 24 * HOUR, DORA_BANDS.leadTime), 'medium');
    assert.equal(classifyChangeFailureRate(0.05), 'elite');
    assert.equal(classifyChangeFailureRate(0.1), 'high');
    assert.equal(classifyChangeFailureRate(0.15), 'medium');
    assert.equal(classifyChangeFailureRate(0.16), 'low');
    assert.equal(classifyChangeFailureRate(null), null);
  });
});

describe('analyzeDora on the hand-computed fixture', () => {
  it('current week', async () => {
    const { records, incidents } = await loadFixture();
    const a = analyzeDora(records, incidents, { now: NOW, period: 'week' });
    const c = a.current;
    assert.equal(c.start, '2026-03-08T00:00:00.000Z');
    assert.equal(c.end, '2026-03-15T00:00:00.000Z');
    // c1..c7 completed; c8 in progress; s1 skipped; f1 starts after the report time.
    assert.equal(c.deployments.completed, 7);
    assert.equal(c.deployments.succeeded, 5); // c1 c2 c4 c5 c7
    assert.equal(c.deployments.rolledBack, 1); // c3
    assert.equal(c.deployments.failed, 1); // c6
    assert.equal(c.deployments.skipped, 1);
    assert.equal(c.deployments.perWeek, 7);
    assert.equal(c.deployments.successfulPerDay, 5 / 7);
    assert.deepEqual(
      c.deployments.inProgress.map((d) => [d.id, d.stale]),
      [['c8', false]],
    );
    assert.deepEqual(c.successRate, { value: 5 / 7, numerator: 5, denominator: 7 });
    // Failed changes, each once: c2 (incident i1 within 24 h), c3 (rolled back), c4 (manual rollback
    // r1 AND incident i2 linked by id: still one), c6 (failed).
    assert.deepEqual(c.changeFailureRate, { value: 4 / 7, numerator: 4, denominator: 7 });
    assert.deepEqual(
      c.failedChanges.map((f) => [f.deployId, f.reasons.map((r) => r.type)]),
      [
        ['c2', ['incident']],
        ['c3', ['rolled_back']],
        ['c4', ['manual_rollback', 'incident']],
        ['c6', ['failed']],
      ],
    );
    assert.deepEqual(c.failedChanges[0]?.reasons[0], {
      type: 'incident',
      incidentId: 'i1',
      linkedBy: 'window',
    });
    // Rollbacks: c3 automatic (ImagePullBackOff), r1 manual ("latency regression").
    assert.deepEqual(c.rollbacks, {
      total: 2,
      automatic: 1,
      manual: 1,
      causes: [
        { cause: 'ImagePullBackOff', count: 1, automatic: 1, manual: 0 },
        { cause: 'latency regression', count: 1, automatic: 0, manual: 1 },
      ],
    });
    // Durations (min): c1 6, c2 8, c3 3, c4 5, c5 0 (finished before start: clamped), c6 7, c7 5
    // sorted [0,3,5,5,6,7,8]: p50 = 5; p95 = 7 + 0.7 * (8 - 7) = 7.7; max 8.
    assert.equal(c.deployDuration.count, 7);
    assert.equal(c.deployDuration.p50Ms, 5 * MIN);
    assert.equal(Math.round(c.deployDuration.p95Ms ?? 0), 7.7 * MIN);
    assert.equal(c.deployDuration.maxMs, 8 * MIN);
    // Time to restore: c2 15:00→17:00 incident resolved (2 h); c3 09:02→09:03 automatic (1 m);
    // c4 10:30 (i2 opened) → 11:02 (r1 finished) = 32 m; c6 03-13 09:06 → c7 finished 03-14 09:05
    // (fix forward) = 23 h 59 m; i3 (no deploy within 24 h) 20:00→20:30 = 30 m.
    assert.deepEqual(
      c.timeToRestore.samples.map((s) => [s.failureId, s.durationMs, s.via]),
      [
        ['c2', 2 * HOUR, 'incident_resolved'],
        ['c3', MIN, 'automatic_rollback'],
        ['c4', 32 * MIN, 'manual_rollback'],
        ['c6', 23 * HOUR + 59 * MIN, 'fix_forward'],
        ['i3', 30 * MIN, 'incident_resolved'],
      ],
    );
    assert.equal(c.timeToRestore.p50Ms, 32 * MIN);
    assert.equal(c.timeToRestore.maxMs, 23 * HOUR + 59 * MIN);
    assert.deepEqual(c.timeToRestore.unrestored, []);
    // Lead time: c1 1 h 06 m, c2 48 h, c4 1 h 05 m; median 1 h 06 m; c5 and c7 have no commit time.
    assert.equal(c.leadTime.count, 3);
    assert.equal(c.leadTime.unknown, 2);
    assert.equal(c.leadTime.p50Ms, 66 * MIN);
    assert.equal(c.leadTime.maxMs, 48 * HOUR);
    assert.deepEqual(c.incidents, { opened: 3, byLevel: { '1': 1, '2': 2, '3': 0 }, resolved: 3 });
    assert.deepEqual(Object.fromEntries(Object.entries(c.bands).map(([k, v]) => [k, v.band])), {
      deploymentFrequency: 'high',
      leadTime: 'elite',
      changeFailureRate: 'low',
      timeToRestore: 'elite',
    });
    assert.equal(c.daily.length, 7);
    assert.deepEqual(c.daily[1], { date: '2026-03-09', deploys: 1, failedChanges: 1 });
    assert.deepEqual(a.clockSkew.map((f) => [f.recordId, f.problem]).sort(), [
      ['c5', 'finished_before_started'],
      ['f1', 'in_future'],
    ]);
  });

  it('previous week (b1 started before the boundary, finished after it: previous period)', async () => {
    const { records, incidents } = await loadFixture();
    const p = analyzeDora(records, incidents, { now: NOW, period: 'week' }).previous;
    assert.equal(p.start, '2026-03-01T00:00:00.000Z');
    assert.equal(p.deployments.completed, 4); // p1 p2 p3 b1
    assert.equal(p.deployments.succeeded, 3);
    assert.deepEqual(p.changeFailureRate, { value: 0.25, numerator: 1, denominator: 4 });
    assert.deepEqual(p.successRate, { value: 0.75, numerator: 3, denominator: 4 });
    // Durations [4,5,6,10] min: p50 5.5; p95 = 6 + 0.85 * 4 = 9.4.
    assert.equal(p.deployDuration.p50Ms, 5.5 * MIN);
    assert.equal(Math.round(p.deployDuration.p95Ms ?? 0), 9.4 * MIN);
    assert.deepEqual(
      p.timeToRestore.samples.map((s) => [s.failureId, s.durationMs]),
      [['p2', 4 * MIN]],
    );
    assert.equal(p.leadTime.p50Ms, 24 * HOUR + 5 * MIN);
    assert.equal(p.leadTime.unknown, 2);
    assert.deepEqual(p.rollbacks.causes, [{ cause: 'CrashLoopBackOff', count: 1, automatic: 1, manual: 0 }]);
    assert.equal(p.bands.deploymentFrequency.band, 'high'); // 3 successful / 7 days
    assert.equal(p.bands.leadTime.band, 'high'); // 24 h 05 m
    assert.equal(p.bands.changeFailureRate.band, 'low'); // 25 %
    assert.equal(p.bands.timeToRestore.band, 'elite'); // 4 m
  });

  it('month (02-13 … 03-15 holds every record; the previous month is empty: N/A)', async () => {
    const { records, incidents } = await loadFixture();
    const a = analyzeDora(records, incidents, { now: NOW, period: 'month' });
    const m = a.current;
    assert.equal(m.start, '2026-02-13T00:00:00.000Z');
    assert.equal(m.deployments.completed, 11); // 4 + 7
    assert.equal(m.deployments.succeeded, 8);
    assert.deepEqual(m.changeFailureRate, { value: 5 / 11, numerator: 5, denominator: 11 }); // p2 c2 c3 c4 c6
    // Durations [0,3,4,5,5,5,6,6,7,8,10] min: p50 5; p95 = 8 + 0.5 * 2 = 9.
    assert.equal(m.deployDuration.p50Ms, 5 * MIN);
    assert.equal(Math.round(m.deployDuration.p95Ms ?? 0), 9 * MIN);
    // Restores [1, 4, 30, 32, 120, 1439] min: median (30 + 32) / 2 = 31.
    assert.equal(m.timeToRestore.p50Ms, 31 * MIN);
    // Lead times [65, 66, 1445, 2880] min: median (66 + 1445) / 2 = 755.5.
    assert.equal(m.leadTime.p50Ms, 755.5 * MIN);
    assert.equal(m.deployments.perWeek, (11 / 30) * 7);
    assert.equal(m.bands.deploymentFrequency.band, 'high'); // 8 / 30 per day
    assert.equal(m.bands.leadTime.band, 'elite'); // 12 h 35.5 m
    assert.equal(a.previous.deployments.completed, 0);
    assert.equal(a.previous.changeFailureRate.value, null);
    assert.equal(a.previous.bands.timeToRestore.band, null);
  });

  it('a shorter failure window stops linking i1 to c2', async () => {
    const { records, incidents } = await loadFixture();
    const c = analyzeDora(records, incidents, {
      now: NOW,
      period: 'week',
      failureWindowMs: 5 * HOUR,
    }).current;
    assert.equal(c.changeFailureRate.numerator, 3);
    assert.ok(c.timeToRestore.samples.some((s) => s.failureId === 'i1' && s.type === 'incident'));
  });
});

describe('analyzeDora edge cases', () => {
  const now = new Date('2026-03-15T00:00:00.000Z');
  it('no deploys: every rate and band is N/A (null), never 0 or NaN', () => {
    const c = analyzeDora([], [], { now, period: 'month' }).current;
    assert.equal(c.days, 30);
    assert.equal(c.deployments.completed, 0);
    assert.equal(c.successRate.value, null);
    assert.equal(c.changeFailureRate.value, null);
    assert.equal(c.deployDuration.p50Ms, null);
    assert.equal(c.timeToRestore.p50Ms, null);
    assert.equal(c.leadTime.p50Ms, null);
    for (const b of Object.values(c.bands)) assert.deepEqual(b, { band: null, value: null });
    assert.ok(!JSON.stringify(c).includes('NaN'));
  });

  it('only failures: success 0 %, change failure rate 100 %, unrestored listed', () => {
    const records = [
      dep('x1', '2026-03-10T10:00:00Z', 5, 'failed', { failureClass: 'OOMKilled' }),
      dep('x2', '2026-03-11T10:00:00Z', 5, 'rolled_back', {
        failureClass: 'OOMKilled',
        failureDetectedAt: '2026-03-11T10:03:00.000Z',
        restoredAt: '2026-03-11T10:05:00.000Z',
        rollback: { result: 'succeeded' },
      }),
    ];
    const c = analyzeDora(records, [], { now, period: 'week' }).current;
    assert.deepEqual(c.successRate, { value: 0, numerator: 0, denominator: 2 });
    assert.deepEqual(c.changeFailureRate, { value: 1, numerator: 2, denominator: 2 });
    assert.deepEqual(c.rollbacks.causes, [{ cause: 'OOMKilled', count: 1, automatic: 1, manual: 0 }]);
    assert.deepEqual(
      c.timeToRestore.unrestored.map((u) => u.failureId),
      ['x1'],
    );
    assert.equal(c.timeToRestore.p50Ms, 2 * MIN);
    assert.equal(c.bands.deploymentFrequency.band, 'low'); // 0 successful deploys in 2 attempts
  });

  it('a deploy in progress is excluded from rates and listed; stale after 6 hours', () => {
    const records = [
      dep('y1', '2026-03-14T10:00:00Z', 5, 'succeeded'),
      dep('y2', '2026-03-14T12:00:00Z', undefined, 'in_progress'),
    ];
    const c = analyzeDora(records, [], { now, period: 'week' }).current;
    assert.equal(c.deployments.completed, 1);
    assert.equal(c.successRate.value, 1);
    assert.deepEqual(
      c.deployments.inProgress.map((d) => [d.id, d.stale]),
      [['y2', true]],
    );
  });

  it('clock skew: a finish after now is still in progress, restore before detection clamped to 0; never negative', () => {
    const records = [
      dep('z1', '2026-03-14T23:00:00Z', undefined, 'succeeded', { finishedAt: '2026-03-16T00:00:00.000Z' }),
      dep('z2', '2026-03-14T10:00:00Z', 5, 'rolled_back', {
        failureDetectedAt: '2026-03-14T10:04:00.000Z',
        restoredAt: '2026-03-14T10:01:00.000Z',
        rollback: { result: 'succeeded' },
      }),
      dep('z3', '2026-03-14T11:00:00Z', 5, 'succeeded', { git: { committedAt: '2026-03-14T12:00:00.000Z' } }),
      // Skewed, but months before both periods: not reported.
      dep('old', '2025-11-01T10:00:00Z', undefined, 'succeeded', { finishedAt: '2025-11-01T09:00:00.000Z' }),
    ];
    const a = analyzeDora(records, [], { now, period: 'week' });
    assert.deepEqual(a.clockSkew.map((f) => [f.recordId, f.problem]).sort(), [
      ['z1', 'in_future'],
      ['z2', 'restored_before_detected'],
      ['z3', 'commit_after_deploy'],
    ]);
    // z1 finishes after the report time: as of it, still in progress (listed, in no rate or duration).
    assert.deepEqual(
      a.current.deployments.inProgress.map((d) => d.id),
      ['z1'],
    );
    assert.equal(a.current.deployDuration.maxMs, 5 * MIN);
    assert.equal(a.current.timeToRestore.samples[0]?.durationMs, 0);
    assert.equal(a.current.leadTime.p50Ms, 0);
    for (const d of a.current.deploys) assert.ok(d.durationMs >= 0);
  });

  it('a deploy rolled back automatically AND followed by an incident counts once', () => {
    const records = [
      dep('w1', '2026-03-12T10:00:00Z', 10, 'rolled_back', {
        failureDetectedAt: '2026-03-12T10:05:00.000Z',
        restoredAt: '2026-03-12T10:10:00.000Z',
        rollback: { result: 'succeeded' },
        failureClass: 'VerifyFailed',
      }),
    ];
    const incidents: IncidentInput[] = [
      {
        id: 'inc1',
        level: 2,
        openedAt: '2026-03-12T10:06:00.000Z',
        resolvedAt: '2026-03-12T11:00:00.000Z',
        relatedDeployId: 'w1',
      },
    ];
    const c = analyzeDora(records, incidents, { now, period: 'week' }).current;
    assert.equal(c.changeFailureRate.numerator, 1);
    assert.equal(c.timeToRestore.count, 1); // one failure, one restore sample
    assert.equal(c.timeToRestore.samples[0]?.durationMs, 5 * MIN); // 10:05 → restoredAt 10:10
  });
});
