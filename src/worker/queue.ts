/**
 * The BullMQ queue: one queue (PREVIEW_QUEUE_NAME, default `preview-jobs`), one job name
 * (`render-preview`), jobId = payload jobId, bounded retries with exponential backoff,
 * three priorities, bounded retention of finished jobs.
 */
import { type Job as BullJob, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PreviewJobResult, PreviewPayload, PreviewState } from '../contract/payload.js';
import type { WorkerConfig } from './config.js';
import { BULLMQ_PRIORITY } from './payload.js';
import type { QueueCounts } from './service-types.js';

export const JOB_NAME = 'render-preview';

export type PreviewJob = BullJob<PreviewPayload, PreviewJobResult, typeof JOB_NAME>;

type QueueJobOptionsConfig = Pick<
  WorkerConfig,
  'jobAttempts' | 'backoffDelayMs' | 'keepCompleted' | 'keepFailed'
>;

/** The options every job is added with. */
export function jobOptionsFor(payload: PreviewPayload, config: QueueJobOptionsConfig): JobsOptions {
  return {
    jobId: payload.jobId,
    priority: BULLMQ_PRIORITY[payload.priority],
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: config.backoffDelayMs },
    removeOnComplete: { age: config.keepCompleted.age, count: config.keepCompleted.count },
    removeOnFail: { age: config.keepFailed.age, count: config.keepFailed.count },
  };
}

export function createPreviewQueue(
  connection: Redis,
  config: Pick<WorkerConfig, 'queueName' | 'redisPrefix'>,
): Queue<PreviewPayload, PreviewJobResult, typeof JOB_NAME> {
  return new Queue<PreviewPayload, PreviewJobResult, typeof JOB_NAME>(config.queueName, {
    connection,
    prefix: config.redisPrefix,
  });
}

/** BullMQ's states mapped onto the API's four. A delayed job is waiting for its retry: queued. */
export function toPreviewState(bullState: string): PreviewState {
  switch (bullState) {
    case 'active':
      return 'running';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    default:
      return 'queued';
  }
}

/** BullMQ 6 keeps the jobs of a paused queue in its wait list: `paused` is always 0, `waiting` holds them. */
export const COUNT_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

export async function readQueueCounts(queue: Queue): Promise<QueueCounts> {
  const raw = await queue.getJobCounts(...COUNT_STATES);
  return {
    waiting: raw.waiting ?? 0,
    active: raw.active ?? 0,
    delayed: raw.delayed ?? 0,
    prioritized: raw.prioritized ?? 0,
    completed: raw.completed ?? 0,
    failed: raw.failed ?? 0,
    paused: 0,
  };
}

/** Jobs that count against PREVIEW_QUEUE_MAX: everything not finished. */
export function backlogOf(c: QueueCounts): number {
  return c.waiting + c.prioritized + c.delayed + c.active;
}

/** Caches an async read for ttlMs; concurrent callers share one in-flight read. */
export function cached<T>(read: () => Promise<T>, ttlMs: number, now: () => number = Date.now) {
  let value: { at: number; v: T } | undefined;
  let inflight: Promise<T> | undefined;
  return async (): Promise<T> => {
    if (value && now() - value.at < ttlMs) return value.v;
    if (!inflight) {
      inflight = read()
        .then((v) => {
          value = { at: now(), v };
          return v;
        })
        .finally(() => {
          inflight = undefined;
        });
    }
    return inflight;
  };
}
