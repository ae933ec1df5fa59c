/**
 * The hand-computed DORA fixture (test/fixtures/ledger/basic-week, report time 2026-03-15T00:00Z)
 * shared by dora.test.ts and dora-fourkeys.test.ts: its deploy records and the incidents derived
 * from its incident records, asserting the fixture reads without problems.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FileLedgerDriver } from '../../src/deploy/ledger/file-driver.js';
import { type DeploymentRecord, isDeploymentRecord } from '../../src/deploy/ledger/record.js';
import type { IncidentInput } from '../../src/deploy/metrics/dora.js';
import { incidentInputFromRecord } from '../../src/deploy/metrics/incident-input.js';

const DORA_FIXTURE = fileURLToPath(new URL('../fixtures/ledger/basic-week', import.meta.url));
export const DORA_FIXTURE_NOW = new Date('2026-03-15T00:00:00.000Z');

export async function loadDoraFixture(): Promise<{
  records: DeploymentRecord[];
  incidents: IncidentInput[];
}> {
  const { records, problems } = await new FileLedgerDriver(DORA_FIXTURE).list();
  assert.deepEqual(problems, []);
  const all = records.map((s) => s.record);
  return {
    records: all.filter(isDeploymentRecord),
    incidents: all.map(incidentInputFromRecord).filter((i): i is IncidentInput => i !== undefined),
  };
}
