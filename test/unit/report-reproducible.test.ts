/**
 * A report as of a past --at is reproducible (docs/FOUR_KEYS_COMPARISON.md, "As of --at"): the
 * whole `report --at T` command, in process, gives byte-identical JSON when run a day and forty days
 * after T (the clock mocked as well as injected, so a stray Date.now() would show), over a ledger
 * that holds records after T; and its figures equal those of the ledger as it stood at T.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/deploy/cli/main.js';
import { BufferStream } from '../../src/deploy/output/io.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ledger/basic-week', import.meta.url));
/** Mid-fixture: c6 failed at 09:00 (its fix forward c7 is the next day), i3 opens at 20:00. */
const AT = '2026-03-13T12:00:00.000Z';
const DAY = 86_400_000;

const base = {
  schemaVersion: 1,
  namespace: 'production',
  environment: 'production',
  deployment: 'preview-worker',
  actor: 'a',
  phases: {},
};
/** Records that straddle AT: finished, restored or resolved after it. */
const straddling = {
  // Started before AT, finished after it: in progress as of AT.
  'deploy.s2.json': {
    ...base,
    id: 's2',
    kind: 'deploy',
    startedAt: '2026-03-13T11:58:00.000Z',
    finishedAt: '2026-03-13T12:04:00.000Z',
    result: 'succeeded',
  },
  // Opened before AT, resolved after it: open as of AT.
  'incident.i4.json': {
    ...base,
    id: 'i4',
    kind: 'incident',
    startedAt: '2026-03-13T10:00:00.000Z',
    openedAt: '2026-03-13T10:00:00.000Z',
    updatedAt: '2026-03-13T14:00:00.000Z',
    resolvedAt: '2026-03-13T14:00:00.000Z',
    status: 'resolved',
    level: 1,
    summary: 'thumbnails slow',
    cause: 'cache cold',
    openedBy: 'oncall@example',
    timeline: [],
  },
  // A drill running at AT.
  'drill.dr1.json': {
    ...base,
    id: 'dr1',
    kind: 'drill',
    startedAt: '2026-03-13T11:55:00.000Z',
    finishedAt: '2026-03-13T12:05:00.000Z',
    durationMs: 600_000,
    result: 'succeeded',
  },
};
/** The same records as they stood at AT. */
const asTheyStood = {
  'deploy.s2.json': { ...straddling['deploy.s2.json'], finishedAt: undefined, result: 'in_progress' },
  'incident.i4.json': {
    ...straddling['incident.i4.json'],
    updatedAt: '2026-03-13T10:00:00.000Z',
    resolvedAt: undefined,
    status: 'open',
    cause: undefined,
  },
  'drill.dr1.json': { ...straddling['drill.dr1.json'], finishedAt: undefined, result: 'in_progress' },
};
/** The fixture's records that start after AT. */
const LATER = ['deploy.c7.json', 'deploy.c8.json', 'deploy.f1.json', 'incident.i3.json'];

async function writeRecords(dir: string, records: Record<string, object>) {
  for (const [name, record] of Object.entries(records))
    await writeFile(join(dir, name), JSON.stringify({ version: 1, record }));
}

/** `report --at AT --format json` in process, with the clock (injected and global) at `clock`. */
async function reportAt(dir: string, clock: number): Promise<string> {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  mock.timers.enable({ apis: ['Date'], now: clock });
  try {
    const code = await main(
      ['report', '-n', 'production', '--ledger-dir', dir, '--at', AT, '--format', 'json'],
      { io: { stdout, stderr, env: {} }, now: () => clock },
    );
    assert.equal(code, 0, stderr.text);
  } finally {
    mock.timers.reset();
  }
  return stdout.text;
}

describe('report --at is reproducible', () => {
  let grown: string;
  let stood: string;
  let before7: string;
  before(async () => {
    // The grown ledger without the records that start after AT: what a later run must not see.
    before7 = await mkdtemp(join(tmpdir(), 'report-at-before-'));
    await cp(FIXTURE, before7, { recursive: true });
    for (const name of LATER) await rm(join(before7, name));
    await writeRecords(before7, straddling);
    grown = await mkdtemp(join(tmpdir(), 'report-at-grown-'));
    stood = await mkdtemp(join(tmpdir(), 'report-at-stood-'));
    await cp(FIXTURE, grown, { recursive: true });
    await writeRecords(grown, straddling);
    await cp(FIXTURE, stood, { recursive: true });
    for (const name of LATER) await rm(join(stood, name));
    await writeRecords(stood, asTheyStood);
  });
  after(async () => {
    await rm(grown, { recursive: true, force: true });
    await rm(stood, { recursive: true, force: true });
    await rm(before7, { recursive: true, force: true });
  });

  it('the same ledger and --at give the same report a day and forty days later', async () => {
    const at = Date.parse(AT);
    const soon = await reportAt(grown, at + DAY);
    const later = await reportAt(grown, at + 40 * DAY);
    assert.equal(later, soon);
  });

  it('records that start after --at change nothing in it: not the figures, data quality or counts', async () => {
    const at = Date.parse(AT);
    const withLater = JSON.parse(await reportAt(grown, at + DAY));
    const without = JSON.parse(await reportAt(before7, at + DAY));
    assert.deepEqual(withLater, without);
    assert.equal(
      JSON.stringify(withLater).includes('c7'),
      false,
      'a deploy that starts after --at is named nowhere in the report',
    );
  });

  it('its figures are those of the ledger as it stood at --at', async () => {
    const at = Date.parse(AT);
    const grownReport = JSON.parse(await reportAt(grown, at + DAY));
    const stoodReport = JSON.parse(await reportAt(stood, at));
    for (const key of ['current', 'previous', 'drills'])
      assert.deepEqual(grownReport[key], stoodReport[key], key);
    const c = grownReport.current;
    // c6 failed at 09:00; its fix forward c7 (03-14) is after --at: unrestored as of it.
    assert.deepEqual(
      c.timeToRestore.unrestored.map((u: { failureId: string }) => u.failureId),
      ['c6', 'i4'],
    );
    assert.deepEqual(
      c.deployments.inProgress.map((d: { id: string }) => d.id),
      ['s2'],
    );
    assert.equal(c.incidents.opened, 3); // i1, i2, i4 (i3 opens after --at)
    assert.equal(grownReport.drills.count, 0);
  });
});
