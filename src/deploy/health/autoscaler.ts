/**
 * The worker's HorizontalPodAutoscaler (autoscaling/v2) as the status snapshot shows it: replica
 * bounds, each metric's target and current value, its conditions. Pure.
 */
import type {
  V2HorizontalPodAutoscaler,
  V2MetricSpec,
  V2MetricStatus,
  V2MetricTarget,
  V2MetricValueStatus,
} from '@kubernetes/client-node';
import type { AutoscalerSummary } from './status-types.js';
import { conditions } from './summarize.js';

/**
 * The part of a metric spec or status named after its type (`resource` for Resource, `pods`,
 * `object`, `external`, `containerResource`), with the fields read here.
 */
interface MetricSource {
  name?: string;
  metric?: { name?: string };
  target?: V2MetricTarget;
  current?: V2MetricValueStatus;
}

function lowerFirst(s: string | undefined): string {
  return s ? s[0].toLowerCase() + s.slice(1) : '';
}

function metricSource(m: V2MetricSpec | V2MetricStatus | undefined): MetricSource {
  return ((m as Record<string, unknown> | undefined)?.[lowerFirst(m?.type)] ?? {}) as MetricSource;
}

function metricKey(m: V2MetricSpec | V2MetricStatus | undefined): string {
  const body = metricSource(m);
  const name = body.name ?? body.metric?.name ?? '?';
  return `${String(m?.type ?? '?').toLowerCase()}/${name}`;
}

function describeMetricTarget(t: V2MetricTarget | V2MetricValueStatus | undefined): string | undefined {
  if (!t) return undefined;
  if (t.averageUtilization !== undefined) return `${t.averageUtilization}%`;
  if (t.averageValue !== undefined) return `${t.averageValue} (avg)`;
  if (t.value !== undefined) return String(t.value);
  return undefined;
}

/** Summarise an autoscaling/v2 HorizontalPodAutoscaler. */
export function summarizeHpa(hpa: V2HorizontalPodAutoscaler): AutoscalerSummary {
  const currentByKey = new Map<string, V2MetricStatus>();
  for (const c of hpa.status?.currentMetrics ?? []) currentByKey.set(metricKey(c), c);
  return {
    // The API server always sets the name and spec.maxReplicas.
    name: hpa.metadata?.name as string,
    minReplicas: hpa.spec?.minReplicas ?? 1,
    maxReplicas: hpa.spec?.maxReplicas as number,
    currentReplicas: hpa.status?.currentReplicas,
    desiredReplicas: hpa.status?.desiredReplicas,
    metrics: (hpa.spec?.metrics ?? []).map((m) => {
      const cur = currentByKey.get(metricKey(m));
      return {
        name: metricKey(m),
        target: describeMetricTarget(metricSource(m).target),
        current: describeMetricTarget(metricSource(cur).current),
      };
    }),
    conditions: conditions(hpa.status?.conditions),
  };
}
