/**
 * One small ledger per definition of docs/FOUR_KEYS_COMPARISON.md (and the header of
 * metrics/dora.ts) where another reading was possible, so that changing either the code or the docs
 * fails a test: where the restore clock starts, which deploy an incident is attributed to (the
 * version that was live), and what a report as of `--at` sees (only what had happened by then).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeploymentRecord } from '../../src/deploy/ledger/record.js';
import { analyzeDora, type DoraAnalysis, type IncidentInput } from '../../src/deploy/metrics/dora.js';

const MIN = 60_000;
const NOW = new Date('2026-03-15T00:00:00.000Z');

function change(
  kind: 'deploy' | 'rollback',
  id: string,
  start: string,
  end: string | undefined,
  result: string,
  extra: Record<string, unknown> = {},
): DeploymentRecord {
  return {
    schemaVersion: 1,
    id,
    kind,
    namespace: 'production',
    deployment: 'preview-worker',
    actor: 'a',
    phases: {},
    startedAt: new Date(start).toISOString(),
    ...(end ? { finishedAt: new Date(end).toISOString() } : {}),
    result,
    ...extra,
  } as DeploymentRecord;
}
const deploy = (id: string, start: string, end: string | undefined, result: string, extra = {}) =>
  change('deploy', id, start, end, result, extra);

function incident(id: string, opened: string, resolved?: string, extra: Partial<IncidentInput> = {}) {
  return {
    id,
    level: 2,
    openedAt: new Date(opened).toISOString(),
    ...(resolved ? { resolvedAt: new Date(resolved).toISOString() } : {}),
    namespace: 'production',
    ...extra,
  } as IncidentInput;
}

const reasonsOf = (a: DoraAnalysis) =>
  a.current.failedChanges.map((f) => [f.deployId, f.reasons.map((r) => r.type).join('+')]);
const samplesOf = (a: DoraAnalysis) =>
  a.current.timeToRestore.samples.map((s) => [s.failureId, s.durationMs, s.via]);
/** The figures of both periods, without the data-quality list. */
const figures = (a: DoraAnalysis) => ({ current: a.current, previous: a.previous });

