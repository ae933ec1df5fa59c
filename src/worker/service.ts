/**
 * PreviewService (service-types.ts) on BullMQ: what the HTTP layer calls.
 * submit() is idempotent on jobId and refuses with QueueFullError at PREVIEW_QUEUE_MAX;
 * status() maps BullMQ state to queued/running/completed/failed and lists artifacts from
 * container.json; overview() and the metrics read queue counts through a short cache.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ArtifactEntry, PreviewJobResult, PreviewPayload, PreviewStatus } from '../contract/payload.js';
import type { WorkerConfig } from './config.js';
import {
  backlogOf,
  cached,
  JOB_NAME,
  jobOptionsFor,
  type PreviewJob,
  readQueueCounts,
  toPreviewState,
} from './queue.js';
import { readPersistence } from './redis.js';
import {
  type PreviewService,
  type QueueCounts,
  QueueFullError,
  type QueueOverview,
  type ReadinessReport,
  type RedisPersistence,
  type SubmitResult,
} from './service-types.js';

export interface ServiceDeps {
  config: Pick<
    WorkerConfig,
    | 'queueName'
    | 'queueMax'
    | 'dataDir'
    | 'concurrency'
    | 'jobAttempts'
    | 'backoffDelayMs'
    | 'keepCompleted'
    | 'keepFailed'
  >;
  queue: Queue<PreviewPayload, PreviewJobResult, typeof JOB_NAME>;
  /** A fail-fast (producer) connection for PING and INFO. */
  redis: Redis;
  /** Whether the local BullMQ worker is running; absent for an API-only process. */
  workerRunning?: () => boolean;
  isShuttingDown?: () => boolean;
  /** Average seconds a job takes, for the Retry-After estimate. */
  averageJobSeconds?: () => number | undefined;
  /** How long queue counts and persistence are cached. */
  cacheMs?: number;
}

