/** The report's rollback drills section (commands/report/drills.ts): count, last drill, overdue. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DRILL_OVERDUE_MS, summarizeDrills } from '../../src/deploy/commands/report/drills.js';
import type { DeploymentRecord } from '../../src/deploy/ledger/index.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-12-01T00:00:00Z');

function drill(id: string, daysAgo: number, result: 'succeeded' | 'failed'): DeploymentRecord {
  const startedAt = new Date(NOW - daysAgo * DAY).toISOString();
  return {
    schemaVersion: 1,
    id,
    kind: 'drill',
    namespace: 'production',
    deployment: 'preview-worker',
    actor: 'ops',
    startedAt,
    phases: {},
    result,
    durationMs: 9000,
    ...(result === 'failed' ? { failureMessage: 'rollback leg: CrashLoopBackOff' } : {}),
    drill: {
      fromImage: 'img:2',
      rollback: { toRevision: 1, image: 'img:1', result, durationMs: 4000 },
      rollForward: { toRevision: 2, image: 'img:2', result: 'succeeded', durationMs: 5000 },
    },
  } as DeploymentRecord;
}

describe('report: rollback drills', () => {
  const month = { start: NOW - 30 * DAY, end: NOW };

  it('counts the period, names the last drill with its leg durations, and is not overdue', () => {
    const s = summarizeDrills(
      [drill('d1', 40, 'succeeded'), drill('d2', 3, 'failed'), drill('d3', 10, 'succeeded')],
      month,
      NOW,
    );
    assert.deepEqual([s.count, s.passed, s.failed, s.overdue], [2, 1, 1, false]);
    assert.deepEqual(
      s.items.map((d) => d.id),
      ['d2', 'd3'],
    );
    assert.deepEqual(
      [s.last?.id, s.last?.result, s.last?.rollbackMs, s.last?.rollForwardMs, s.last?.targetImage],
      ['d2', 'failed', 4000, 5000, 'img:1'],
    );
  });

  it('is overdue with no drill, or when the last one is older than 35 days', () => {
    assert.equal(summarizeDrills([], month, NOW).overdue, true);
    const old = summarizeDrills([drill('d1', DRILL_OVERDUE_MS / DAY + 1, 'succeeded')], month, NOW);
    assert.deepEqual([old.count, old.last?.id, old.overdue], [0, 'd1', true]);
  });
});
