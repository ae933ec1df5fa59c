/**
 * The worker process: wires configuration, logging, Redis, the BullMQ queue and worker, metrics
 * and the HTTP server, and shuts all of it down gracefully.
 *
 *   node dist/worker/main.js          (the container's command; config from the environment)
 *
 * Shutdown (SIGTERM / SIGINT, or close()): readiness turns false at once (/readyz 503), the BullMQ
 * worker stops taking jobs, active jobs get SHUTDOWN_TIMEOUT_SECONDS to finish (then their renders
 * are aborted; a job that still cannot finish is left to stalled-job recovery by another worker),
 * the HTTP server closes, every Redis connection closes, and the process exits 0.
 * A second signal forces an immediate exit (code 1).
 */
import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type WorkerConfig } from './config.js';
import { closeHttpServer, createHttpServer } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import { WorkerMetrics } from './metrics.js';
import { createProcessor } from './processor.js';
import { createPreviewQueue, type PreviewJob } from './queue.js';
import { checkRedisSafety, RedisConnections, waitForRedis } from './redis.js';
import { renderPreview } from './render/index.js';
import type { RenderPreview } from './render/types.js';
import { BullPreviewService } from './service.js';
import { createPreviewWorker, type PreviewWorker } from './worker.js';

export interface RunningApp {
  url: string;
  port: number;
  close(reason?: string): Promise<void>;
  /** For tests and benchmarks. */
  service: BullPreviewService;
  metrics: WorkerMetrics;
  worker: PreviewWorker;
  isShuttingDown(): boolean;
}

export interface StartOptions {
  logger?: Logger;
  /** Replace the renderer (tests, benchmarks). */
  render?: RenderPreview;
  /** Worker name shown in /v1/queue; default preview-worker:<host>:<pid>. */
  workerName?: string;
}

/** After the drain timeout, how long aborted renders get to report before connections close. */
const ABORT_GRACE_MS = 3000;
/** How long open HTTP requests get after the drain before their sockets are closed. */
const HTTP_CLOSE_GRACE_MS = 2000;

function delay(ms: number): Promise<'timeout'> {
  return new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
}

export async function startApp(config: WorkerConfig, opts: StartOptions = {}): Promise<RunningApp> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const connections = new RedisConnections(config.redisUrl, logger);
  const redisWhere = connections.describe();
  const producer = connections.producer('api');
  let shuttingDown = false;

  try {
    await waitForRedis(producer, config.redisStartupTimeoutMs, redisWhere);
    await checkRedisSafety(producer, { production: config.nodeEnv === 'production', logger });
  } catch (err) {
    await connections.closeAll();
    throw err;
  }

  const dataDir = resolve(config.dataDir);
  const metrics = new WorkerMetrics();
  const abort = new AbortController();
  const queue = createPreviewQueue(producer, config);
  const processor = createProcessor({
    dataDir,
    logger,
    metrics,
    render: opts.render ?? renderPreview,
    ffmpegPath: config.ffmpegPath,
    signal: abort.signal,
  });
  const worker = createPreviewWorker({
    config,
    connection: connections.worker('worker'),
    processor,
    metrics,
    logger,
    name: opts.workerName ?? `preview-worker:${hostname()}:${process.pid}`,
    lookupJob: async (jobId) => (await queue.getJob(jobId)) as PreviewJob | undefined,
  });

  // Exponential moving average of job time, for the Retry-After estimate of a full queue.
  let avgJobSeconds: number | undefined;
  worker.on('completed', (job) => {
    if (job.processedOn && job.finishedOn) {
      const s = Math.max(0.001, (job.finishedOn - job.processedOn) / 1000);
      avgJobSeconds = avgJobSeconds === undefined ? s : avgJobSeconds * 0.9 + s * 0.1;
    }
  });

  const service = new BullPreviewService({
    config,
    queue,
    redis: producer,
    workerRunning: () => worker.isRunning(),
    isShuttingDown: () => shuttingDown,
    averageJobSeconds: () => avgJobSeconds,
  });
  metrics.setQueueCountsSource(service.counts);

  const workerDone = worker.run().catch((err: unknown) => {
    logger.error(
      { err: err instanceof Error ? err.message : String(err) },
      'queue worker stopped with an error',
    );
  });

  const server = createHttpServer({
    service,
    metrics,
    logger,
    apiToken: config.apiToken,
    maxBodyBytes: config.maxBodyBytes,
    isShuttingDown: () => shuttingDown,
  });
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    await worker.close(true).catch(() => undefined);
    await queue.close().catch(() => undefined);
    await connections.closeAll();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(`port ${config.port} on ${config.host} is already in use; set PORT to a free port`);
    }
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const urlHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;
  logger.info(
    {
      url,
      port,
      queue: config.queueName,
      concurrency: config.concurrency,
      redis: redisWhere,
      dataDir,
      auth: config.apiToken ? 'bearer token required on /v1' : 'open (PREVIEW_API_TOKEN not set)',
    },
    'preview worker listening',
  );

  let closing: Promise<void> | undefined;
  const close = (reason = 'close'): Promise<void> => {
    if (closing) return closing;
    shuttingDown = true;
    closing = (async () => {
      const activeJobs = metrics.activeCount;
      logger.info(
        { reason, activeJobs, timeoutMs: config.shutdownTimeoutMs },
        'shutdown started: not ready, taking no new jobs, letting active jobs finish',
      );
      const drained = worker.close().then(() => 'drained' as const);
      let outcome = await Promise.race([drained, delay(config.shutdownTimeoutMs)]);
      if (outcome === 'timeout') {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          'active jobs did not finish within SHUTDOWN_TIMEOUT_SECONDS; aborting their renders',
        );
        abort.abort(new Error('worker shutting down'));
        outcome = await Promise.race([drained, delay(ABORT_GRACE_MS)]);
        if (outcome === 'timeout') {
          logger.warn('jobs still active; leaving them to stalled-job recovery by another worker');
        }
      }
      await Promise.race([workerDone, delay(1000)]);

      await closeHttpServer(server, HTTP_CLOSE_GRACE_MS);
      await Promise.race([queue.close().catch(() => undefined), delay(2000)]);
      await connections.closeAll();
      logger.info({ reason, drained: outcome === 'drained' }, 'shutdown complete');
    })();
    return closing;
  };

  return { url, port, close, service, metrics, worker, isShuttingDown: () => shuttingDown };
}

/** Entry point of `node dist/worker/main.js`: env config, start, signal handlers. */
export async function runFromCommandLine(): Promise<void> {
  let config: WorkerConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`preview-worker: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  let app: RunningApp;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err: message }, 'startup failed');
    process.stderr.write(`preview-worker: startup failed: ${message}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now without waiting for jobs');
      process.exit(1);
    }
    app.close(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** True when the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

if (isEntryPoint(import.meta.url)) {
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `preview-worker: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    );
  });
  void runFromCommandLine();
}
