/**
 * Prometheus metrics (prom-client), exactly the names and labels of DESIGN.md section 3.
 * Labels are low-cardinality only: never a job id. Queue counts are read from BullMQ on scrape
 * through a cached source, so a scrape storm cannot hammer Redis.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_OUTCOMES, type JobOutcome, METRIC } from '../contract/metrics.js';
import type { QueueCounts } from './service-types.js';

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

/**
 * Version from PREVIEW_WORKER_VERSION (the image's VERSION build arg, its org.opencontainers.image.version),
 * else package.json; revision from GIT_COMMIT (the image's org.opencontainers.image.revision).
 */
export function readBuildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  const revision = env.GIT_COMMIT || env.OCI_IMAGE_REVISION || env.SOURCE_COMMIT || 'unknown';
  const imageVersion = env.PREVIEW_WORKER_VERSION?.trim();
  if (imageVersion) return { version: imageVersion, revision };
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
  /** Jobs recorded since the last scrape: outcome and seconds, in parallel arrays (see recordJob). */
  private readonly pendingOutcomes: JobOutcome[] = [];
  private readonly pendingSeconds: number[] = [];
  /** Jobs in the processor now (jobStarted/jobEnded); the active-jobs gauge reads it on scrape. */
  private active = 0;

  constructor(opts: { build?: BuildInfo; defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    this.jobsTotal = new Counter({
      name: METRIC.jobsTotal,
      help: 'Preview jobs processed, by outcome (completed, failed, retrying, invalid, dry_run).',
      labelNames: ['outcome'],
      registers,
      collect() {
        self.flushJobs();
      },
    });
    this.jobDuration = new Histogram({
      name: METRIC.jobDurationSeconds,
      help: 'Time spent processing one job attempt, by outcome.',
      labelNames: ['outcome'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
      collect() {
        self.flushJobs();
      },
    });
    for (const outcome of JOB_OUTCOMES) {
      this.jobsTotal.inc({ outcome }, 0);
      this.jobDuration.zero({ outcome });
    }
    this.queueJobs = new Gauge({
      name: METRIC.queueJobs,
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
      name: METRIC.activeJobs,
      help: 'Jobs this process is processing right now.',
      registers,
      collect() {
        this.set(self.active);
      },
    });
    this.stalledJobsTotal = new Counter({
      name: METRIC.stalledJobsTotal,
      help: 'Jobs found stalled (their worker stopped renewing the lock) and moved back to wait.',
      registers,
    });
    this.buildInfo = new Gauge({
      name: METRIC.buildInfo,
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

  /** A job attempt entered the processor (a plain count: the gauge reads it when scraped). */
  jobStarted(): void {
    this.active += 1;
  }

  /** A job attempt left the processor. */
  jobEnded(): void {
    this.active -= 1;
  }

  /** Jobs in the processor now. */
  get activeCount(): number {
    return this.active;
  }

  /**
   * Count a job attempt and its duration. Kept in two arrays and added to the counter and the
   * histogram when they are read (a scrape, or `get()`), so the per-job cost is two array pushes:
   * prom-client's labelled inc/observe cost ~5 us per job under load (`npm run bench:worker`).
   */
  recordJob(outcome: JobOutcome, durationMs: number): void {
    this.pendingOutcomes.push(outcome);
    this.pendingSeconds.push(durationMs / 1000);
    if (this.pendingOutcomes.length >= 10_000) this.flushJobs(); // no scrapes: stay bounded
  }

  private flushJobs(): void {
    const outcomes = this.pendingOutcomes;
    const seconds = this.pendingSeconds;
    for (let i = 0; i < outcomes.length; i++) {
      const labels = { outcome: outcomes[i] as JobOutcome };
      this.jobsTotal.inc(labels);
      this.jobDuration.observe(labels, seconds[i] as number);
    }
    outcomes.length = 0;
    seconds.length = 0;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
