/**
 * The BullMQ Worker around the processor. Stalled-job recovery: a job's lock lives lockDurationMs
 * and is renewed while the job runs; when a worker dies (SIGKILL, OOM) the lock expires and the
 * stalled checker of any live worker (every stalledIntervalMs) moves the job back to wait, up to
 * maxStalledCount times. The renderer writes to a temp dir and renames it into place and reports
 * alreadyExisted, so rendering a job again after a stall is idempotent: it completes exactly once.
 */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PreviewJobResult, PreviewPayload } from '../contract/payload.js';
import type { WorkerConfig } from './config.js';
import { type Logger, loggableId } from './logger.js';
import type { WorkerMetrics } from './metrics.js';
import type { JOB_NAME, PreviewJob } from './queue.js';

export type PreviewWorker = Worker<PreviewPayload, PreviewJobResult, typeof JOB_NAME>;

export interface WorkerDeps {
  config: Pick<
    WorkerConfig,
    'queueName' | 'redisPrefix' | 'concurrency' | 'stalledIntervalMs' | 'lockDurationMs' | 'maxStalledCount'
  >;
  connection: Redis;
  processor: (job: PreviewJob) => Promise<PreviewJobResult>;
  metrics: WorkerMetrics;
  logger: Logger;
  /** Worker name stored on the jobs it processes and shown by queue.getWorkers(). */
  name?: string;
  /** Reads a job (for the projectId and attempt of a stalled job's log line). */
  lookupJob?: (jobId: string) => Promise<PreviewJob | undefined>;
}

export function createPreviewWorker(deps: WorkerDeps): PreviewWorker {
  const { config, logger, metrics } = deps;
  const worker: PreviewWorker = new Worker<PreviewPayload, PreviewJobResult, typeof JOB_NAME>(
    config.queueName,
    deps.processor,
    {
      connection: deps.connection,
      prefix: config.redisPrefix,
      concurrency: config.concurrency,
      stalledInterval: config.stalledIntervalMs,
      lockDuration: config.lockDurationMs,
      maxStalledCount: config.maxStalledCount,
      name: deps.name,
      autorun: false,
    },
  );
  worker.on('stalled', (jobId) => {
    metrics.stalledJobsTotal.inc();
    const line = (projectId: string | null, attempt: number | null) =>
      logger.warn(
        { jobId, projectId, attempt, durationMs: null },
        'job stalled (its worker stopped); moved back to wait',
      );
    if (!deps.lookupJob) {
      line(null, null);
      return;
    }
    deps.lookupJob(jobId).then(
      (job) => line(loggableId(job?.data?.projectId), job ? job.attemptsMade + 1 : null),
      () => line(null, null),
    );
  });
  worker.on('failed', (job, err) => {
    // Failures from the processor are counted there; this catches jobs failed by the stalled
    // checker after maxStalledCount, which never reach the processor again.
    if (err && /stalled more than allowable limit/i.test(err.message)) {
      metrics.recordJob('failed', 0);
      logger.warn(
        {
          jobId: job?.id ?? null,
          projectId: job?.data?.projectId ?? null,
          attempt: job ? job.attemptsMade : null,
          durationMs: 0,
          err: err.message,
        },
        'job failed: stalled too many times',
      );
    }
  });
  worker.on('error', (err) => {
    logger.warn({ err: err.message }, 'worker error');
  });
  return worker;
}
