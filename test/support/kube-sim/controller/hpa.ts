/**
 * HorizontalPodAutoscaler status (it never scales): current and desired replicas of its target
 * Deployment and the AbleToScale / ScalingActive / ScalingLimited conditions, ScalingActive False
 * while metrics.k8s.io is not served.
 */
import { deepEqual } from '../patch.js';
import type { KObj } from '../status.js';
import { type ControllerContext, num, R } from './context.js';

export function syncHpa(ctx: ControllerContext, hpa: KObj): void {
  const { store } = ctx;
  const ref = hpa.spec?.scaleTargetRef;
  if (ref?.kind !== 'Deployment') return;
  const d = store.peek(R.deployments, hpa.metadata.namespace, ref.name);
  const now = ctx.ts();
  const metricsOk = ctx.opts.metricsAvailable();
  const prev = (hpa.status?.conditions ?? []) as KObj[];
  const cond = (type: string, status: string, reason: string, message: string) => {
    const old = prev.find((c) => c.type === type);
    return {
      type,
      status,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
      reason,
      message,
    };
  };
  const status: KObj = {
    currentReplicas: num(d?.status?.replicas),
    desiredReplicas: num(d?.spec?.replicas),
    currentMetrics: null,
    conditions: d
      ? [
          cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size'),
          num(d.spec?.replicas) === 0
            ? cond(
                'ScalingActive',
                'False',
                'ScalingDisabled',
                'scaling is disabled since the replica count of the target is zero',
              )
            : metricsOk
              ? cond(
                  'ScalingActive',
                  'True',
                  'ValidMetricFound',
                  'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
                )
              : cond(
                  'ScalingActive',
                  'False',
                  'FailedGetResourceMetric',
                  'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
                ),
          cond(
            'ScalingLimited',
            'False',
            'DesiredWithinRange',
            'the desired count is within the acceptable range',
          ),
        ]
      : [
          cond(
            'AbleToScale',
            'False',
            'FailedGetScale',
            `the HPA controller was unable to get the target's current scale: deployments/scale.apps "${ref.name}" not found`,
          ),
        ],
  };
  if (!deepEqual(status, hpa.status)) {
    store.mutate(R.hpas, hpa.metadata.namespace, hpa.metadata.name, (o) => {
      o.status = status;
    });
  }
}
