/**
 * Resource use per pod (metrics.k8s.io's PodMetrics) against the pods' container requests and
 * limits, as the status snapshot shows it. Pure.
 */
import type { V1Pod, V1ResourceRequirements } from '@kubernetes/client-node';
import { tryParseQuantityNumber } from '../kube/quantity.js';
import type { PodMetrics } from '../kube/resources/cluster.js';
import type { PodResources, ResourceFigure } from './status-types.js';
import { sortByName } from './summarize.js';

function pct(usage: number, of: number | undefined): number | undefined {
  if (of === undefined || of <= 0) return undefined;
  return Math.round((usage / of) * 1000) / 10;
}

function figure(usage: number, request: number | undefined, limit: number | undefined): ResourceFigure {
  return { usage, request, limit, pctOfRequest: pct(usage, request), pctOfLimit: pct(usage, limit) };
}

/** Resource use per pod from a PodMetricsList against the pods' container requests and limits. */
export function computeResources(pods: V1Pod[], podMetrics: PodMetrics[]): PodResources[] {
  const byName = new Map(pods.map((p) => [p.metadata?.name, p]));
  const out: PodResources[] = [];
  for (const m of sortByName(podMetrics)) {
    const pod = byName.get(m.metadata?.name);
    if (!pod) continue;
    const specs = new Map<string | undefined, V1ResourceRequirements>(
      (pod.spec?.containers ?? []).map((c) => [c.name, c.resources ?? {}]),
    );
    const containers = (m.containers ?? []).map((c) => {
      const res: V1ResourceRequirements = specs.get(c.name) ?? {};
      return {
        // metrics-server always names the pod and its containers.
        name: c.name!,
        cpu: figure(
          tryParseQuantityNumber(c.usage?.cpu) ?? 0,
          tryParseQuantityNumber(res.requests?.cpu),
          tryParseQuantityNumber(res.limits?.cpu),
        ),
        memory: figure(
          tryParseQuantityNumber(c.usage?.memory) ?? 0,
          tryParseQuantityNumber(res.requests?.memory),
          tryParseQuantityNumber(res.limits?.memory),
        ),
      };
    });
    const total = (key: 'cpu' | 'memory', field: 'request' | 'limit'): number | undefined => {
      // A pod total exists only when every container has the value.
      let sum = 0;
      for (const c of containers) {
        const v = c[key][field];
        if (v === undefined) return undefined;
        sum += v;
      }
      return containers.length ? sum : undefined;
    };
    const usage = (key: 'cpu' | 'memory') => containers.reduce((s, c) => s + c[key].usage, 0);
    out.push({
      pod: m.metadata?.name as string,
      cpu: figure(usage('cpu'), total('cpu', 'request'), total('cpu', 'limit')),
      memory: figure(usage('memory'), total('memory', 'request'), total('memory', 'limit')),
      containers,
    });
  }
  return out;
}
