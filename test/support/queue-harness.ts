/**
 * In-process queue harness for integration tests: a unique prefix and queue per test on the shared
 * Redis (127.0.0.1:6379 or TEST_REDIS_URL), the real queue/processor/worker/service code, a fake
 * renderer the test controls, and cleanup that removes every key and closes every connection.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { PreviewPayload, PreviewPayloadInput } from '../../src/contract/payload.js';
import { loadConfig, type WorkerConfig } from '../../src/worker/config.js';
import { createLogger, type Logger } from '../../src/worker/logger.js';
import { WorkerMetrics } from '../../src/worker/metrics.js';
import { createProcessor } from '../../src/worker/processor.js';
import { createPreviewQueue } from '../../src/worker/queue.js';
import { RedisConnections } from '../../src/worker/redis.js';
import type { RenderPreview, RenderResult } from '../../src/worker/render/types.js';
import { BullPreviewService } from '../../src/worker/service.js';
import { createPreviewWorker, type PreviewWorker } from '../../src/worker/worker.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Throws a clear message when the shared test Redis does not answer. */
export async function assertRedisAvailable(url = TEST_REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `these tests need Redis at ${url} (start redis-server, or set TEST_REDIS_URL): ${(err as Error).message}`,
    );
  } finally {
    client.disconnect();
  }
}

export function samplePayload(overrides: Partial<PreviewPayloadInput> = {}): PreviewPayloadInput {
  return {
    jobId: `job-${randomUUID()}`,
    projectId: 'proj-test',
    previewRequest: {
      title: 'Test preview',
      steps: [
        { title: 'One', text: 'first' },
        { title: 'Two', text: 'second' },
      ],
    },
    ...overrides,
  };
}

/** A renderer that writes a tiny artifact dir and container.json, like the real one, fast. */
export function fakeRender(
  hooks: { before?: (payload: PreviewPayload) => Promise<void> | void } = {},
): RenderPreview & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (payload: PreviewPayload, opts: Parameters<RenderPreview>[1]): Promise<RenderResult> => {
    calls.push(payload.jobId);
    await hooks.before?.(payload);
    const dir = join(opts.dataDir, 'previews', payload.projectId, payload.jobId);
    const total = payload.previewRequest.steps.length;
    for (let i = 1; i <= total; i++) await opts.onProgress?.(i, total);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'preview.json'), JSON.stringify({ title: payload.previewRequest.title }));
    const files = [{ path: 'preview.json', bytes: 10, sha256: 'a'.repeat(64) }];
    await writeFile(join(dir, 'container.json'), JSON.stringify({ files }));
    return {
      dir,
      files,
      frames: total,
      alreadyExisted: false,
      timings: { rasterMs: 1, encodeMs: 1, videoMs: 0, writeMs: 1, totalMs: 3 },
    };
  };
  return Object.assign(fn, { calls });
}

export interface Harness {
  config: WorkerConfig;
  connections: RedisConnections;
  queue: ReturnType<typeof createPreviewQueue>;
  service: BullPreviewService;
  metrics: WorkerMetrics;
  logger: Logger;
  logLines: () => Record<string, unknown>[];
  dataDir: string;
  startWorker(render: RenderPreview, overrides?: Partial<WorkerConfig>): Promise<PreviewWorker>;
  cleanup(): Promise<void>;
}

export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const id = randomUUID().slice(0, 8);
  const dataDir = await mkdtemp(join(tmpdir(), 'mobius-test-'));
  const config = loadConfig({
    REDIS_URL: TEST_REDIS_URL,
    PREVIEW_QUEUE_NAME: `test-q-${id}`,
    PREVIEW_REDIS_PREFIX: `test-${id}`,
    DATA_DIR: dataDir,
    PREVIEW_BACKOFF_DELAY_MS: '20',
    PREVIEW_STALLED_INTERVAL_MS: '1000',
    PREVIEW_LOCK_DURATION_MS: '3000',
    LOG_LEVEL: 'debug',
    ...env,
  });
  const chunks: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _e, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }),
  });
  const connections = new RedisConnections(config.redisUrl, logger);
  const producer = connections.producer('api');
  const queue = createPreviewQueue(producer, config);
  await queue.waitUntilReady();
  const metrics = new WorkerMetrics({ defaultMetrics: false });
  const workers: PreviewWorker[] = [];
  const service = new BullPreviewService({
    config,
    queue,
    redis: producer,
    workerRunning: () => workers.some((w) => w.isRunning()),
    cacheMs: 0,
  });
  metrics.setQueueCountsSource(service.counts);
  return {
    config,
    connections,
    queue,
    service,
    metrics,
    logger,
    dataDir,
    logLines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async startWorker(render, overrides = {}) {
      const cfg = { ...config, ...overrides };
      const worker = createPreviewWorker({
        config: cfg,
        connection: connections.worker(`worker-${workers.length}`),
        processor: createProcessor({ dataDir, logger, metrics, render }),
        metrics,
        logger,
        name: `test-worker-${workers.length}`,
      });
      workers.push(worker);
      void worker.run().catch(() => undefined);
      await worker.waitUntilReady();
      return worker;
    },
    async cleanup() {
      await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close().catch(() => undefined);
      await connections.closeAll();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls every intervalMs until check() returns a truthy value (or throws after timeoutMs with the
 * last error check() threw).
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15000,
  what = 'condition',
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