const PING_TIMEOUT_MS = 1000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class BullPreviewService implements PreviewService {
  /** Cached queue counts (also the source of preview_worker_queue_jobs). */
  readonly counts: () => Promise<QueueCounts>;
  private readonly persistence: () => Promise<RedisPersistence>;
  private readonly dataDir: string;

  constructor(private readonly deps: ServiceDeps) {
    const ttl = deps.cacheMs ?? 1500;
    this.counts = cached(() => readQueueCounts(deps.queue), ttl);
    this.persistence = cached(() => readPersistence(deps.redis), Math.max(ttl, 2000));
    this.dataDir = resolve(deps.config.dataDir);
  }

  async submit(payload: PreviewPayload): Promise<SubmitResult> {
    const { queue, config } = this.deps;
    const existing = await queue.getJob(payload.jobId);
    if (existing) {
      return { jobId: payload.jobId, state: toPreviewState(await existing.getState()), created: false };
    }
    // Fresh counts (not cached): backpressure must see the real backlog.
    const backlog = backlogOf(await readQueueCounts(queue));
    if (backlog >= config.queueMax) {
      throw new QueueFullError(backlog, config.queueMax, await this.retryAfterSeconds(backlog));
    }
    await queue.add(JOB_NAME, payload, jobOptionsFor(payload, config));
    // Two concurrent submits of one jobId both get here; BullMQ keeps one job, so still one render.
    return { jobId: payload.jobId, state: 'queued', created: true };
  }

  /** Time for the workers to work off the part of the backlog above the limit, 1..600 s. */
  private async retryAfterSeconds(backlog: number): Promise<number> {
    const { config, queue } = this.deps;
    let workers = 1;
    try {
      workers = Math.max(1, (await queue.getWorkersCount()) || 1);
    } catch {
      // keep 1
    }
    const perJob = this.deps.averageJobSeconds?.() ?? 2;
    const excess = backlog - config.queueMax + 1;
    const seconds = Math.ceil((excess * perJob) / (workers * config.concurrency));
    return Math.min(600, Math.max(1, seconds));
  }

  async status(jobId: string): Promise<PreviewStatus | null> {
    // State first, then the job hash: the hash is then at least as new as the state, so a
    // finished state never comes with the attempt counts of an earlier moment.
    const bullState = await this.deps.queue.getJobState(jobId);
    if (bullState === 'unknown') return null;
    const job = (await this.deps.queue.getJob(jobId)) as PreviewJob | undefined;
    if (!job) return null;
    const state = toPreviewState(bullState);
    const data = job.data as Partial<PreviewPayload> | undefined;
    const progress = typeof job.progress === 'number' ? job.progress : 0;
    const status: PreviewStatus = {
      jobId,
      projectId: typeof data?.projectId === 'string' ? data.projectId : '',
      state,
      progress: state === 'completed' ? 100 : progress,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      dryRun: data?.dryRun === true,
      artifacts: [],
    };
    if (job.failedReason) status.failedReason = job.failedReason;
    if (job.timestamp) status.createdAt = new Date(job.timestamp).toISOString();
    if (job.finishedOn) status.finishedAt = new Date(job.finishedOn).toISOString();
    if (state === 'completed' && !status.dryRun) {
      const dir = this.dirOf(job);
      if (dir) status.artifacts = await readArtifacts(dir);
    }
    return status;
  }

  async artifactDir(jobId: string): Promise<string | null> {
    const job = (await this.deps.queue.getJob(jobId)) as PreviewJob | undefined;
    if (!job || job.data?.dryRun === true) return null;
    if ((await job.getState()) !== 'completed') return null;
    const dir = this.dirOf(job);
    if (!dir) return null;
    try {
      return (await stat(dir)).isDirectory() ? dir : null;
    } catch {
      return null;
    }
  }

  /** `<DATA_DIR>/previews/<projectId>/<jobId>`; null when that would leave DATA_DIR/previews. */
  private dirOf(job: PreviewJob): string | null {
    const projectId = job.data?.projectId;
    const id = job.id;
    if (typeof projectId !== 'string' || !id) return null;
    const root = join(this.dataDir, 'previews');
    const dir = resolve(root, projectId, id);
    if (isAbsolute(projectId) || !dir.startsWith(root + sep)) return null;
    return dir;
  }

  async overview(): Promise<QueueOverview> {
    const { queue, config } = this.deps;
    const [counts, workers, redis] = await Promise.all([
      this.counts(),
      queue.getWorkers(),
      this.persistence(),
    ]);
    return {
      queue: config.queueName,
      counts,
      backlog: backlogOf(counts),
      max: config.queueMax,
      workers: workers.map((w) => {
        // BullMQ sets `name` to the queue name; the worker's own name follows ':w:' in the raw client name.
        const raw = String(w.rawname ?? w.name ?? '');
        const i = raw.indexOf(':w:');
        const entry: { name: string; addr?: string; age?: number } = {
          name: i >= 0 ? raw.slice(i + 3) : raw,
        };
        if (w.addr) entry.addr = String(w.addr);
        if (w.age !== undefined) entry.age = Number(w.age);
        return entry;
      }),
      redis,
    };
  }

  async readiness(): Promise<ReadinessReport> {
    const reasons: string[] = [];
    if (this.deps.isShuttingDown?.()) reasons.push('shutting down');
    try {
      const pong = await withTimeout(this.deps.redis.ping(), PING_TIMEOUT_MS, 'Redis');
      if (pong !== 'PONG') reasons.push(`Redis answered PING with ${pong}`);
    } catch (err) {
      reasons.push(`Redis unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.deps.workerRunning && !this.deps.workerRunning()) reasons.push('queue worker not running');
    return { ready: reasons.length === 0, reasons };
  }
}

/** Reads container.json (`{ files: [...] }` or a bare array); [] when missing or unreadable. */
export async function readArtifacts(dir: string): Promise<ArtifactEntry[]> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, 'container.json'), 'utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { files?: unknown })?.files;
    if (!Array.isArray(list)) return [];
    return list
      .filter(
        (f): f is ArtifactEntry =>
          typeof f === 'object' &&
          f !== null &&
          typeof (f as ArtifactEntry).path === 'string' &&
          typeof (f as ArtifactEntry).bytes === 'number' &&
          typeof (f as ArtifactEntry).sha256 === 'string',
      )
      .map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 }));
  } catch {
    return [];
  }
}
