/**
 * The recent Warning events about the worker's Deployment, its ReplicaSets and its pods, as the
 * status snapshot shows them. Pure.
 */
import type { CoreV1Event, V1ObjectReference, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { EventSummary } from './status-types.js';

/**
 * An Event as read from core/v1, also accepting events.k8s.io/v1's names for the object and the
 * text (`regarding`, `note`) when those are what an API server sends.
 */
export type WarningEvent = Omit<CoreV1Event, 'involvedObject'> & {
  involvedObject?: V1ObjectReference;
  regarding?: V1ObjectReference;
  note?: string;
};

const objectOf = (e: WarningEvent): V1ObjectReference => e.involvedObject ?? e.regarding ?? {};

/** When the event last happened (ms; 0 when it says nothing usable). */
export function eventTime(e: WarningEvent): number {
  const t =
    e.lastTimestamp ??
    e.eventTime ??
    e.series?.lastObservedTime ??
    e.firstTimestamp ??
    e.metadata?.creationTimestamp;
  // The JSON transport gives strings; String() is what Date.parse does to its argument anyway.
  const ms = t ? Date.parse(String(t)) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * Whether a pod name is one the Deployment's ReplicaSets give their pods: `<replicaset>-<5>`, where
 * the ReplicaSet is `<deployment>-<pod-template-hash>`. A pod of another Deployment whose name only
 * starts the same (`preview-worker-canary-…` beside `preview-worker`) is not one.
 */
function isPodNameOf(name: string, deployment: string, rsNames: Set<string | undefined>): boolean {
  const cut = name.lastIndexOf('-');
  if (cut < 0 || name.length - cut - 1 !== 5) return false;
  const rs = name.slice(0, cut);
  if (rsNames.has(rs)) return true;
  return rs.startsWith(`${deployment}-`) && /^[a-z0-9]{1,10}$/.test(rs.slice(deployment.length + 1));
}

/**
 * The events since `since` about the Deployment, the ReplicaSets it owns and its pods (those
 * listed, and pods already gone whose name is that of one of its ReplicaSets' pods).
 */
export function workloadEvents(
  events: WarningEvent[],
  deployment: string,
  replicaSets: V1ReplicaSet[],
  pods: V1Pod[],
  since: number,
): WarningEvent[] {
  const podNames = new Set(pods.map((p) => p.metadata?.name));
  const rsNames = new Set(
    replicaSets
      .filter((rs) =>
        (rs.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && o.name === deployment),
      )
      .map((rs) => rs.metadata?.name),
  );
  return events.filter((e) => {
    const o = objectOf(e);
    if (eventTime(e) < since) return false;
    return (
      (o.kind === 'Deployment' && o.name === deployment) ||
      (o.kind === 'ReplicaSet' && rsNames.has(o.name)) ||
      (o.kind === 'Pod' && (podNames.has(o.name) || isPodNameOf(String(o.name), deployment, rsNames)))
    );
  });
}

/** The events newest first, as the snapshot lists them. */
export function summarizeEvents(events: WarningEvent[]): EventSummary[] {
  return [...events]
    .sort((a, b) => eventTime(b) - eventTime(a))
    .map((e) => {
      const o = objectOf(e);
      return {
        // Warning events always have a type and a reason.
        type: e.type!,
        reason: e.reason!,
        object: `${String(o.kind ?? '').toLowerCase()}/${o.name}`,
        message: String(e.message ?? e.note ?? '').trim(),
        count: e.count ?? e.series?.count ?? 1,
        lastSeen: (() => {
          const t = eventTime(e);
          return t ? new Date(t).toISOString() : undefined;
        })(),
      };
    });
}