describe('DORA definitions (docs/FOUR_KEYS_COMPARISON.md)', () => {
  it('time to restore starts at the earliest detection: an incident opened before the rollout noticed counts', () => {
    // The deploy's verification detected the failure at 10:10 and rolled back at 10:12, but a person
    // had opened an incident about it at 10:02: users were affected from 10:02, restored at 10:12.
    const records = [
      deploy('d1', '2026-03-12T10:00:00Z', '2026-03-12T10:12:00Z', 'rolled_back', {
        failureDetectedAt: '2026-03-12T10:10:00.000Z',
        restoredAt: '2026-03-12T10:12:00.000Z',
        rollback: { result: 'succeeded' },
      }),
    ];
    const incidents = [
      incident('i1', '2026-03-12T10:02:00Z', '2026-03-12T10:30:00Z', { relatedDeployId: 'd1' }),
    ];
    const a = analyzeDora(records, incidents, { now: NOW, period: 'week' });
    assert.deepEqual(samplesOf(a), [['d1', 10 * MIN, 'automatic_rollback']]);
    assert.equal(a.current.timeToRestore.samples[0]?.detectedAt, '2026-03-12T10:02:00.000Z');
  });

  it('an incident after a manual rollback is attributed to the version the rollback restored', () => {
    // a went live 09:05, b 12:05; a manual rollback took b back at 13:02; the 15:00 incident
    // happened while a was live (within 24 h of a going live), so it is a's failure, not b's.
    const records = [
      deploy('a', '2026-03-12T09:00:00Z', '2026-03-12T09:05:00Z', 'succeeded'),
      deploy('b', '2026-03-12T12:00:00Z', '2026-03-12T12:05:00Z', 'succeeded'),
      change('rollback', 'rb', '2026-03-12T13:00:00Z', '2026-03-12T13:02:00Z', 'succeeded', {
        reason: 'errors up',
      }),
    ];
    const incidents = [incident('i1', '2026-03-12T15:00:00Z', '2026-03-12T15:30:00Z')];
    const a = analyzeDora(records, incidents, { now: NOW, period: 'week' });
    assert.deepEqual(reasonsOf(a), [
      ['a', 'incident'],
      ['b', 'manual_rollback'],
    ]);
    // b's restore is the manual rollback (13:00 → 13:02); a's is the incident's resolution.
    assert.deepEqual(samplesOf(a), [
      ['b', 2 * MIN, 'manual_rollback'],
      ['a', 30 * MIN, 'incident_resolved'],
    ]);
  });

  it('a failed manual rollback leaves the deploy live: the retry rolls back the same deploy, not the one before', () => {
    const records = [
      deploy('a', '2026-03-12T09:00:00Z', '2026-03-12T09:05:00Z', 'succeeded'),
      deploy('b', '2026-03-12T12:00:00Z', '2026-03-12T12:05:00Z', 'succeeded'),
      change('rollback', 'rb1', '2026-03-12T13:00:00Z', '2026-03-12T13:03:00Z', 'failed'),
      change('rollback', 'rb2', '2026-03-12T13:10:00Z', '2026-03-12T13:12:00Z', 'succeeded'),
    ];
    const a = analyzeDora(records, [], { now: NOW, period: 'week' });
    assert.deepEqual(reasonsOf(a), [['b', 'manual_rollback+manual_rollback']]);
    // From the first attempt (13:00) to the successful one's finish (13:12).
    assert.deepEqual(samplesOf(a), [['b', 12 * MIN, 'manual_rollback']]);
    assert.equal(a.current.changeFailureRate.value, 0.5);
  });

  it('an incident during a rollout is attributed to the version that was live, not the one rolling out', () => {
    // b started 12:00 and went live at 12:20; at 12:10 a (live since 09:05) was serving.
    const records = [
      deploy('a', '2026-03-12T09:00:00Z', '2026-03-12T09:05:00Z', 'succeeded'),
      deploy('b', '2026-03-12T12:00:00Z', '2026-03-12T12:20:00Z', 'succeeded'),
    ];
    const incidents = [incident('i1', '2026-03-12T12:10:00Z', '2026-03-12T12:40:00Z')];
    const a = analyzeDora(records, incidents, { now: NOW, period: 'week' });
    assert.deepEqual(reasonsOf(a), [['a', 'incident']]);
    assert.deepEqual(samplesOf(a), [['a', 30 * MIN, 'incident_resolved']]);
  });

  it('as of --at: a resolution, a restore or a finish after --at has not happened yet', () => {
    const at = new Date('2026-03-14T00:00:00.000Z');
    // Resolved 02:00, after --at: unresolved as of --at (not 6 h, not clamped to 4 h).
    const incidents = [incident('i1', '2026-03-13T20:00:00Z', '2026-03-14T02:00:00Z')];
    const records = [
      // Finished after --at: still in progress as of --at.
      deploy('d1', '2026-03-13T23:50:00Z', '2026-03-14T00:10:00Z', 'succeeded'),
      // Rolled back automatically, restored after --at (clock skew): unrestored as of --at.
      deploy('d2', '2026-03-13T12:00:00Z', '2026-03-13T12:10:00Z', 'rolled_back', {
        failureDetectedAt: '2026-03-13T12:05:00.000Z',
        restoredAt: '2026-03-14T01:00:00.000Z',
        rollback: { result: 'succeeded' },
      }),
    ];
    const a = analyzeDora(records, incidents, { now: at, period: 'week' });
    assert.deepEqual(samplesOf(a), []);
    assert.deepEqual(
      a.current.timeToRestore.unrestored.map((u) => u.failureId),
      ['d2', 'i1'],
    );
    assert.equal(a.current.incidents.resolved, 0);
    assert.deepEqual(
      a.current.deployments.inProgress.map((d) => d.id),
      ['d1'],
    );
    assert.equal(a.current.deployments.completed, 1); // d2
    // The same figures as the ledger as it stood at --at (i1 open, d1 in progress, d2 not restored).
    const asItStood = analyzeDora(
      [
        deploy('d1', '2026-03-13T23:50:00Z', undefined, 'in_progress'),
        deploy('d2', '2026-03-13T12:00:00Z', '2026-03-13T12:10:00Z', 'rolled_back', {
          failureDetectedAt: '2026-03-13T12:05:00.000Z',
          rollback: { result: 'succeeded' },
        }),
      ],
      [incident('i1', '2026-03-13T20:00:00Z')],
      { now: at, period: 'week' },
    );
    assert.deepEqual(figures(a), figures(asItStood));
  });

  it('as of --at: a deploy, rollback or incident that starts after --at is left out, also as a fix forward', () => {
    const at = new Date('2026-03-14T00:00:00.000Z');
    const records = [
      deploy('a', '2026-03-13T09:00:00Z', '2026-03-13T09:05:00Z', 'succeeded'),
      deploy('c', '2026-03-13T22:00:00Z', '2026-03-13T22:10:00Z', 'failed', {
        failureDetectedAt: '2026-03-13T22:05:00.000Z',
      }),
      // After --at: the fix forward, a manual rollback, an incident.
      deploy('d', '2026-03-14T01:00:00Z', '2026-03-14T01:05:00Z', 'succeeded'),
      change('rollback', 'rb', '2026-03-14T03:00:00Z', '2026-03-14T03:02:00Z', 'succeeded'),
    ];
    const incidents = [incident('i9', '2026-03-14T04:00:00Z', '2026-03-14T05:00:00Z')];
    const a = analyzeDora(records, incidents, { now: at, period: 'week' });
    assert.deepEqual(reasonsOf(a), [['c', 'failed']]);
    assert.deepEqual(samplesOf(a), []);
    assert.deepEqual(
      a.current.timeToRestore.unrestored.map((u) => u.failureId),
      ['c'],
    );
    assert.deepEqual(figures(a), figures(analyzeDora(records.slice(0, 2), [], { now: at, period: 'week' })));
  });

  it('the failure window still bounds attribution to the live version (went live over 24 h before: standalone)', () => {
    const records = [
      deploy('a', '2026-03-10T09:00:00Z', '2026-03-10T09:05:00Z', 'succeeded'),
      deploy('b', '2026-03-12T12:00:00Z', '2026-03-12T12:05:00Z', 'succeeded'),
      change('rollback', 'rb', '2026-03-12T13:00:00Z', '2026-03-12T13:02:00Z', 'succeeded'),
    ];
    // a is live again after 13:02, but it went live on 03-10: over 24 h before the incident.
    const incidents = [incident('i1', '2026-03-12T15:00:00Z', '2026-03-12T15:30:00Z')];
    const a = analyzeDora(records, incidents, { now: NOW, period: 'week' });
    assert.deepEqual(reasonsOf(a), [['b', 'manual_rollback']]);
    assert.deepEqual(samplesOf(a), [
      ['b', 2 * MIN, 'manual_rollback'],
      ['i1', 30 * MIN, 'incident_resolved'],
    ]);
    assert.equal(a.current.changeFailureRate.value, 0.5);
  });
});
