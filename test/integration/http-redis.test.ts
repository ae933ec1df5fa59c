/**
 * The HTTP layer over the real BullMQ-backed PreviewService on real Redis (a unique queue and key
 * prefix per run, removed afterwards): auth, limits, validation, idempotent submit, backpressure,
 * artifact download and traversal, /v1/queue, /readyz during shutdown and with Redis down.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startApp } from '../../src/worker/bootstrap.js';
import { loadConfig } from '../../src/worker/config.js';
import { closeHttpServer, createHttpServer } from '../../src/worker/http/server.js';
import { send } from '../support/http-client.js';
import {
  assertRedisAvailable,
  createHarness,
  fakeRender,
  type Harness,
  samplePayload,
  waitFor,
} from '../support/queue-harness.js';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.js';

const TOKEN = 'integration-token-0123456789';

function serve(harness: Harness, opts: { token?: string; shuttingDown?: () => boolean } = {}) {
  const server = createHttpServer({
    service: harness.service,
    metrics: harness.metrics,
    logger: harness.logger,
    apiToken: opts.token,
    maxBodyBytes: 64 * 1024,
    isShuttingDown: opts.shuttingDown ?? (() => false),
  });
  return new Promise<{ server: Server; port: number }>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

describe('HTTP API over the BullMQ service (shared Redis)', () => {
  let harness: Harness;
  let server: Server;
  let port: number;
  let shuttingDown = false;
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, 'Content-Type': 'application/json' };

  before(async () => {
    await assertRedisAvailable();
    harness = await createHarness({ PREVIEW_QUEUE_MAX: '2' });
    ({ server, port } = await serve(harness, { token: TOKEN, shuttingDown: () => shuttingDown }));
  });

  after(async () => {
    await closeHttpServer(server, 500);
    await harness.cleanup();
  });

  test('401 without the bearer token, with WWW-Authenticate; probes stay open', async () => {
    const r = await send(port, { method: 'POST', path: '/v1/previews', body: '{}' });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer /);
    assert.equal(r.json().error, 'unauthorized');
    assert.equal(
      (await send(port, { path: '/v1/queue', headers: { Authorization: 'Bearer wrong' } })).status,
      401,
    );
    assert.equal((await send(port, { path: '/livez' })).status, 200);
    const counts = await harness.queue.getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
      'nothing was queued',
    );
  });

  test('413 for a body over the limit, nothing queued', async () => {
    const big = JSON.stringify({ ...samplePayload(), pad: 'x'.repeat(100 * 1024) });
    const r = await send(port, { method: 'POST', path: '/v1/previews', headers: json, body: big });
    assert.equal(r.status, 413);
    assert.equal(r.json().error, 'payload_too_large');
  });

  test('400 lists every problem with its path', async () => {
    const bad = {
      jobId: 'a/b',
      projectId: '..',
      dryRun: 'yes',
      priority: 'urgent',
      previewRequest: {
        title: 'x',
        steps: [{ title: '', text: 'y', assetId: 'missing' }],
        options: { format: 'gif' },
      },
    };
    const r = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(bad),
    });
    assert.equal(r.status, 400);
    const issues = r.json().details.issues as { path: string; message: string }[];
    const paths = issues.map((i) => i.path);
    for (const p of [
      'jobId',
      'projectId',
      'dryRun',
      'priority',
      'previewRequest.steps.0.title',
      'previewRequest.options.format',
    ]) {
      assert.ok(paths.includes(p), `expected an issue for ${p}; got ${paths.join(', ')}`);
    }
    for (const i of issues) assert.ok(i.message.startsWith(`${i.path}:`), i.message);
  });

  test('202 then 200 for the same jobId; one job in the queue', async () => {
    const payload = samplePayload({ jobId: 'idem-job-1' });
    const first = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(payload),
    });
    assert.equal(first.status, 202);
    assert.deepEqual(first.json(), {
      jobId: 'idem-job-1',
      state: 'queued',
      created: true,
      statusUrl: '/v1/previews/idem-job-1',
    });
    const second = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(payload),
    });
    assert.equal(second.status, 200);
    assert.equal(second.json().state, 'queued');
    assert.equal(second.json().created, false);
    const status = await send(port, { path: '/v1/previews/idem-job-1', headers: auth });
    assert.equal(status.status, 200);
    assert.equal(status.json().state, 'queued');
    assert.equal(status.json().projectId, 'proj-test');
    assert.equal((await harness.queue.getJobs(['waiting', 'prioritized'])).length, 1);
  });

  test('429 with Retry-After once the backlog reaches PREVIEW_QUEUE_MAX (no worker running)', async () => {
    const second = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(samplePayload({ jobId: 'fill-2' })),
    });
    assert.equal(second.status, 202);
    const third = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(samplePayload({ jobId: 'over-3' })),
    });
    assert.equal(third.status, 429);
    const retryAfter = Number(third.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${third.headers['retry-after']}`);
    assert.equal(third.json().error, 'queue_full');
    assert.equal(third.json().details.max, 2);
    // an existing job is still answered (idempotent), even while full
    const again = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(samplePayload({ jobId: 'fill-2' })),
    });
    assert.equal(again.status, 200);
    assert.equal((await send(port, { path: '/v1/previews/over-3', headers: auth })).status, 404);
  });

  test('/v1/queue: counts, backlog, limit, workers and Redis persistence', async () => {
    const r = await send(port, { path: '/v1/queue', headers: auth });
    assert.equal(r.status, 200);
    const o = r.json();
    assert.equal(o.queue, harness.config.queueName);
    assert.equal(o.max, 2);
    assert.equal(o.backlog, 2);
    for (const k of ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused']) {
      assert.equal(typeof o.counts[k], 'number', k);
    }
    assert.ok(Array.isArray(o.workers));
    assert.equal(typeof o.redis.aofEnabled, 'boolean');
    assert.ok('lastRdbSaveAt' in o.redis);
    assert.ok('lastRdbSaveStatus' in o.redis);
    assert.equal(typeof o.redis.maxmemoryPolicy, 'string');
  });

  test('jobs complete once a worker runs; artifacts download, traversal does not', async () => {
    await harness.startWorker(fakeRender());
    const done = await waitFor(
      async () => {
        const r = await send(port, { path: '/v1/previews/idem-job-1', headers: auth });
        return r.json().state === 'completed' ? r.json() : null;
      },
      15_000,
      'idem-job-1 completed',
    );
    assert.equal(done.progress, 100);
    assert.deepEqual(
      done.artifacts.map((a: { path: string }) => a.path),
      ['preview.json'],
    );
    const file = await send(port, { path: '/v1/previews/idem-job-1/artifacts/preview.json', headers: auth });
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(Number(file.headers['content-length']), file.body.length);
    assert.deepEqual(JSON.parse(file.body.toString()), { title: 'Test preview' });

    // a file beside the job directory, one level up, which traversal would reach
    await writeFile(join(harness.dataDir, 'previews', 'proj-test', 'SECRET.txt'), 'NOT-FOR-CLIENTS');
    for (const [path, status] of [
      ['/v1/previews/idem-job-1/artifacts/../SECRET.txt', 400],
      ['/v1/previews/idem-job-1/artifacts/%2e%2e/SECRET.txt', 400],
      ['/v1/previews/idem-job-1/artifacts/%2E%2E%2FSECRET.txt', 400],
      ['/v1/previews/idem-job-1/artifacts/..%5cSECRET.txt', 400],
      ['/v1/previews/idem-job-1/artifacts/.', 400],
      ['/v1/previews/fill-2/artifacts/../idem-job-1/preview.json', 400],
      ['/v1/previews/idem-job-1/artifacts/nope.png', 404],
      ['/v1/previews/unknown-job/artifacts/preview.json', 404],
    ] as const) {
      const r = await send(port, { path, headers: auth });
      assert.equal(r.status, status, path);
      assert.ok(!r.body.toString().includes('NOT-FOR-CLIENTS'), path);
    }
  });

  test('/metrics serves Prometheus text with the documented names', async () => {
    const r = await send(port, { path: '/metrics' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    const text = r.body.toString();
    assert.match(text, /^# TYPE preview_worker_jobs_total counter$/m);
    assert.match(text, /^preview_worker_queue_jobs\{state="completed"\} \d+$/m);
  });

  test('/readyz is 200 with a running worker and 503 at once when shutdown begins', async () => {
    const ok = await send(port, { path: '/readyz' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { ready: true });
    shuttingDown = true;
    try {
      const down = await send(port, { path: '/readyz' });
      assert.equal(down.status, 503);
      assert.equal(down.json().ready, false);
      const submit = await send(port, {
        method: 'POST',
        path: '/v1/previews',
        headers: json,
        body: JSON.stringify(samplePayload()),
      });
      assert.equal(submit.status, 503);
      assert.equal(submit.json().error, 'shutting_down');
      assert.equal((await send(port, { path: '/livez' })).status, 200);
    } finally {
      shuttingDown = false;
    }
  });
});

describe('HTTP API while Redis is down (private redis-server)', () => {
  let redis: PrivateRedis;
  let harness: Harness;
  let server: Server;
  let port: number;

  before(async () => {
    redis = await startPrivateRedis();
    harness = await createHarness({ REDIS_URL: redis.url });
    ({ server, port } = await serve(harness));
  });

  after(async () => {
    await closeHttpServer(server, 500);
    await redis.start().catch(() => undefined);
    await harness.cleanup();
    await redis.destroy();
  });

  test('503 with a clear message while Redis is stopped, 202 again once it is back', async () => {
    const json = { 'Content-Type': 'application/json' };
    await redis.stop();
    const r = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: json,
      body: JSON.stringify(samplePayload({ jobId: 'while-down' })),
    });
    assert.equal(r.status, 503);
    assert.equal(r.json().error, 'redis_unavailable');
    assert.match(r.json().message, /Redis/);
    assert.ok(r.headers['retry-after']);
    const ready = await send(port, { path: '/readyz' });
    assert.equal(ready.status, 503);
    assert.equal(ready.json().ready, false);
    assert.ok(ready.json().reasons.length >= 1);
    assert.equal((await send(port, { path: '/livez' })).status, 200);

    await redis.start();
    const back = await waitFor(
      async () => {
        const again = await send(port, {
          method: 'POST',
          path: '/v1/previews',
          headers: json,
          body: JSON.stringify(samplePayload({ jobId: 'while-down' })),
        });
        return again.status === 202 ? again : null;
      },
      15_000,
      'submit accepted after Redis returned',
    );
    assert.equal(back.json().jobId, 'while-down');
  });
});

describe('HTTP API of a whole worker (startApp) during graceful shutdown', () => {
  test('/readyz answers 503 and submits 503 at once while an active job drains; the job still completes', async () => {
    await assertRedisAvailable();
    const id = randomUUID().slice(0, 8);
    const dataDir = await mkdtemp(join(tmpdir(), 'http-shutdown-'));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const renderStarted = new Promise<void>((r) => {
      started = r;
    });
    const render = fakeRender({
      before: async () => {
        started();
        await gate;
      },
    });
    const config = loadConfig({
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      PREVIEW_QUEUE_NAME: `http-shutdown-${id}`,
      PREVIEW_REDIS_PREFIX: `http-shutdown-${id}`,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_SECONDS: '20',
    });
    const app = await startApp(config, { render });
    const cleanupRedis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const headers = { 'Content-Type': 'application/json' };
      const submitted = await send(app.port, {
        method: 'POST',
        path: '/v1/previews',
        headers,
        body: JSON.stringify(samplePayload({ jobId: 'draining-1' })),
      });
      assert.equal(submitted.status, 202);
      await renderStarted;
      assert.equal((await send(app.port, { path: '/readyz' })).status, 200);

      const closing = app.close('test');
      const ready = await send(app.port, { path: '/readyz' });
      assert.equal(ready.status, 503);
      assert.equal(ready.json().ready, false);
      assert.equal(ready.headers.connection, 'close');
      const refused = await send(app.port, {
        method: 'POST',
        path: '/v1/previews',
        headers,
        body: JSON.stringify(samplePayload({ jobId: 'too-late' })),
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.json().error, 'shutting_down');
      assert.equal((await send(app.port, { path: '/livez' })).status, 200);

      release();
      await closing;
      // the app's connections are closed now; read the job's state with a connection of our own
      const queue = new Queue(config.queueName, { connection: cleanupRedis, prefix: config.redisPrefix });
      const state = await queue.getJobState('draining-1');
      await queue.close();
      assert.equal(state, 'completed');
      assert.deepEqual(render.calls, ['draining-1']);
    } finally {
      release();
      await app.close('cleanup');
      const keys = await cleanupRedis.keys(`http-shutdown-${id}:*`);
      if (keys.length) await cleanupRedis.del(...keys);
      cleanupRedis.disconnect();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
