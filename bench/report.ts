/**
 * bench:report: report generation over a 10,000-record ledger (deterministic, generated), per
 * format, against a baseline measured in the same run: JSON.parse of the same records (the least
 * any report must do to read them). Target (issue 6): the whole report under 1 second.
 *
 *   npm run bench:report              # 10,000 records, 7 rounds
 *   npm run bench:report -- 20000 5   # records, rounds
 *
 * Stages: "analysis" = analyzeDora on parsed records; "read+analysis" = runReport over the
 * in-memory ledger driver (JSON parse + zod validation of every record, incident parsing, both
 * periods); then each printer on the result; "end to end" = read+analysis+all three formats.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { renderReport } from '../src/deploy/commands/report/print.js';
import { runReport } from '../src/deploy/commands/report/run.js';
import { Ledger, MemoryLedgerDriver } from '../src/deploy/ledger/index.js';
import { analyzeDora } from '../src/deploy/metrics/dora.js';
import { incidentInputFromRecord } from '../src/deploy/metrics/incident-input.js';
import { generateLedger, newestRecords } from '../test/support/ledger-fixtures.js';

const TOTAL = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 7);

async function main(): Promise<void> {
  // A year of busy deploys, trimmed to the newest TOTAL records (so the periods are full).
  const fixture = newestRecords(
    generateLedger({ seed: 2026, days: 365, deploysPerDay: Math.max(1, (TOTAL / 365) * 1.1) }),
    TOTAL,
  );
  const all = [...fixture.records, ...fixture.incidents];
  const driver = new MemoryLedgerDriver();
  for (const r of all) await driver.create(r);
  const ledger = new Ledger(driver);
  const texts = all.map((r) => JSON.stringify(r));
  const incidents = fixture.incidents.map((i) => incidentInputFromRecord(i)).filter((i) => i !== undefined);
  const input = { period: 'month' as const, now: fixture.end, namespace: 'production' };

  const stages: Record<string, number[]> = {};
  const record = (name: string, ms: number) => {
    stages[name] = [...(stages[name] ?? []), ms];
  };
  const time = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    record(name, performance.now() - t0);
    return out;
  };
  const sizes: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    await time('baseline: JSON.parse of the records', () => texts.map((t) => JSON.parse(t)));
    await time('analysis (analyzeDora, both periods)', () =>
      analyzeDora(fixture.records, incidents, { now: fixture.end, period: 'month' }),
    );
    const t0 = performance.now();
    const report = await time('read+analysis (runReport, memory ledger)', () => runReport({ ledger }, input));
    for (const format of ['md', 'html', 'json'] as const) {
      const text = await time(`render ${format}`, () => renderReport(report, format));
      sizes[format] = Buffer.byteLength(text);
    }
    record('end to end (read+analysis+md+html+json)', performance.now() - t0);
  }

  const stat = (xs: number[]) => {
    const s = xs.slice().sort((a, b) => a - b);
    return { best: s[0] as number, median: s[Math.floor(s.length / 2)] as number };
  };
  const base = stat(stages['baseline: JSON.parse of the records'] as number[]).median;
  console.log(
    `bench:report: ${all.length} records (${fixture.records.length} deploy/rollback, ${fixture.incidents.length} incidents), ${ROUNDS} rounds; ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`output sizes: md ${sizes.md} B, html ${sizes.html} B, json ${sizes.json} B`);
  const rows = Object.entries(stages).map(([name, xs]) => {
    const { best, median } = stat(xs);
    return [name, best.toFixed(1), median.toFixed(1), (median / base).toFixed(1)];
  });
  const header = ['stage', 'best ms', 'median ms', 'x baseline'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const e2e = stat(stages['end to end (read+analysis+md+html+json)'] as number[]).median;
  console.log(
    `target: end to end under 1000 ms: ${e2e < 1000 ? 'met' : 'NOT met'} (median ${e2e.toFixed(0)} ms)`,
  );
}

await main();
