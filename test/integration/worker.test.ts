/**
 * The assembled worker in-process (startApp) against a private redis-server: a real render end to
 * end through HTTP, every connection closed on shutdown, forced shutdown when a job overruns
 * SHUTDOWN_TIMEOUT_SECONDS, startup failures, and the Redis safety/persistence readers.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startApp } from '../../src/worker/bootstrap.js';
import { loadConfig, type WorkerConfig } from '../../src/worker/config.js';
import { createLogger } from '../../src/worker/logger.js';
import {
  checkRedisSafety,
  RedisSafetyError,
  readMaxmemoryPolicy,
  readPersistence,
} from '../../src/worker/redis.js';
import type { RenderPreview } from '../../src/worker/render/types.js';
import { samplePayload, waitFor } from '../support/queue-harness.js';
import { freePort, type PrivateRedis, startPrivateRedis } from '../support/redis-server.js';

function capture() {
  const chunks: string[] = [];
  return {
    logger: createLogger({
      level: 'debug',
      destination: new Writable({
        write(c, _e, cb) {
          chunks.push(String(c));
          cb();
        },
      }),
    }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function clientCount(url: string): Promise<number> {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  const list = (await c.client('LIST')) as string;
  c.disconnect();
  return list.split('\n').filter((l) => l.trim()).length;
}

describe('worker app (in-process, private redis-server)', { timeout: 120_000 }, () => {
  let redis: PrivateRedis;
  let dataDir: string;
  let config: WorkerConfig;

  before(async () => {
    redis = await startPrivateRedis();
    dataDir = await mkdtemp(join(tmpdir(), 'mobius-worker-'));
    config = loadConfig({
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      PREVIEW_API_TOKEN: 'worker-test-token-0123456789',
      PREVIEW_BACKOFF_DELAY_MS: '60000',
    });
  });
  after(async () => {
    await redis.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('renders the bundled sample end to end over HTTP and closes every connection on shutdown', async () => {
    const before = await clientCount(redis.url);
    const log = capture();
    const app = await startApp(config, { logger: log.logger });
    try {
      assert.ok((await clientCount(redis.url)) > before, 'the app holds Redis connections while running');
      const sample = JSON.parse(
        readFileSync(new URL('../../examples/sample-preview.json', import.meta.url), 'utf8'),
      );
      const headers = { authorization: `Bearer ${config.apiToken}`, 'content-type': 'application/json' };
      const res = await fetch(`${app.url}/v1/previews`, {
        method: 'POST',
        headers,
        body: JSON.stringify(sample),
      });
      assert.equal(res.status, 202);
      const status = await waitFor(async () => {
        const r = await fetch(`${app.url}/v1/previews/${sample.jobId}`, { headers });
        const s = (await r.json()) as {
          state: string;
          artifacts: { path: string; bytes: number; sha256: string }[];
        };
        return s.state === 'completed' ? s : null;
      }, 60_000);
      const dir = join(dataDir, 'previews', sample.projectId, sample.jobId);
      assert.ok(status.artifacts.some((a) => a.path === 'contact-sheet.png'));
      for (const a of status.artifacts) {
        const bytes = readFileSync(join(dir, a.path));
        assert.equal(bytes.length, a.bytes);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), a.sha256);
      }
      const completed = log.lines().find((l) => l.jobId === sample.jobId && l.outcome === 'completed');
      assert.equal(completed?.projectId, sample.projectId);
      assert.equal(completed?.attempt, 1);
      assert.equal(typeof completed?.durationMs, 'number');
      const text = JSON.stringify(log.lines());
      assert.ok(!text.includes(config.apiToken!), 'the API token leaked into a log line');
      assert.ok(!text.includes(sample.previewRequest.steps[0].text), 'payload text leaked into a log line');
    } finally {
      await app.close('test');
    }
    assert.equal(app.isShuttingDown(), true);
    await waitFor(async () => (await clientCount(redis.url)) === before, 5000, 'every connection to close');
    assert.ok(log.lines().some((l) => l.msg === 'shutdown complete' && l.drained === true));
  });

  it('readiness is false from the moment close() begins', async () => {
    const app = await startApp(config, { logger: capture().logger });
    assert.deepEqual(await app.service.readiness(), { ready: true, reasons: [] });
    const closing = app.close('test');
    assert.equal(app.isShuttingDown(), true);
    assert.ok((await app.service.readiness()).reasons.includes('shutting down'));
    await closing;
  });

  it('a job that overruns SHUTDOWN_TIMEOUT_SECONDS has its render aborted; it is retried later, not lost', async () => {
    const log = capture();
    let started = false;
    const stuckRender: RenderPreview = (_payload, opts) =>
      new Promise((_resolve, reject) => {
        started = true;
        opts.signal?.addEventListener('abort', () =>
          reject(new Error('render aborted: worker shutting down')),
        );
      });
    const app = await startApp(
      { ...config, shutdownTimeoutMs: 1000 },
      { logger: log.logger, render: stuckRender },
    );
    const payload = samplePayload();
    await app.service.submit(payload as never);
    await waitFor(() => started, 10_000, 'the render to start');
    await app.close('test');
    assert.ok(log.lines().some((l) => String(l.msg).includes('aborting their renders')));
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const q = new Queue(config.queueName, { connection: conn, prefix: config.redisPrefix });
    try {
      const job = await q.getJob(payload.jobId);
      assert.ok(job);
      assert.equal(await job.getState(), 'delayed', 'the aborted attempt waits for its retry');
      assert.equal(job.attemptsMade, 1);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
      conn.disconnect();
    }
  });

  it('startup fails with a clear message, password hidden, when Redis cannot be reached', async () => {
    const port = await freePort();
    const bad = { ...config, redisUrl: `redis://:hunter2@127.0.0.1:${port}`, redisStartupTimeoutMs: 800 };
    await assert.rejects(
      () => startApp(bad, { logger: capture().logger }),
      (err: Error) => {
        assert.match(err.message, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
        assert.match(err.message, /Check REDIS_URL/);
        assert.ok(!err.message.includes('hunter2'));
        return true;
      },
    );
  });

  it('maxmemory-policy: read with CONFIG GET, or INFO memory where CONFIG is disabled', async () => {
    const noConfig = await startPrivateRedis({
      extraArgs: ['--rename-command', 'CONFIG', '""', '--maxmemory-policy', 'volatile-lru'],
    });
    const c = new Redis(noConfig.url, { maxRetriesPerRequest: 1 });
    try {
      await assert.rejects(() => c.call('CONFIG', 'GET', 'maxmemory-policy'));
      assert.equal(await readMaxmemoryPolicy(c), 'volatile-lru');
      const log = capture();
      const res = await checkRedisSafety(c, { production: false, logger: log.logger });
      assert.deepEqual(res, { maxmemoryPolicy: 'volatile-lru', safe: false });
      const warning = log.lines().find((l) => l.level === 'warn');
      assert.match(String(warning?.msg), /REDIS SAFETY WARNING: .*"volatile-lru"/);
      await assert.rejects(
        () => checkRedisSafety(c, { production: true, logger: log.logger }),
        (err: Error) =>
          err instanceof RedisSafetyError && /CONFIG SET maxmemory-policy noeviction/.test(err.message),
      );
    } finally {
      c.disconnect();
      await noConfig.destroy();
    }
  });

  it('readPersistence shows no RDB save for a Redis that never saved (its start time is not a save)', async () => {
    const fresh = await startPrivateRedis({ extraArgs: ['--appendonly', 'no', '--save', ''] });
    const c = new Redis(fresh.url, { maxRetriesPerRequest: 1 });
    try {
      const p = await readPersistence(c);
      assert.equal(p.aofEnabled, false);
      assert.equal(p.lastRdbSaveAt, null);
      await c.save();
      const after = await readPersistence(c);
      assert.ok(after.lastRdbSaveAt && Math.abs(Date.parse(after.lastRdbSaveAt) - Date.now()) < 120_000);
    } finally {
      c.disconnect();
      await fresh.destroy();
    }
  });

  it('readPersistence reports AOF and the last successful RDB save', async () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await c.save();
      const p = await readPersistence(c);
      assert.equal(p.aofEnabled, true);
      assert.equal(p.lastRdbSaveStatus, 'ok');
      assert.ok(p.lastRdbSaveAt && Math.abs(Date.parse(p.lastRdbSaveAt) - Date.now()) < 120_000);
      assert.equal(p.maxmemoryPolicy, 'noeviction');
    } finally {
      c.disconnect();
    }
  });
});
