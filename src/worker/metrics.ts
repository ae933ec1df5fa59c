/**
 * Prometheus metrics (prom-client), exactly the names and labels of DESIGN.md section 3.
 * Labels are low-cardinality only: never a job id. Queue counts are read from BullMQ on scrape
 * through a cached source, so a scrape storm cannot hammer Redis.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueCounts } from './service-types.js';

export const JOB_OUTCOMES = ['completed', 'failed', 'retrying', 'invalid', 'dry_run'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'completed',
  'failed',
  'paused',
] as const;

/** Sized for jobs from a dry run (~5 ms) to a long mp4 render (~60 s). */
export const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

export interface BuildInfo {
  version: string;
  revision: string;
}

/** Version from package.json; revision from GIT_COMMIT (the image's org.opencontainers.image.revision). */
export function readBuildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  let version = env.npm_package_version ?? 'unknown';
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'mobius-preview-worker' && pkg.version) {
        version = pkg.version;
        break;
      }
    } catch {
      // try the next location
    }
  }
  const revision = env.GIT_COMMIT || env.OCI_IMAGE_REVISION || env.SOURCE_COMMIT || 'unknown';
  return { version, revision };
}

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobsTotal: Counter<'outcome'>;
  readonly jobDuration: Histogram<'outcome'>;
  readonly queueJobs: Gauge<'state'>;
  readonly activeJobs: Gauge;
  readonly stalledJobsTotal: Counter;
  readonly buildInfo: Gauge<'version' | 'revision'>;
  private countsSource?: () => Promise<QueueCounts>;

  constructor(opts: { build?: BuildInfo; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.jobsTotal = new Counter({
      name: 'preview_worker_jobs_total',
      help: 'Preview jobs processed, by outcome (completed, failed, retrying, invalid, dry_run).',
      labelNames: ['outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'preview_worker_job_duration_seconds',
      help: 'Time spent processing one job attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    for (const outcome of JOB_OUTCOMES) {
      this.jobsTotal.inc({ outcome }, 0);
      this.jobDuration.zero({ outcome });
    }
    const self = this;
    this.queueJobs = new Gauge({
      name: 'preview_worker_queue_jobs',
      help: 'Jobs in the BullMQ queue by state (read from Redis on scrape, cached briefly).',
      labelNames: ['state'],
      registers,
      async collect() {
        if (!self.countsSource) return;
        try {
          const counts = await self.countsSource();
          for (const state of QUEUE_STATES) this.set({ state }, counts[state]);
        } catch {
          // Redis unreachable: keep the last values; /readyz reports the outage.
        }
      },
    });
    this.activeJobs = new Gauge({
      name: 'preview_worker_active_jobs',
      help: 'Jobs this process is processing right now.',
      registers,
    });
    this.stalledJobsTotal = new Counter({
      name: 'preview_worker_stalled_jobs_total',
      help: 'Jobs found stalled (their worker stopped renewing the lock) and moved back to wait.',
      registers,
    });
    this.buildInfo = new Gauge({
      name: 'preview_worker_build_info',
      help: 'Build information; the value is always 1.',
      labelNames: ['version', 'revision'],
      registers,
    });
    const build = opts.build ?? readBuildInfo();
    this.buildInfo.set({ version: build.version, revision: build.revision }, 1);
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where preview_worker_queue_jobs reads from on scrape (a cached reader of queue counts). */
  setQueueCountsSource(source: () => Promise<QueueCounts>): void {
    this.countsSource = source;
  }

  recordJob(outcome: JobOutcome, durationMs: number): void {
    this.jobsTotal.inc({ outcome });
    this.jobDuration.observe({ outcome }, durationMs / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
