import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { JOB_OUTCOMES } from '../../src/contract/metrics.js';
import type { PreviewPayload } from '../../src/contract/payload.js';
import { type RunningApp, startApp } from '../../src/worker/bootstrap.js';
import { loadConfig } from '../../src/worker/config.js';
import { createLogger } from '../../src/worker/logger.js';
import { QUEUE_STATES, readBuildInfo, WorkerMetrics } from '../../src/worker/metrics.js';
import { cached, JOB_NAME } from '../../src/worker/queue.js';
import { type Family, parsePrometheusText } from '../support/prom-parse.js';
import {
  assertRedisAvailable,
  fakeRender,
  samplePayload,
  TEST_REDIS_URL,
  waitFor,
} from '../support/queue-harness.js';

describe('metrics', () => {
  let app: RunningApp;
  let dataDir: string;
  let prefix: string;
  const jobIds: string[] = [];

  before(async () => {
    await assertRedisAvailable();
    dataDir = await mkdtemp(join(tmpdir(), 'mobius-metrics-'));
    prefix = `test-metrics-${randomUUID().slice(0, 8)}`;
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      PREVIEW_REDIS_PREFIX: prefix,
      PREVIEW_QUEUE_NAME: 'metrics-q',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      PREVIEW_BACKOFF_DELAY_MS: '10',
    });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    app = await startApp(config, { logger: createLogger({ destination: sink }), render: fakeRender() });
  });

  after(async () => {
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const q = new Queue('metrics-q', { connection: conn, prefix });
    await app.close('test done');
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    conn.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function scrape(): Promise<{ text: string; contentType: string; families: Map<string, Family> }> {
    const res = await fetch(`${app.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    return { text, contentType: res.headers.get('content-type') ?? '', families: parsePrometheusText(text) };
  }

  it('exposes the documented names, types and labels in text that parses strictly', async () => {
    const ok = samplePayload() as PreviewPayload;
    const dry = samplePayload({ dryRun: true }) as PreviewPayload;
    jobIds.push(ok.jobId, dry.jobId);
    await app.service.submit(ok);
    await app.service.submit(dry);
    const badId = `bad-${randomUUID()}`;
    jobIds.push(badId);
    // An invalid payload written straight to Redis, as a buggy producer would.
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const conn = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const q = new Queue('metrics-q', { connection: conn, prefix });
    await q.add(JOB_NAME, { jobId: badId, projectId: 'p' }, { jobId: badId, attempts: 3 });
    await q.close();
    conn.disconnect();
    for (const id of jobIds) {
      await waitFor(async () => {
        const s = await app.service.status(id);
        return s?.state === 'completed' || s?.state === 'failed';
      });
    }

    const { families, contentType } = await scrape();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);

    const jobs = families.get('preview_worker_jobs_total');
    assert.equal(jobs?.type, 'counter');
    const byOutcome = new Map(jobs!.samples.map((s) => [s.labels.outcome, s.value]));
    assert.deepEqual([...byOutcome.keys()].sort(), [...JOB_OUTCOMES].sort());
    assert.equal(byOutcome.get('completed'), 1);
    assert.equal(byOutcome.get('dry_run'), 1);
    assert.equal(byOutcome.get('invalid'), 1);
    for (const s of jobs!.samples) assert.deepEqual(Object.keys(s.labels), ['outcome']);

    const duration = families.get('preview_worker_job_duration_seconds');
    assert.equal(duration?.type, 'histogram');
    const les = new Set(duration!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le));
    for (const le of ['0.05', '1', '60', '+Inf']) assert.ok(les.has(le), `bucket le=${le} missing`);
    const completedCount = duration!.samples.find(
      (s) => s.name === 'preview_worker_job_duration_seconds_count' && s.labels.outcome === 'completed',
    );
    assert.equal(completedCount?.value, 1);

    const queueJobs = families.get('preview_worker_queue_jobs');
    assert.equal(queueJobs?.type, 'gauge');
    const byState = new Map(queueJobs!.samples.map((s) => [s.labels.state, s.value]));
    assert.deepEqual([...byState.keys()].sort(), [...QUEUE_STATES].sort());
    // Counts are cached up to ~1.5 s; wait for a scrape that sees the finished jobs.
    await waitFor(async () => {
      const f = (await scrape()).families.get('preview_worker_queue_jobs')!;
      const m = new Map(f.samples.map((s) => [s.labels.state, s.value]));
      return m.get('completed') === 2 && m.get('failed') === 1;
    });

    assert.equal(families.get('preview_worker_active_jobs')?.type, 'gauge');
    assert.equal(families.get('preview_worker_active_jobs')?.samples[0]?.value, 0);
    assert.equal(families.get('preview_worker_stalled_jobs_total')?.type, 'counter');

    const build = families.get('preview_worker_build_info');
    assert.equal(build?.type, 'gauge');
    assert.equal(build?.samples.length, 1);
    assert.deepEqual(Object.keys(build!.samples[0]!.labels).sort(), ['revision', 'version']);
    assert.equal(build!.samples[0]!.labels.version, readBuildInfo().version);
    assert.equal(build!.samples[0]!.value, 1);

    // Default process and Node.js metrics.
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(families.has(name), `${name} missing`);
    }
  });

  it('jobs recorded between scrapes all show in the next scrape; active jobs are counted live', async () => {
    const m = new WorkerMetrics({ defaultMetrics: false });
    m.recordJob('dry_run', 3);
    m.recordJob('dry_run', 7);
    m.recordJob('failed', 1500);
    m.jobStarted();
    m.jobStarted();
    m.jobEnded();
    const text = await m.render();
    assert.match(text, /^preview_worker_jobs_total\{outcome="dry_run"\} 2$/m);
    assert.match(text, /^preview_worker_jobs_total\{outcome="failed"\} 1$/m);
    assert.match(text, /^preview_worker_job_duration_seconds_count\{outcome="dry_run"\} 2$/m);
    assert.match(text, /^preview_worker_job_duration_seconds_sum\{outcome="dry_run"\} 0\.01$/m);
    assert.match(text, /^preview_worker_job_duration_seconds_bucket\{le="1",outcome="failed"\} 0$/m);
    assert.match(text, /^preview_worker_job_duration_seconds_bucket\{le="2",outcome="failed"\} 1$/m);
    assert.match(text, /^preview_worker_active_jobs 1$/m);
    // Counted once: a second scrape shows the same totals.
    assert.match(await m.render(), /^preview_worker_jobs_total\{outcome="dry_run"\} 2$/m);
    assert.equal((await m.jobsTotal.get()).values.find((v) => v.labels.outcome === 'failed')?.value, 1);
  });

  it('never uses a job id as a label value', async () => {
    const { families } = await scrape();
    for (const f of families.values()) {
      for (const s of f.samples) {
        for (const v of Object.values(s.labels))
          assert.ok(!jobIds.includes(v), `${f.name} carries job id ${v}`);
      }
    }
  });

  it('build_info revision comes from GIT_COMMIT, else "unknown"', () => {
    assert.equal(readBuildInfo({ GIT_COMMIT: 'abc1234' }).revision, 'abc1234');
    assert.equal(readBuildInfo({}).revision, 'unknown');
    assert.equal(readBuildInfo({}).version, '0.1.0');
  });

  it("build_info version is the image's VERSION (PREVIEW_WORKER_VERSION) when set, else package.json's", () => {
    assert.equal(readBuildInfo({ PREVIEW_WORKER_VERSION: '1.4.2', GIT_COMMIT: 'abc' }).version, '1.4.2');
    assert.equal(readBuildInfo({ PREVIEW_WORKER_VERSION: '1.4.2', GIT_COMMIT: 'abc' }).revision, 'abc');
    assert.equal(readBuildInfo({ PREVIEW_WORKER_VERSION: ' ' }).version, '0.1.0');
  });

  it('queue counts are cached: a scrape storm makes one Redis read per cache period', async () => {
    let reads = 0;
    let now = 0;
    const read = cached(
      async () => {
        reads += 1;
        await new Promise((r) => setTimeout(r, 5));
        return reads;
      },
      1500,
      () => now,
    );
    const results = await Promise.all(Array.from({ length: 50 }, () => read()));
    assert.equal(reads, 1);
    assert.ok(results.every((r) => r === 1));
    now = 1000;
    await read();
    assert.equal(reads, 1);
    now = 1600;
    assert.equal(await read(), 2);
  });

  it('the strict parser rejects malformed exposition text', () => {
    assert.throws(() => parsePrometheusText('# TYPE a counter\na{x="1} 1\n'));
    assert.throws(() => parsePrometheusText('b 1\n'), /undeclared/);
    assert.throws(() => parsePrometheusText('# TYPE a counter\na one\n'), /bad value/);
  });
});
