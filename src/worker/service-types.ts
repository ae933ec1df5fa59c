/**
 * The contract between the HTTP layer (src/worker/http/) and the queue layer (src/worker/queue.ts).
 * The HTTP layer depends only on this interface, so it can be tested and read on its own.
 */
import type { PreviewPayload, PreviewState, PreviewStatus } from '../contract/payload.js';

export interface SubmitResult {
  jobId: string;
  state: PreviewState;
  /** false when a job with this jobId already existed (idempotent submit: nothing new was queued). */
  created: boolean;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  completed: number;
  failed: number;
  paused: number;
}

export interface RedisPersistence {
  /** `appendonly` is yes */
  aofEnabled: boolean;
  /** ISO time of the last successful RDB save, or null when Redis never saved. */
  lastRdbSaveAt: string | null;
  /** `rdb_last_bgsave_status` */
  lastRdbSaveStatus: string | null;
  maxmemoryPolicy: string | null;
}

export interface QueueOverview {
  queue: string;
  counts: QueueCounts;
  /** Jobs that count against PREVIEW_QUEUE_MAX (waiting + prioritized + delayed + active). */
  backlog: number;
  max: number;
  workers: { name: string; addr?: string; age?: number }[];
  redis: RedisPersistence;
}

export interface ReadinessReport {
  ready: boolean;
  reasons: string[];
}

/** What the HTTP layer needs from the rest of the worker. */
export interface PreviewService {
  /** Queue a validated payload; idempotent on jobId. Throws QueueFullError when the backlog is at PREVIEW_QUEUE_MAX. */
  submit(payload: PreviewPayload): Promise<SubmitResult>;
  /** null when no job with this id is known. */
  status(jobId: string): Promise<PreviewStatus | null>;
  /** Absolute directory of a job's artifacts, or null when the job is unknown or has no artifacts. */
  artifactDir(jobId: string): Promise<string | null>;
  overview(): Promise<QueueOverview>;
  readiness(): Promise<ReadinessReport>;
}

/** Raised by submit() when the backlog is full; the HTTP layer answers 429 with Retry-After. */
export class QueueFullError extends Error {
  constructor(
    readonly backlog: number,
    readonly max: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the queue holds ${backlog} jobs, at its limit of ${max}; retry in ${retryAfterSeconds}s`);
    this.name = 'QueueFullError';
  }
}
