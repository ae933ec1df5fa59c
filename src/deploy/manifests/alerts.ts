/**
 * The worker's alert rules, from one source: the PrometheusRule object (Prometheus Operator) and the
 * plain Prometheus rules file checked by `promtool` are both built from buildAlertRuleGroups().
 *
 * Metric names are the worker's own (DESIGN.md, "Metrics") plus kube-state-metrics and cAdvisor.
 * Worker series are selected by {namespace, job}: with the ServiceMonitor, `job` is the Service name.
 * Thresholds come from the environment file (alerts.*, worker.queueMax, resources.limits.memory).
 * Annotations use only {{ $labels.<name> }} templates, so their expanded text can be predicted in tests.
 */
import type { Environment } from './environment.js';
import { APP_NAME, CONTAINER_NAME } from './labels.js';

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface AlertRuleGroup {
  name: string;
  rules: AlertRule[];
}

/** Every alert, in the order of docs/RUNBOOKS.md. */
export const ALERT_NAMES = [
  'PreviewWorkerDown',
  'PreviewWorkerJobFailureRatio',
  'PreviewWorkerQueueBacklogHigh',
  'PreviewWorkerRenderSlow',
  'PreviewWorkerStalledJobs',
  'PreviewWorkerCrashLooping',
  'PreviewWorkerMemoryNearLimit',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** Minimum finished jobs in the failure-ratio window, so one failure out of one job does not page. */
export const FAILURE_RATIO_MIN_JOBS = 10;

/** The anchor GitHub gives the heading "## <alert>" in docs/RUNBOOKS.md. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}

export function runbookUrl(env: Environment, alert: string): string {
  return `${env.alerts.runbookBaseUrl}#${runbookAnchor(alert)}`;
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(2))}%`;
}

/** The backlog threshold in jobs: alerts.queueBacklogRatio of worker.queueMax, rounded down. */
export function backlogThreshold(env: Environment): number {
  return Math.floor(env.alerts.queueBacklogRatio * env.worker.queueMax);
}

export function buildAlertRuleGroups(env: Environment): AlertRuleGroup[] {
  const ns = env.namespace;
  const worker = `namespace="${ns}",job="${APP_NAME}"`;
  const container = `namespace="${ns}",container="${CONTAINER_NAME}"`;
  const a = env.alerts;
  const backlog = backlogThreshold(env);
  const rule = (
    alert: AlertName,
    severity: Severity,
    expr: string,
    forDuration: string | undefined,
    summary: string,
    description: string,
  ): AlertRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description, runbook_url: runbookUrl(env, alert) },
  });

  const workerRules: AlertRule[] = [
    rule(
      'PreviewWorkerDown',
      'critical',
      `up{${worker}} == 0 or absent(up{${worker}})`,
      '5m',
      'Preview worker {{ $labels.pod }} in {{ $labels.namespace }} is down',
      'Prometheus has not scraped preview worker pod "{{ $labels.pod }}" (instance "{{ $labels.instance }}") ' +
        'in namespace {{ $labels.namespace }} for 5 minutes; an empty pod name means no worker target exists at all.',
    ),
    rule(
      'PreviewWorkerJobFailureRatio',
      'critical',
      `(sum by (namespace) (rate(preview_worker_jobs_total{${worker},outcome="failed"}[15m]))` +
        ` / sum by (namespace) (rate(preview_worker_jobs_total{${worker},outcome=~"completed|failed"}[15m]))` +
        ` > ${a.jobFailureRatio})` +
        ` and (sum by (namespace) (increase(preview_worker_jobs_total{${worker},outcome=~"completed|failed"}[15m]))` +
        ` >= ${FAILURE_RATIO_MIN_JOBS})`,
      '5m',
      `More than ${percent(a.jobFailureRatio)} of preview jobs fail in {{ $labels.namespace }}`,
      `Over the last 15 minutes more than ${percent(a.jobFailureRatio)} of finished preview jobs ` +
        `(completed or failed after their last attempt, at least ${FAILURE_RATIO_MIN_JOBS} jobs) failed in namespace {{ $labels.namespace }}.`,
    ),
    rule(
      'PreviewWorkerQueueBacklogHigh',
      'warning',
      `sum by (namespace) (max by (namespace, state) (preview_worker_queue_jobs{${worker},state=~"waiting|prioritized|delayed"})) > ${backlog}`,
      '10m',
      `Preview queue backlog in {{ $labels.namespace }} is above ${backlog} jobs`,
      `More than ${backlog} jobs (${percent(a.queueBacklogRatio)} of PREVIEW_QUEUE_MAX=${env.worker.queueMax}) have waited ` +
        'in the preview queue of namespace {{ $labels.namespace }} for 10 minutes; at the limit the API answers 429.',
    ),
    rule(
      'PreviewWorkerRenderSlow',
      'warning',
      `histogram_quantile(0.95, sum by (namespace, le) (rate(preview_worker_job_duration_seconds_bucket{${worker},outcome="completed"}[15m]))) > ${a.renderP95Seconds}`,
      '15m',
      `Preview renders in {{ $labels.namespace }} take more than ${a.renderP95Seconds}s (p95)`,
      `The 95th percentile duration of completed preview jobs in namespace {{ $labels.namespace }} has been above ` +
        `${a.renderP95Seconds} seconds for 15 minutes.`,
    ),
    rule(
      'PreviewWorkerStalledJobs',
      'warning',
      `sum by (namespace) (increase(preview_worker_stalled_jobs_total{${worker}}[15m])) > 0`,
      undefined,
      'Preview jobs stalled in {{ $labels.namespace }}',
      'BullMQ detected stalled preview jobs in namespace {{ $labels.namespace }} in the last 15 minutes: a worker lost ' +
        'its job lock (killed, out of memory, or its event loop blocked) and the job was moved back or failed.',
    ),
  ];

  const podRules: AlertRule[] = [
    rule(
      'PreviewWorkerCrashLooping',
      'critical',
      `max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${container}}[15m])) > 3` +
        ` or max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{${container},reason="CrashLoopBackOff"}[5m])) >= 1`,
      '5m',
      'Preview worker pod {{ $labels.pod }} in {{ $labels.namespace }} is crash-looping',
      'Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace {{ $labels.namespace }} restarted more than ' +
        '3 times in 15 minutes or is waiting in CrashLoopBackOff.',
    ),
    rule(
      'PreviewWorkerMemoryNearLimit',
      'warning',
      `max by (namespace, pod, container) (container_memory_working_set_bytes{${container}})` +
        ` / max by (namespace, pod, container) (kube_pod_container_resource_limits{${container},resource="memory"}) > ${a.memoryLimitRatio}`,
      '10m',
      'Preview worker pod {{ $labels.pod }} in {{ $labels.namespace }} is near its memory limit',
      `Container {{ $labels.container }} of pod {{ $labels.pod }} in namespace {{ $labels.namespace }} has used more than ` +
        `${percent(a.memoryLimitRatio)} of its memory limit (${env.resources.limits.memory}) for 10 minutes; it will be OOMKilled at the limit.`,
    ),
  ];

  return [
    { name: `${APP_NAME}.rules`, rules: workerRules },
    { name: `${APP_NAME}.pods.rules`, rules: podRules },
  ];
}

/** The same groups as a plain Prometheus rules file (for promtool, or a Prometheus without the Operator). */
export function buildPrometheusRulesFile(env: Environment): { groups: AlertRuleGroup[] } {
  return { groups: buildAlertRuleGroups(env) };
}
