/**
 * Fault tests: the worker runs as a child process (src/worker/main.ts, the container's entry)
 * against a private redis-server (own port, AOF on), and we break things:
 * Redis restarted mid-run, a worker SIGKILLed mid-job, SIGTERM during a job, Redis down for /readyz.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { waitFor } from '../support/queue-harness.js';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field and asserted on
type Json = any;

const TOKEN = 'fault-test-token-0123456789';

interface Ctx {
  redis: PrivateRedis;
  dataDir: string;
  workers: WorkerProcess[];
}

async function setup(): Promise<Ctx> {
  const redis = await startPrivateRedis();
  const dataDir = await mkdtemp(join(tmpdir(), 'mobius-faults-'));
  return { redis, dataDir, workers: [] };
}

async function teardown(ctx: Ctx): Promise<void> {
  await Promise.all(ctx.workers.map((w) => w.stop()));
  await ctx.redis.destroy();
  await rm(ctx.dataDir, { recursive: true, force: true });
}

function spawnWorker(ctx: Ctx, env: Record<string, string> = {}): WorkerProcess {
  const w = startWorkerProcess({
    REDIS_URL: ctx.redis.url,
    DATA_DIR: ctx.dataDir,
    PREVIEW_API_TOKEN: TOKEN,
    PREVIEW_STALLED_INTERVAL_MS: '500',
    PREVIEW_LOCK_DURATION_MS: '2000',
    PREVIEW_BACKOFF_DELAY_MS: '200',
    REDIS_STARTUP_TIMEOUT_SECONDS: '10',
    LOG_LEVEL: 'info',
    ...env,
  });
  ctx.workers.push(w);
  return w;
}

function payload(steps: number, resolution = '320x180', extra: Record<string, unknown> = {}) {
  return {
    jobId: `fault-${randomUUID()}`,
    projectId: 'faults',
    previewRequest: {
      title: 'Fault test',
      steps: Array.from({ length: steps }, (_, i) => ({
        title: `Step ${i + 1}`,
        text: `Body text ${i + 1}`,
      })),
      options: { resolution },
    },
    ...extra,
  };
}

async function api(
  url: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url + path, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body };
}

async function submit(url: string, p: ReturnType<typeof payload>): Promise<void> {
  const res = await api(url, '/v1/previews', { method: 'POST', body: JSON.stringify(p) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

/** Polls every 100 ms (the workers are separate processes; no need to poll faster). */
function poll<T>(check: () => Promise<T> | T, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  return waitFor(check, timeoutMs, what, 100);
}

/** Every file in container.json exists with the listed size and sha256. */
function assertCompleteArtifacts(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'container.json'), 'utf8')) as {
    files: { path: string; bytes: number; sha256: string }[];
  };
  const files = Array.isArray(manifest) ? manifest : manifest.files;
  assert.ok(files.length > 0);
  for (const f of files) {
    const full = join(dir, f.path);
    assert.equal(statSync(full).size, f.bytes, f.path);
    assert.equal(createHash('sha256').update(readFileSync(full)).digest('hex'), f.sha256, f.path);
  }
  return files.map((f) => f.path);
}

function completionLines(workers: WorkerProcess[], jobId: string): Record<string, unknown>[] {
  return workers.flatMap((w) => w.logs.filter((l) => l.jobId === jobId && l.outcome === 'completed'));
}

/** Completions that actually rendered (not a repeat that found the finished directory). */
function renderLines(workers: WorkerProcess[], jobId: string): Record<string, unknown>[] {
  return completionLines(workers, jobId).filter((l) => l.alreadyExisted === false);
}

/**
 * `lines()` once the first such line has arrived and a little longer: a running worker writes its
 * log lines up to 50 ms late (src/worker/log-destination.ts), so a job's state in Redis can be
 * "completed" before its log line is out.
 */
async function settled(lines: () => Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  await poll(() => lines().length > 0, 10_000, 'the log line');
  await new Promise((r) => setTimeout(r, 250));
  return lines();
}

