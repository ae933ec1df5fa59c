import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type IncidentRecord,
  listIncidents,
  needsEscalation,
  newIncidentId,
  newIncidentRecord,
  timeToRestoreMs,
} from '../../src/deploy/incidents/record.js';
import { Ledger, MemoryLedgerDriver } from '../../src/deploy/ledger/index.js';

const T0 = Date.parse('2026-11-01T10:00:00.000Z');

function incident(at: number, overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    ...newIncidentRecord(
      { level: 1, summary: 'slow renders', openedBy: 'alice', namespace: 'production' },
      new Date(at),
    ),
    ...overrides,
  };
}

describe('incident records', () => {
  it('ids are short, sortable by time and valid ConfigMap name parts', () => {
    const id = newIncidentId(new Date(T0), () => 'ab12');
    assert.equal(id, 'inc-20261101-100000-ab12');
    assert.match(newIncidentId(new Date(T0)), /^inc-20261101-100000-[0-9a-z]{4}$/);
  });

  it('a new incident is open, with the opening note in its timeline', () => {
    const i = incident(T0);
    assert.equal(i.status, 'open');
    assert.equal(i.openedAt, '2026-11-01T10:00:00.000Z');
    assert.equal(i.startedAt, i.openedAt);
    assert.equal(i.timeline.length, 1);
    assert.match(i.timeline[0].text, /level 1 \(minor\): slow renders/);
    assert.equal(timeToRestoreMs(i), undefined);
  });

  it('time to restore is resolvedAt - openedAt', () => {
    const i = incident(T0, { status: 'resolved', resolvedAt: new Date(T0 + 90_000).toISOString() });
    assert.equal(timeToRestoreMs(i), 90_000);
  });

  it('level 1 escalates only after 30 minutes open, never when resolved or at other levels', () => {
    const i = incident(T0);
    assert.equal(needsEscalation(i, T0 + 30 * 60_000), false);
    assert.equal(needsEscalation(i, T0 + 30 * 60_000 + 1), true);
    assert.equal(needsEscalation({ ...i, level: 2 }, T0 + 3_600_000), false);
    assert.equal(
      needsEscalation({ ...i, status: 'resolved', resolvedAt: new Date(T0).toISOString() }, T0 + 3_600_000),
      false,
    );
  });

  it('listIncidents filters by opening time and skips malformed incidents with a problem', async () => {
    const driver = new MemoryLedgerDriver();
    const ledger = new Ledger(driver);
    await ledger.create(incident(T0, { id: 'inc-a' }));
    await ledger.create(incident(T0 + 86_400_000, { id: 'inc-b' }));
    await ledger.create(incident(T0 + 2 * 86_400_000, { id: 'inc-c', status: 'resolved' }));
    driver.putRaw(
      'incident',
      'inc-bad',
      JSON.stringify({
        schemaVersion: 1,
        id: 'inc-bad',
        kind: 'incident',
        namespace: 'p',
        startedAt: '2026-11-01T00:00:00Z',
      }),
    );
    const problems: string[] = [];
    const all = await listIncidents(ledger, { onProblem: (p) => problems.push(p.location) });
    assert.deepEqual(
      all.map((i) => i.id),
      ['inc-c', 'inc-b', 'inc-a'],
    );
    assert.deepEqual(problems, ['incident/inc-bad']);
    const window = await listIncidents(driver, {
      since: new Date(T0 + 1),
      until: new Date(T0 + 2 * 86_400_000),
    });
    assert.deepEqual(
      window.map((i) => i.id),
      ['inc-b'],
    );
    const open = await listIncidents(ledger, { openOnly: true });
    assert.deepEqual(
      open.map((i) => i.id),
      ['inc-b', 'inc-a'],
    );
  });
});
