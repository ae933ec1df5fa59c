/**
 * The worker's metric names (DESIGN.md section 3, "Metrics"): the worker registers them
 * (src/worker/metrics.ts); the alert rules, `status`, `verify` and `report` read them. One spelling
 * for all, so a rename cannot leave an alert or a check reading a series that no longer exists.
 */
export const METRIC = {
  jobsTotal: 'preview_worker_jobs_total',
  jobDurationSeconds: 'preview_worker_job_duration_seconds',
  queueJobs: 'preview_worker_queue_jobs',
  activeJobs: 'preview_worker_active_jobs',
  stalledJobsTotal: 'preview_worker_stalled_jobs_total',
  buildInfo: 'preview_worker_build_info',
} as const;

/** The `outcome` label values of `preview_worker_jobs_total` and the duration histogram. */
export const JOB_OUTCOMES = ['completed', 'failed', 'retrying', 'invalid', 'dry_run'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];
