/**
 * The monthly report's infrastructure health from a REAL Prometheus (Debian's /usr/bin/prometheus)
 * scraping a REAL worker (startApp on a unique queue against Redis 127.0.0.1:6379, real renderer):
 * the worker runs real and dry-run jobs plus one invalid payload; Prometheus scrapes it every second;
 * a rule fires while the worker is up; the built CLI's report must show exactly those job counts and
 * the firing alert, say the source is Prometheus, and say "not available" for the kube-state-metrics
 * series that do not exist here.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { PreviewPayload } from '../../src/contract/payload.js';
import { PrometheusClient } from '../../src/deploy/metrics/prometheus-client.js';
import { type RunningApp, startApp } from '../../src/worker/bootstrap.js';
import { loadConfig } from '../../src/worker/config.js';
import { createLogger } from '../../src/worker/logger.js';
import { JOB_NAME } from '../../src/worker/queue.js';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { assertRedisAvailable, samplePayload, TEST_REDIS_URL, waitFor } from '../support/queue-harness.js';
import { requireTool } from '../support/tools.js';

const NAMESPACE = 'report-it';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

interface InfraJson {
  infrastructure: {
    source: string;
    sourceDetail: string;
    jobs: {
      available: boolean;
      byOutcome: Record<string, number>;
      processed: number;
      failureRatio: number | null;
      p50Seconds: number | null;
    };
    restarts: { value: number | null; note?: string };
    oomKills: { value: number | null; note?: string };
    memory: { peak: number | null; limit: number | null; note?: string };
    alerts: { available: boolean; firing: unknown[] };
  };
}

describe('report infrastructure health from a real Prometheus scraping a real worker', () => {
  let app: RunningApp;
  let prom: ChildProcess | undefined;
  let dir: string;
  let prefix: string;
  let queueName: string;
  let promUrl: string;
  const ran = { completed: 3, dry_run: 2, invalid: 1 };

  before(async () => {
    await assertRedisAvailable();
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'mobius-report-prom-'));
    prefix = `test-report-prom-${randomUUID().slice(0, 8)}`;
    queueName = `report-prom-${randomUUID().slice(0, 8)}`;
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      PREVIEW_REDIS_PREFIX: prefix,
      PREVIEW_QUEUE_NAME: queueName,
      DATA_DIR: join(dir, 'data'),
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    app = await startApp(config, { logger: createLogger({ destination: sink }) });

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = new URL(app.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${join(dir, 'rules.yml')}`,
        'scrape_configs:',
        '  - job_name: preview-worker',
        '    static_configs:',
        `      - targets: ["${target}"]`,
        '        labels:',
        `          namespace: ${NAMESPACE}`,
        '',
      ].join('\n'),
    );
    // One rule that fires while the worker is up, so ALERTS has a firing series to count.
    await writeFile(
      join(dir, 'rules.yml'),
      [
        'groups:',
        '  - name: report-test',
        '    rules:',
        '      - alert: PreviewWorkerUpForTest',
        '        expr: up{job="preview-worker"} == 1',
        '        labels:',
        '          severity: info',
        '',
      ].join('\n'),
    );
    prom = spawn(
      requireTool('prometheus'),
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    prom.stderr?.on('data', (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-4000);
    });
    const client = new PrometheusClient({ baseUrl: promUrl, timeoutMs: 2000 });
    // Up, and the worker target scraped with samples.
    await waitFor(
      async () => {
        if (prom?.exitCode !== null) throw new Error(`prometheus exited: ${promLog}`);
        const up = await client.query(`up{namespace="${NAMESPACE}"}`).catch(() => []);
        return up[0]?.value[1] === 1 ? true : undefined;
      },
      30_000,
      'Prometheus up and scraping the worker',
    );
  });

  after(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom?.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const q = new Queue(queueName, { connection: conn, prefix });
    await app?.close('test done');
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    conn.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('job throughput and failure ratio match what the worker did; missing series say "not available"', async () => {
    const small = { options: { resolution: '320x180', format: 'png' as const } };
    for (let i = 0; i < ran.completed; i++) {
      const p = samplePayload();
      await app.service.submit({ ...p, previewRequest: { ...p.previewRequest, ...small } } as PreviewPayload);
    }
    for (let i = 0; i < ran.dry_run; i++)
      await app.service.submit(samplePayload({ dryRun: true }) as PreviewPayload);
    // An invalid payload written straight to Redis, as a buggy producer would.
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const q = new Queue(queueName, { connection: conn, prefix });
    const badId = `bad-${randomUUID()}`;
    await q.add(JOB_NAME, { jobId: badId, projectId: 'p' }, { jobId: badId, attempts: 3 });
    await q.close();
    conn.disconnect();

    const client = new PrometheusClient({ baseUrl: promUrl });
    const total = ran.completed + ran.dry_run + ran.invalid;
    await waitFor(
      async () => {
        const s = await client.query(`sum(preview_worker_jobs_total{namespace="${NAMESPACE}"})`);
        return s[0]?.value[1] === total ? true : undefined;
      },
      60_000,
      `Prometheus to have scraped all ${total} jobs`,
    );
    await waitFor(
      async () => ((await client.query('ALERTS{alertstate="firing"}')).length > 0 ? true : undefined),
      30_000,
      'the test alert to fire',
    );

    const at = new Date().toISOString();
    const r = await runCli(
      [
        'report',
        '-n',
        NAMESPACE,
        '--ledger-dir',
        join(dir, 'ledger'),
        '--period',
        'month',
        '--prometheus-url',
        promUrl,
        '--at',
        at,
        '--format',
        'json',
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const infra = parseJsonOutput<InfraJson>(r).infrastructure;
    assert.equal(infra.source, 'prometheus');
    assert.match(infra.sourceDetail, new RegExp(`Prometheus ${promUrl.replace(/[.]/g, '\\.')}`));
    assert.equal(infra.jobs.available, true);
    assert.deepEqual(infra.jobs.byOutcome, { completed: 3, dry_run: 2, failed: 0, invalid: 1, retrying: 0 });
    assert.equal(infra.jobs.processed, 6);
    assert.equal(infra.jobs.failureRatio, 0);
    assert.ok((infra.jobs.p50Seconds ?? 0) > 0, 'a duration quantile from the histogram');
    assert.equal(infra.restarts.value, null);
    assert.match(infra.restarts.note ?? '', /not available: kube_pod_container_status_restarts_total/);
    assert.equal(infra.oomKills.value, null);
    assert.ok((infra.memory.peak ?? 0) > 10 * 2 ** 20, 'worker RSS from process_resident_memory_bytes');
    assert.equal(infra.memory.limit, null);
    // No cAdvisor here: the worker's own process metrics are used, and the note says so.
    assert.match(
      infra.memory.note ?? '',
      /peak of process_resident_memory_bytes over the period; limit not available/,
    );
    assert.equal(infra.alerts.available, true);
    assert.deepEqual(
      (infra.alerts.firing as Array<{ alertname: string; severity?: string; episodes: number }>).map((a) => [
        a.alertname,
        a.severity,
        a.episodes,
      ]),
      [['PreviewWorkerUpForTest', 'info', 1]],
    );

    const md = await runCli(
      ['report', '-n', NAMESPACE, '--ledger-dir', join(dir, 'ledger'), '--period', 'month'].concat([
        '--prometheus-url',
        promUrl,
        '--at',
        at,
      ]),
    );
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /Source: \*\*Prometheus\*\*/);
    assert.match(md.stdout, /\| Jobs processed \| 6 \(0\.2 per day\) \|/);
    assert.match(
      md.stdout,
      /\| Jobs by outcome \| completed 3, dry\\_run 2, failed 0, invalid 1, retrying 0 \|/,
    );
    assert.match(md.stdout, /\| PreviewWorkerUpForTest \| info \| 1 \|/);
  });

  it('an unreachable Prometheus exits 5 with a hint', async () => {
    const port = await freePort();
    const r = await runCli([
      'report',
      '-n',
      NAMESPACE,
      '--ledger-dir',
      join(dir, 'ledger'),
      '--period',
      'month',
      '--prometheus-url',
      `http://127.0.0.1:${port}`,
    ]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /Prometheus at http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    assert.match(r.stderr, /Hint: /);
  });
});
