/**
 * The shapes and constants of the DORA delivery metrics (metrics/dora.ts computes them): periods,
 * the DORA performance bands, and the analysis result that report prints.
 */
/** The minimal incident fields the analysis needs (independent of how incidents are stored). */
export interface IncidentInput {
  id: string;
  level: 1 | 2 | 3;
  openedAt: string;
  resolvedAt?: string;
  cause?: string;
  relatedDeployId?: string;
  namespace?: string;
  environment?: string | null;
  summary?: string;
}

export type PeriodKind = 'week' | 'month';
export const PERIOD_DAYS: Record<PeriodKind, number> = { week: 7, month: 30 };
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const DEFAULT_FAILURE_WINDOW_MS = 24 * HOUR_MS;

export type Band = 'elite' | 'high' | 'medium' | 'low';

/**
 * DORA performance bands turned into contiguous thresholds. Sources: Accelerate State of DevOps
 * 2023 and 2024 (dora.dev/research). Deployment frequency, lead time and recovery time follow the
 * cluster descriptions of both reports; change failure rate uses 2023's monotonic 5/10/15% (2024's
 * clusters are not monotonic: high 20%, medium 10%).
 */
export const DORA_BANDS = {
  source: 'DORA Accelerate State of DevOps 2023 and 2024 (https://dora.dev/research/)',
  deploymentFrequency: [
    { band: 'elite', label: 'on demand: 1 or more per day', minPerDay: 1 },
    { band: 'high', label: 'between once per day and once per week', minPerDay: 1 / 7 },
    { band: 'medium', label: 'between once per week and once per month', minPerDay: 1 / 30 },
    { band: 'low', label: 'less than once per month', minPerDay: 0 },
  ],
  leadTime: [
    { band: 'elite', label: 'less than one day', maxMs: DAY_MS },
    { band: 'high', label: 'between one day and one week', maxMs: 7 * DAY_MS },
    { band: 'medium', label: 'between one week and one month', maxMs: 30 * DAY_MS },
    { band: 'low', label: 'one month or more', maxMs: Number.POSITIVE_INFINITY },
  ],
  changeFailureRate: [
    { band: 'elite', label: '5% or less', max: 0.05 },
    { band: 'high', label: 'more than 5%, up to 10%', max: 0.1 },
    { band: 'medium', label: 'more than 10%, up to 15%', max: 0.15 },
    { band: 'low', label: 'more than 15%', max: 1 },
  ],
  timeToRestore: [
    { band: 'elite', label: 'less than one hour', maxMs: HOUR_MS },
    { band: 'high', label: 'less than one day', maxMs: DAY_MS },
    { band: 'medium', label: 'less than one week', maxMs: 7 * DAY_MS },
    { band: 'low', label: 'one week or more', maxMs: Number.POSITIVE_INFINITY },
  ],
} as const;

export interface Ratio {
  /** 0..1, or null when the denominator is 0 (shown as N/A, never 0% or NaN). */
  value: number | null;
  numerator: number;
  denominator: number;
}

export interface Distribution {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface InProgressDeploy {
  id: string;
  startedAt: string;
  image?: string;
  actor: string;
  /** Older than 6 hours: probably a CLI that died; still excluded from rates. */
  stale: boolean;
}

export type FailureReason =
  | { type: 'failed' }
  | { type: 'rolled_back' }
  | { type: 'manual_rollback'; recordId: string }
  | { type: 'incident'; incidentId: string; linkedBy: 'id' | 'window' };

export interface FailedChange {
  deployId: string;
  startedAt: string;
  image?: string;
  failureClass?: string;
  reasons: FailureReason[];
}

export interface RestoreSample {
  /** The failed deploy's id, or the incident id for incidents linked to no deploy. */
  failureId: string;
  type: 'deploy' | 'incident';
  detectedAt: string;
  restoredAt: string;
  durationMs: number;
  via: 'automatic_rollback' | 'manual_rollback' | 'fix_forward' | 'incident_resolved';
}

export interface UnrestoredFailure {
  failureId: string;
  type: 'deploy' | 'incident';
  detectedAt: string;
}

export interface CauseCount {
  cause: string;
  count: number;
  automatic: number;
  manual: number;
}

export interface BandResult {
  band: Band | null;
  /** The value that was classified, in the metric's unit (per day, ms, ratio), or null. */
  value: number | null;
}

export interface DailyPoint {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  deploys: number;
  failedChanges: number;
}

export interface DeployPoint {
  id: string;
  startedAt: string;
  durationMs: number;
  failed: boolean;
}

export interface PeriodMetrics {
  start: string;
  end: string;
  days: number;
  deployments: {
    /** Completed deploys (succeeded + rolled back + failed). */
    completed: number;
    succeeded: number;
    rolledBack: number;
    failed: number;
    skipped: number;
    /** Completed deploys per 7 days. */
    perWeek: number;
    /** Successful deploys per day (the deployment-frequency figure). */
    successfulPerDay: number;
    inProgress: InProgressDeploy[];
  };
  successRate: Ratio;
  changeFailureRate: Ratio;
  failedChanges: FailedChange[];
  rollbacks: { total: number; automatic: number; manual: number; causes: CauseCount[] };
  deployDuration: Distribution;
  timeToRestore: Distribution & { samples: RestoreSample[]; unrestored: UnrestoredFailure[] };
  leadTime: Distribution & { unknown: number };
  incidents: { opened: number; byLevel: Record<'1' | '2' | '3', number>; resolved: number };
  bands: {
    deploymentFrequency: BandResult;
    leadTime: BandResult;
    changeFailureRate: BandResult;
    timeToRestore: BandResult;
  };
  daily: DailyPoint[];
  deploys: DeployPoint[];
}

export interface ClockSkewFlag {
  recordId: string;
  kind: string;
  problem: 'finished_before_started' | 'in_future' | 'restored_before_detected' | 'commit_after_deploy';
  detail: string;
}

export interface DoraAnalysis {
  period: PeriodKind;
  now: string;
  failureWindowMs: number;
  current: PeriodMetrics;
  previous: PeriodMetrics;
  clockSkew: ClockSkewFlag[];
}

export interface DoraOptions {
  now: Date;
  period: PeriodKind;
  failureWindowMs?: number;
}
