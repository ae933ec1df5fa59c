/**
 * How a worker process starts and stops, for both entries: `node dist/worker/main.js` (main.ts,
 * the container) and `npm start` (start.ts, which adds only its private Redis and its messages).
 *
 *   configuration → Redis → queue and worker → HTTP server → signal handling → drain
 *
 * startApp() wires configuration, logging, Redis, the BullMQ queue and worker, metrics and the HTTP
 * server, and returns close(): readiness turns false at once (/readyz 503), the BullMQ worker stops
 * taking jobs, active jobs get SHUTDOWN_TIMEOUT_SECONDS to finish (then their renders are aborted;
 * a job that still cannot finish is left to stalled-job recovery by another worker), the HTTP
 * server closes and every Redis connection closes.
 *
 * runWorker() is an entry's whole run around it: read the configuration, start the app, handle
 * signals (the first drains and exits 0; a later one forces an immediate exit 1) and exit. The two
 * entries differ only in their SignalRules (which signals, when the handler is installed, how a
 * repeat is read) and in what they print; see MAIN_SIGNAL_RULES and START_SIGNAL_RULES.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { API_TOKEN_ENV } from '../contract/http.js';
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
      auth: config.apiToken ? 'bearer token required on /v1' : `open (${API_TOKEN_ENV} not set)`,
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

/**
 * How an entry's process answers signals: the one place the container entry and `npm start`
 * differ (both drain on the first signal and force an exit 1 on a later one).
 */
export interface SignalRules {
  /** The signals that begin the graceful shutdown. */
  signals: readonly NodeJS.Signals[];
  /**
   * Unset: the handler is installed once the worker runs, so a signal during start-up has Node's
   * default effect (the process ends by that signal). Set: one handler for the whole run is
   * installed before anything starts (swapping handlers could drop a signal that arrives in
   * between), and a signal before the worker runs calls this instead of draining.
   */
  duringStartup?: (signal: NodeJS.Signals) => void;
  /**
   * A repeat within this many milliseconds of the first signal is taken as the same signal and
   * ignored; 0: every repeat forces the exit.
   */
  repeatWindowMs: number;
}

/** The container's rules (main.ts): SIGTERM and SIGINT once running; any second signal forces. */
export const MAIN_SIGNAL_RULES: SignalRules = { signals: ['SIGTERM', 'SIGINT'], repeatWindowMs: 0 };

/**
 * `npm start`'s rules (start.ts) without its start-up action: SIGHUP too (the terminal closed),
 * and a repeat within a second is the same Ctrl-C (a terminal's Ctrl-C reaches every process of
 * the foreground group, and npm may forward it too).
 */
export const START_SIGNAL_RULES: Omit<SignalRules, 'duringStartup'> = {
  signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
  repeatWindowMs: 1000,
};

/** One entry's run: its environment, its signal rules, and what it prints (each hook exits where it says so). */
export interface WorkerEntry {
  env: NodeJS.ProcessEnv;
  signals: SignalRules;
  /** After an early signal handler is installed and before the configuration is read (npm start: its private Redis). */
  prepare?(): Promise<void>;
  /** Stops what the entry started itself: before a configuration or start-up failure is reported, and after the drain. */
  cleanUp?(): Promise<void>;
  /** A ConfigError: print it and exit 2. */
  configError(message: string): never;
  /** The worker did not start: print it and exit 1. */
  startFailed(message: string, config: WorkerConfig, logger: Logger): never;
  /** The shutdown begins (before close()). */
  stopping?(reason: string): void;
  /** close() failed; the exit code becomes 1. */
  shutdownFailed(err: unknown, logger: Logger): void;
  /** Everything is closed and cleaned up; the process exits next. */
  stopped?(): void;
  /** A signal that forces the exit; the process exits 1 next, without waiting for jobs. */
  forced(signal: NodeJS.Signals, logger: Logger): void;
}

export interface RunningWorker {
  app: RunningApp;
  config: WorkerConfig;
  /** Drains, cleans up and exits with `exitCode` (1 if close() fails); once only. */
  stop(reason: string, exitCode: number): Promise<void>;
}

/** An entry's run up to the running worker; from then on its signals stop it (and exit the process). */
export async function runWorker(entry: WorkerEntry): Promise<RunningWorker> {
  const rules = entry.signals;
  let onRunningSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (onRunningSignal) onRunningSignal(signal);
    else rules.duringStartup?.(signal);
  };
  const installSignals = () => {
    for (const signal of rules.signals) process.on(signal, onSignal);
  };
  if (rules.duringStartup) installSignals();
  await entry.prepare?.();

  let config: WorkerConfig;
  try {
    config = loadConfig(entry.env);
  } catch (err) {
    await entry.cleanUp?.();
    if (err instanceof ConfigError) entry.configError(err.message);
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  let app: RunningApp;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    await entry.cleanUp?.();
    entry.startFailed(err instanceof Error ? err.message : String(err), config, logger);
  }

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return stopping;
    entry.stopping?.(reason);
    stopping = (async () => {
      try {
        await app.close(reason);
      } catch (err) {
        entry.shutdownFailed(err, logger);
        exitCode = 1;
      }
      await entry.cleanUp?.();
      entry.stopped?.();
      process.exit(exitCode);
    })();
    return stopping;
  };

  let firstSignalAt = 0;
  onRunningSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      void stop(signal, 0);
      return;
    }
    if (now - firstSignalAt < rules.repeatWindowMs) return;
    entry.forced(signal, logger);
    process.exit(1);
  };
  if (!rules.duringStartup) installSignals();
  return { app, config, stop };
}
