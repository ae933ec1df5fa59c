/**
 * The Deployment and its pods as the status snapshot shows them (DeploymentSummary, PodSummary),
 * and the small helpers the other summaries share: conditions, timestamps, name order, readiness.
 * Pure.
 */
import type { V1Deployment, V1DeploymentStatus, V1Pod } from '@kubernetes/client-node';
import { classifyPodHealth, type PodEventLike, podStatusLabel } from '../kube/pod-health.js';
import { deploymentRevision, deploymentRolloutStatus, labelSelectorToString } from '../kube/rollout.js';
import type { ConditionSummary, DeploymentSummary, PodSummary } from './status-types.js';

/** A timestamp as ISO text: the JSON transport gives strings, client-node's types say Date. */
export const toIso = (t: unknown): string | undefined =>
  typeof t === 'string' ? t : t instanceof Date ? t.toISOString() : undefined;

/** The fields of a Deployment, pod or HPA condition the snapshot keeps. */
interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: Date | string;
}

export function conditions(list: ConditionLike[] | undefined): ConditionSummary[] {
  return (list ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: toIso(c.lastTransitionTime),
  }));
}

export function isPodReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function sortByName<T extends { metadata?: { name?: string } }>(items: T[]): T[] {
  // Kubernetes names are lower-case letters, digits, '-' and '.', which sort the same by code unit
  // as by localeCompare; the first localeCompare call costs ~7 ms (ICU collator set-up) per process.
  return [...items].sort((a, b) => {
    const x = String(a.metadata?.name);
    const y = String(b.metadata?.name);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

// The API server always sets an object's name and a container's image; the summaries' types say so
// (the assertions below), and an object without them shows them as missing, as it always has.

/** Summarise a Deployment object. */
export function summarizeDeployment(d: V1Deployment): DeploymentSummary {
  const st: V1DeploymentStatus = d.status ?? {};
  return {
    name: d.metadata?.name as string,
    images: (d.spec?.template?.spec?.containers ?? []).map((c) => c.image!),
    revision: deploymentRevision(d),
    generation: d.metadata?.generation,
    observedGeneration: st.observedGeneration,
    paused: d.spec?.paused === true,
    selector: labelSelectorToString(d.spec?.selector),
    replicas: {
      desired: d.spec?.replicas ?? 1,
      current: st.replicas ?? 0,
      updated: st.updatedReplicas ?? 0,
      ready: st.readyReplicas ?? 0,
      available: st.availableReplicas ?? 0,
      unavailable: st.unavailableReplicas ?? 0,
    },
    rollout: deploymentRolloutStatus(d),
    conditions: conditions(st.conditions),
    createdAt: toIso(d.metadata?.creationTimestamp),
  };
}

/** Summarise pods with their health classification. */
export function summarizePods(
  pods: V1Pod[],
  events: PodEventLike[],
  now: number,
  pendingTimeoutMs: number,
): PodSummary[] {
  return pods.map((pod) => {
    const podEvents = events.filter(
      (e) => e.involvedObject?.kind === 'Pod' && e.involvedObject?.name === pod.metadata?.name,
    );
    const health = classifyPodHealth(pod, { now, events: podEvents, pendingTimeoutMs });
    return {
      name: pod.metadata?.name as string,
      phase: pod.status?.phase ?? 'Unknown',
      status: podStatusLabel(pod, health),
      ready: `${health.readyContainers}/${health.totalContainers}`,
      restarts: health.restarts,
      lastRestartAt: health.lastRestartAt,
      createdAt: toIso(pod.metadata?.creationTimestamp),
      node: pod.spec?.nodeName,
      images: (pod.spec?.containers ?? []).map((c) => c.image!),
      revision: pod.metadata?.labels?.['pod-template-hash'],
      health,
    };
  });
}
