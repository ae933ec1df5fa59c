/**
 * The worker's status snapshot as data: what `status` returns (its -o json shape, documented in
 * docs/CLI.md), what `report` reads for the cluster's infrastructure health, the thresholds its
 * findings are decided by and the read's defaults (also the `status` flags' defaults). Read by
 * health/status-read.ts.
 */
import type { PodHealth } from '../kube/pod-health.js';
import type { RolloutStatus } from '../kube/rollout.js';

export interface StatusThresholds {
  /** Warn above this % of the CPU limit. */
  warnCpuPercent: number;
  /** Warn above this % of the memory limit. */
  warnMemoryPercent: number;
  /** Restarts tolerated when the last one was within restartWindowMs. */
  maxRestarts: number;
  restartWindowMs: number;
  pendingTimeoutMs: number;
  /** Warn when more jobs than this are waiting. */
  queueBacklogWarn: number;
  /** Warn when more jobs than this have failed (undefined: off). */
  queueFailedWarn?: number;
}

export const DEFAULT_THRESHOLDS: StatusThresholds = {
  warnCpuPercent: 80,
  warnMemoryPercent: 80,
  maxRestarts: 0,
  restartWindowMs: 60 * 60_000,
  pendingTimeoutMs: 5 * 60_000,
  queueBacklogWarn: 800,
};

/** Warning events from this far back by default. */
export const DEFAULT_EVENTS_SINCE_MS = 60 * 60_000;

/** Timeout of each pod proxy request by default. */
export const DEFAULT_PROXY_TIMEOUT_MS = 3000;

/**
 * Pods whose /metrics status reads for the queue by default. The queue gauges describe the one
 * shared Redis queue, so every worker reports the same counts: a few answers are enough, and a
 * 50-pod Deployment does not cost 50 proxied requests through the API server on every `status`.
 */
export const DEFAULT_QUEUE_PODS = 3;

export interface ConditionSummary {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface DeploymentSummary {
  name: string;
  images: string[];
  revision?: number;
  generation?: number;
  observedGeneration?: number;
  paused: boolean;
  selector: string;
  replicas: {
    desired: number;
    current: number;
    updated: number;
    ready: number;
    available: number;
    unavailable: number;
  };
  rollout: RolloutStatus;
  conditions: ConditionSummary[];
  createdAt?: string;
}

export interface PodSummary {
  name: string;
  phase: string;
  /** STATUS column: the problem when there is one, else the phase. */
  status: string;
  ready: string;
  restarts: number;
  lastRestartAt?: string;
  createdAt?: string;
  node?: string;
  images: string[];
  revision?: string;
  health: PodHealth;
}

export interface ResourceFigure {
  usage: number;
  request?: number;
  limit?: number;
  /** Percent of the request (undefined without a request). */
  pctOfRequest?: number;
  /** Percent of the limit (undefined without a limit). */
  pctOfLimit?: number;
}

export interface PodResources {
  pod: string;
  /** CPU in cores. */
  cpu: ResourceFigure;
  /** Memory in bytes. */
  memory: ResourceFigure;
  containers: Array<{ name: string; cpu: ResourceFigure; memory: ResourceFigure }>;
}

export interface ResourcesSummary {
  available: boolean;
  note?: string;
  pods: PodResources[];
}

export interface AutoscalerSummary {
  name: string;
  minReplicas?: number;
  maxReplicas: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  metrics: Array<{ name: string; current?: string; target?: string }>;
  conditions: ConditionSummary[];
}

export interface QueueSummary {
  available: boolean;
  waiting?: number;
  active?: number;
  failed?: number;
  delayed?: number;
  completed?: number;
  /** Every preview_worker_queue_jobs{state} value reported. */
  byState: Record<string, number>;
  /** Sum of preview_worker_active_jobs over the pods that answered (every worker only with all pods asked). */
  activeInWorkers?: number;
  /**
   * Workers connected to the queue: running pods whose worker reports ready (the Ready condition,
   * from the worker's /readyz: the BullMQ worker runs and Redis answers), counted from the pod
   * list. Without the pod list (readQueueFromPods alone), the pods whose /metrics answered.
   */
  workers: number;
  /** Running pods (the candidates for the /metrics read). */
  podsRunning: number;
  /** Pods whose /metrics was requested: up to --queue-pods (default 3), more when some fail. */
  podsAsked: number;
  /** Pods whose /metrics answered (the queue counts are the largest value any of them reported). */
  podsAnswered: number;
  errors: Array<{ pod: string; error: string }>;
  note?: string;
}

export interface EventSummary {
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
  lastSeen?: string;
}

export interface Finding {
  severity: 'critical' | 'warning';
  /** Stable identifier for scripts: rollout-failed, pods-crashloop, memory-limit, ... */
  code: string;
  message: string;
  pods?: string[];
  /** The runbook section to open: "docs/RUNBOOKS.md#<section>". */
  runbook?: string;
}

export interface StatusResult {
  kind: 'StatusResult';
  namespace: string;
  context?: string;
  server?: string;
  generatedAt: string;
  healthy: boolean;
  deployment: DeploymentSummary;
  pods: PodSummary[];
  resources: ResourcesSummary;
  autoscaler: AutoscalerSummary | null;
  queue: QueueSummary | null;
  events: EventSummary[];
  findings: Finding[];
  /** Things that could not be read (not failures of the workload). */
  notes: string[];
  thresholds: StatusThresholds;
}
