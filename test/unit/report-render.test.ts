/**
 * Report printers and infrastructure helpers: exact counter increases over resets, alert episodes,
 * cluster-state mapping, Markdown escaping and size on a 10,000-record ledger, HTML
 * self-containment, JSON stability, and that a generated ledger is deterministic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmtDuration, fmtPct } from '../../src/deploy/commands/report/format.js';
import {
  alertEpisodes,
  counterIncrease,
  infraFromClusterStatus,
  throughputFrom,
} from '../../src/deploy/commands/report/infra.js';
import { mdCell } from '../../src/deploy/commands/report/markdown.js';
import { renderReport } from '../../src/deploy/commands/report/print.js';
import { type DeploymentReport, readReportRecords, runReport } from '../../src/deploy/commands/report/run.js';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import { Ledger, MemoryLedgerDriver } from '../../src/deploy/ledger/index.js';
import { generateLedger, newestRecords } from '../support/ledger-fixtures.js';

async function reportFor(fixture: ReturnType<typeof generateLedger>, period: 'week' | 'month' = 'month') {
  const driver = new MemoryLedgerDriver();
  for (const r of [...fixture.records, ...fixture.incidents]) await driver.create(r);
  return runReport({ ledger: new Ledger(driver) }, { period, now: fixture.end, namespace: 'production' });
}

describe('infrastructure helpers', () => {
  it('counterIncrease: whole numbers across a reset, a series born inside the window counts from 0', () => {
    const start = 1000;
    const inc = counterIncrease(
      [
        // existed before the window: 10 → 14, reset to 2, → 5: 4 + 2 + 3 = 9
        {
          metric: { outcome: 'completed', pod: 'a' },
          values: [
            [1000, 10],
            [1060, 14],
            [1120, 2],
            [1180, 5],
          ],
        },
        // a new pod inside the window: first value 3 counts, then +1
        {
          metric: { outcome: 'completed', pod: 'b' },
          values: [
            [1120, 3],
            [1180, 4],
          ],
        },
        {
          metric: { outcome: 'failed', pod: 'a' },
          values: [
            [1000, 1],
            [1180, 1],
          ],
        },
      ],
      'outcome',
      start,
      60,
    );
    assert.deepEqual(inc, { completed: 13, failed: 0 });
  });

  it('throughputFrom: processed counts terminal outcomes; failure ratio over rendered jobs; N/A when none ran', () => {
    const t = throughputFrom({ completed: 8, failed: 2, retrying: 5, invalid: 1, dry_run: 4 }, 2);
    assert.equal(t.processed, 15);
    assert.equal(t.failureRatio, 0.2);
    assert.equal(t.perDay, 7.5);
    assert.equal(throughputFrom({ dry_run: 3 }, 1).failureRatio, null);
  });

  it('alertEpisodes: a gap longer than 1.5 steps starts a new episode', () => {
    const a = alertEpisodes(
      [
        {
          metric: { alertname: 'PreviewWorkerDown', severity: 'critical' },
          values: [
            [0, 1],
            [60, 1],
            [120, 1],
            [600, 1],
            [660, 1],
          ],
        },
        { metric: { alertname: 'QueueBacklog', severity: 'warning' }, values: [[300, 1]] },
      ],
      60,
    );
    assert.deepEqual(a, [
      { alertname: 'PreviewWorkerDown', severity: 'critical', episodes: 2, firingSeconds: 180 },
      { alertname: 'QueueBacklog', severity: 'warning', episodes: 1, firingSeconds: 0 },
    ]);
  });

  it('infraFromClusterStatus: restarts, OOM kills, busiest pod against its limit, queue counts, says its source', () => {
    const pod = (name: string, restarts: number, reason?: string) => ({
      name,
      restarts,
      health: { restarts, ...(reason ? { lastTermination: { container: 'w', reason } } : {}) },
    });
    const status = {
      namespace: 'production',
      generatedAt: '2026-03-15T00:00:00.000Z',
      pods: [pod('a', 3, 'OOMKilled'), pod('b', 1, 'Error'), pod('c', 0)],
      resources: {
        available: true,
        pods: [
          {
            pod: 'a',
            cpu: { usage: 0.5, limit: 1, pctOfLimit: 50 },
            memory: { usage: 300, limit: 1000, pctOfLimit: 30 },
          },
          {
            pod: 'b',
            cpu: { usage: 0.9, limit: 1, pctOfLimit: 90 },
            memory: { usage: 800, limit: 1000, pctOfLimit: 80 },
          },
        ],
      },
      queue: { available: true, completed: 90, failed: 10, byState: {} },
      notes: [],
    } as unknown as StatusResult;
    const infra = infraFromClusterStatus(status);
    assert.equal(infra.source, 'cluster');
    assert.equal(infra.restarts.value, 4);
    assert.equal(infra.oomKills.value, 1);
    assert.deepEqual([infra.cpu.peak, infra.cpu.pctOfLimit], [0.9, 90]);
    assert.deepEqual([infra.memory.peak, infra.memory.limit], [800, 1000]);
    assert.equal(infra.jobs.failureRatio, 0.1);
    assert.equal(infra.alerts.available, false);
    assert.equal(infra.window, null);
  });
});

describe('report printers', () => {
  it('formats missing values as N/A and durations readably', () => {
    assert.equal(fmtDuration(null), 'N/A');
    assert.equal(fmtDuration(45_000), '45s');
    assert.equal(fmtDuration(462_000), '7m 42s');
    assert.equal(fmtDuration(24 * 3_600_000), '24h');
    assert.equal(fmtDuration(3 * 86_400_000 + 3_600_000), '3d 01h');
    assert.equal(fmtPct(null), 'N/A');
    assert.equal(fmtPct(4 / 7), '57.1%');
  });

  it('escapes table cells so a cause or reason cannot break the Markdown table', () => {
    assert.equal(mdCell('a|b\nc <script>'), 'a\\|b c \\<script\\>');
  });

  it('a 10,000-record ledger gives a Markdown report under 1 MiB and HTML with nothing external', async () => {
    const fixture = newestRecords(generateLedger({ seed: 3, days: 365, deploysPerDay: 30 }), 10_000);
    assert.equal(fixture.records.length + fixture.incidents.length, 10_000);
    const report = await reportFor(fixture);
    assert.ok(report.current.deployments.completed > 500);
    const md = renderReport(report, 'md');
    assert.ok(Buffer.byteLength(md) < 1024 * 1024, `markdown is ${Buffer.byteLength(md)} bytes`);
    assert.ok(!md.includes('<') && !/NaN|undefined/.test(md));
    assert.match(md, /…and \d+ more \(`--format json` lists all\)\./);
    const html = renderReport(report, 'html');
    assert.ok(
      !/<script|<link|<img|@import|url\((?!#)/.test(html),
      'no script, stylesheet, image or external url()',
    );
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.ok(!/NaN|undefined/.test(html));
  });

  it('JSON is stable: the same input renders byte-identical output, and parses back to the report', async () => {
    const a = await reportFor(generateLedger({ seed: 5, days: 70 }), 'week');
    const b = await reportFor(generateLedger({ seed: 5, days: 70 }), 'week');
    const ja = renderReport(a, 'json');
    assert.equal(ja, renderReport(b, 'json'));
    const parsed = JSON.parse(ja) as DeploymentReport;
    assert.equal(parsed.schema, 'mobius-deploy/report@1');
    assert.deepEqual(Object.keys(parsed).sort(), [
      'clockSkew',
      'current',
      'drills',
      'failureWindowMs',
      'generatedAt',
      'infrastructure',
      'infrastructureNote',
      'kind',
      'ledger',
      'now',
      'period',
      'previous',
      'schema',
      'scope',
      'thresholds',
    ]);
  });

  it('warns when retention pruned the history the previous period needs', async () => {
    // 4 days of ~20 deploys a day: far more than --history-max 50, none before the previous week.
    const pruned = newestRecords(generateLedger({ seed: 9, days: 4, deploysPerDay: 20 }), 60);
    const report = await reportFor(pruned, 'week');
    assert.match(
      report.ledger.coverageNote ?? '',
      /retention \(--history-max, default 50\) has probably pruned/,
    );
    assert.match(
      renderReport(report, 'md'),
      /- incomplete history: the ledger's oldest deploy record starts/,
    );
    const full = await reportFor(generateLedger({ seed: 9, days: 30 }), 'week');
    assert.equal(full.ledger.coverageNote, undefined);
  });

  it('reads incidents through the incidents module: a malformed incident is a problem, not a crash', async () => {
    const driver = new MemoryLedgerDriver();
    driver.putRaw(
      'incident',
      'broken',
      JSON.stringify({
        schemaVersion: 1,
        id: 'broken',
        kind: 'incident',
        namespace: 'production',
        startedAt: '2026-03-10T00:00:00Z',
      }),
    );
    const { incidents, problems } = await readReportRecords(new Ledger(driver), { namespace: 'production' });
    assert.equal(incidents.length, 0);
    assert.equal(problems.length, 1);
  });
});