describe('faults (worker child processes, private redis-server)', { timeout: 240_000 }, () => {
  let ctx: Ctx;
  before(async () => {
    ctx = await setup();
  });
  after(async () => {
    await teardown(ctx);
  });
  // Each test starts clean: no worker of an earlier test left running, no jobs left in Redis.
  afterEach(async () => {
    await Promise.all(ctx.workers.map((w) => w.stop()));
    ctx.workers = [];
    await ctx.redis.start();
    const client = new Redis(ctx.redis.url, { maxRetriesPerRequest: 1 });
    await client.flushall();
    client.disconnect();
  });

  it('Redis restarted while jobs are queued and running: nothing lost, everything completes', async () => {
    const w = spawnWorker(ctx, { PREVIEW_WORKER_CONCURRENCY: '2' });
    const url = await w.ready();
    const jobs = Array.from({ length: 8 }, () => payload(16, '1280x720'));
    for (const p of jobs) await submit(url, p);
    // Restart as soon as something runs, with jobs still waiting.
    await poll(
      async () => (await api(url, '/v1/queue')).body?.counts?.active > 0,
      30_000,
      'a job to be running',
    );
    await ctx.redis.stop();
    const doneBeforeRestart = jobs.filter((p) => completionLines([w], p.jobId).length > 0).length;
    assert.ok(doneBeforeRestart < jobs.length, 'Redis must go away while jobs are still pending');
    await new Promise((r) => setTimeout(r, 1500));
    await ctx.redis.start();
    for (const p of jobs) {
      await poll(
        async () => (await api(url, `/v1/previews/${p.jobId}`)).body?.state === 'completed',
        90_000,
        `job ${p.jobId} to complete after the Redis restart`,
      );
      assertCompleteArtifacts(join(ctx.dataDir, 'previews', p.projectId, p.jobId));
    }
    // The worker saw the outage, and every job was rendered exactly once. A job whose completion
    // could not be recorded while Redis was away is run again after stalled recovery; the renderer
    // then finds its finished directory and renders nothing (alreadyExisted).
    assert.ok(w.logs.some((l) => l.msg === 'redis connection error'));
    for (const p of jobs) {
      const rendered = await settled(() => renderLines([w], p.jobId));
      assert.equal(rendered.length, 1, `job ${p.jobId} was rendered more than once`);
    }
    const overview = (await api(url, '/v1/queue')).body;
    assert.equal(overview.counts.failed, 0);
    assert.equal(overview.redis.aofEnabled, true);
    w.kill('SIGTERM');
    assert.equal((await w.exited).code, 0);
  });

  it('a worker SIGKILLed mid-job: a second worker recovers the stalled job and it completes exactly once', async () => {
    const a = spawnWorker(ctx, { PREVIEW_WORKER_CONCURRENCY: '1' });
    const urlA = await a.ready();
    const p = payload(60, '1920x1080');
    await submit(urlA, p);
    await poll(
      async () => {
        const s = (await api(urlA, `/v1/previews/${p.jobId}`)).body;
        return s?.state === 'running' && s.progress > 0 && s.progress < 100;
      },
      60_000,
      'the job to be part-way rendered',
    );
    a.kill('SIGKILL');
    assert.equal((await a.exited).signal, 'SIGKILL');
    const dir = join(ctx.dataDir, 'previews', p.projectId, p.jobId);
    assert.equal(existsSync(dir), false, 'a half-rendered job must not leave a final directory');

    const b = spawnWorker(ctx, { PREVIEW_WORKER_CONCURRENCY: '1' });
    const urlB = await b.ready();
    const stalledLine = await b.waitForLog(
      (l) => String(l.msg).includes('stalled') && l.jobId === p.jobId,
      30_000,
      'stalled recovery',
    );
    assert.equal(stalledLine.projectId, p.projectId);
    assert.equal(typeof stalledLine.attempt, 'number');
    const status = await poll(
      async () => {
        const s = (await api(urlB, `/v1/previews/${p.jobId}`)).body;
        return s?.state === 'completed' ? s : null;
      },
      120_000,
      'the recovered job to complete',
    );
    assert.equal(status.progress, 100);
    const completions = await settled(() => completionLines([a, b], p.jobId));
    assert.equal(completions.length, 1, 'the job completed more than once');
    const files = assertCompleteArtifacts(dir);
    assert.equal(files.filter((f) => f.startsWith('frames/')).length, 60);
    // One final directory for the job (the killed worker's `.tmp-` directory may remain beside it).
    assert.deepEqual(
      readdirSync(join(ctx.dataDir, 'previews', p.projectId)).filter(
        (n) => n.includes(p.jobId) && !n.startsWith('.tmp-'),
      ),
      [p.jobId],
    );
    const metrics = await (await fetch(`${urlB}/metrics`)).text();
    assert.match(metrics, /^preview_worker_stalled_jobs_total [1-9]/m);
    b.kill('SIGTERM');
    assert.equal((await b.exited).code, 0);
  });

  it('SIGTERM drains the active job, /readyz answers 503 at once, the process exits 0', async () => {
    const w = spawnWorker(ctx, { PREVIEW_WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_SECONDS: '120' });
    const url = await w.ready();
    assert.equal((await api(url, '/readyz')).status, 200);
    const p = payload(80, '1280x720');
    await submit(url, p);
    await poll(
      async () => {
        const s = (await api(url, `/v1/previews/${p.jobId}`)).body;
        return s?.state === 'running' && s.progress < 50;
      },
      60_000,
      'the job to be running',
    );
    w.kill('SIGTERM');
    await w.waitForLog((l) => String(l.msg).startsWith('shutdown started'), 10_000, 'shutdown start');
    const ready = await api(url, '/readyz');
    assert.equal(ready.status, 503);
    const refused = await api(url, '/v1/previews', { method: 'POST', body: JSON.stringify(payload(1)) });
    assert.equal(refused.status, 503);
    const exit = await w.exited;
    assert.equal(exit.code, 0, w.stderr());
    const done = w.logs.find((l) => l.msg === 'shutdown complete');
    assert.equal(done?.drained, true);
    assert.equal(completionLines([w], p.jobId).length, 1, 'the active job finished before the exit');
    assertCompleteArtifacts(join(ctx.dataDir, 'previews', p.projectId, p.jobId));
  });

  it('a second signal during the drain forces an immediate exit (code 1)', async () => {
    const w = spawnWorker(ctx, { PREVIEW_WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_SECONDS: '300' });
    const url = await w.ready();
    const p = payload(100, '1920x1080');
    await submit(url, p);
    await poll(
      async () => (await api(url, `/v1/previews/${p.jobId}`)).body?.state === 'running',
      60_000,
      'the job to be running',
    );
    w.kill('SIGTERM');
    await w.waitForLog((l) => String(l.msg).startsWith('shutdown started'), 10_000, 'shutdown start');
    w.kill('SIGINT');
    const exit = await w.exited;
    assert.equal(exit.code, 1);
    assert.ok(w.logs.some((l) => String(l.msg).startsWith('second signal')));
    assert.equal(completionLines([w], p.jobId).length, 0, 'the forced exit did not wait for the job');
  });

  it('/readyz turns 503 when Redis stops and 200 when it returns; /livez stays 200', async () => {
    const w = spawnWorker(ctx);
    const url = await w.ready();
    assert.equal((await api(url, '/readyz')).status, 200);
    await ctx.redis.stop();
    const down = await poll(
      async () => {
        const r = await api(url, '/readyz');
        return r.status === 503 ? r : null;
      },
      15_000,
      '/readyz 503',
    );
    assert.ok(
      (down.body.reasons as string[]).some((r) => /redis/i.test(r)),
      JSON.stringify(down.body),
    );
    assert.equal((await api(url, '/livez')).status, 200);
    await ctx.redis.start();
    await poll(async () => (await api(url, '/readyz')).status === 200, 30_000, '/readyz 200 again');
    w.kill('SIGTERM');
    assert.equal((await w.exited).code, 0);
  });

  it('a full queue answers 429 with Retry-After', async () => {
    const w = spawnWorker(ctx, { PREVIEW_QUEUE_MAX: '2', PREVIEW_WORKER_CONCURRENCY: '1' });
    const url = await w.ready();
    // Big jobs so the backlog stays full while we submit.
    const jobs = Array.from({ length: 3 }, () => payload(30, '1280x720'));
    await submit(url, jobs[0]!);
    await submit(url, jobs[1]!);
    const res = await fetch(`${url}/v1/previews`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(jobs[2]),
    });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    w.kill('SIGKILL');
    await w.exited;
  });

  it('refuses to start in production when Redis may evict keys, saying how to fix it', async () => {
    const evicting = await startPrivateRedis({ extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const w = startWorkerProcess({
        REDIS_URL: evicting.url,
        DATA_DIR: ctx.dataDir,
        NODE_ENV: 'production',
        PREVIEW_API_TOKEN: TOKEN,
      });
      ctx.workers.push(w);
      const exit = await w.exited;
      assert.equal(exit.code, 1);
      assert.match(w.stderr(), /maxmemory-policy is "allkeys-lru"/);
      assert.match(w.stderr(), /CONFIG SET maxmemory-policy noeviction/);
      // Outside production it starts with a loud warning instead.
      const dev = startWorkerProcess({ REDIS_URL: evicting.url, DATA_DIR: ctx.dataDir });
      ctx.workers.push(dev);
      await dev.ready();
      const warning = await dev.waitForLog((l) => String(l.msg).startsWith('REDIS SAFETY WARNING'), 5000);
      assert.equal(warning.level, 'warn');
      dev.kill('SIGTERM');
      assert.equal((await dev.exited).code, 0);
    } finally {
      await evicting.destroy();
    }
  });

  it('a bad configuration value stops the process with a message naming the variable', async () => {
    const w = startWorkerProcess({ REDIS_URL: ctx.redis.url, PREVIEW_WORKER_CONCURRENCY: 'lots' });
    ctx.workers.push(w);
    const exit = await w.exited;
    assert.equal(exit.code, 2);
    assert.match(
      w.stderr(),
      /PREVIEW_WORKER_CONCURRENCY="lots" is not valid: expected a whole number from 1 to 64/,
    );
    assert.doesNotMatch(w.stderr(), /at .*\.ts:\d+/, 'no stack trace for a configuration error');
  });
});
