/**
 * What every control loop of the simulated cluster shares: the store, the log book, the event
 * recorder, the options, the clock, and a way to ask for another reconcile pass; plus the
 * resource definitions they watch and the small helpers they all use.
 */
import type { EventRecorder } from '../events.js';
import type { LogBook } from '../logs.js';
import { findResource } from '../resources.js';
import type { KObj } from '../status.js';
import type { Store } from '../store.js';

export const R = {
  pods: findResource('', 'v1', 'pods')!,
  services: findResource('', 'v1', 'services')!,
  endpoints: findResource('', 'v1', 'endpoints')!,
  slices: findResource('discovery.k8s.io', 'v1', 'endpointslices')!,
  deployments: findResource('apps', 'v1', 'deployments')!,
  replicasets: findResource('apps', 'v1', 'replicasets')!,
  hpas: findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!,
  pvcs: findResource('', 'v1', 'persistentvolumeclaims')!,
  pdbs: findResource('policy', 'v1', 'poddisruptionbudgets')!,
  namespaces: findResource('', 'v1', 'namespaces')!,
};

/** Options of the control loops. */
export interface ControllerOptions {
  /** Creation → Ready for `ready` pods (ms). */
  readyDelayMs: number;
  /** Multiplies progressDeadlineSeconds (0.01 makes 600 s into 6 s). */
  progressDeadlineScale: number;
  now: () => number;
  /** Whether metrics.k8s.io is served (affects the HPA's ScalingActive condition). */
  metricsAvailable: () => boolean;
  /** How long a deleted pod stays Terminating before it is gone (0: at once). */
  podTerminationMs: number;
  /** How long a deleted namespace stays Terminating (at least until its pods are gone). */
  namespaceTerminationMs: number;
}

/** The shared handles of the control loops (built once by {@link Controllers}). */
export interface ControllerContext {
  readonly store: Store;
  readonly logs: LogBook;
  readonly events: EventRecorder;
  readonly opts: ControllerOptions;
  /** True once the controllers were closed: timers that still fire do nothing. */
  isClosed(): boolean;
  /** Now as an API timestamp. */
  ts(): string;
  /** Schedules a reconcile pass (coalesced). */
  kick(): void;
}

export function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Resolves an int-or-percent (maxSurge / maxUnavailable) against a total. */
export function intOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const f = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(f) : Math.floor(f);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

/** True when `uid` is the controlling owner of o. */
export function ownedBy(o: KObj, uid: string): boolean {
  return ((o.metadata?.ownerReferences ?? []) as KObj[]).some((r) => r.uid === uid && r.controller);
}

/** True when the pod's Ready condition is True. */
export function isReady(p: KObj): boolean {
  return ((p.status?.conditions ?? []) as KObj[]).some((c) => c.type === 'Ready' && c.status === 'True');
}
