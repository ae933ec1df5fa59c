/**
 * The ReplicaSet controller: creates and deletes pods towards spec.replicas (unscheduled, pending
 * and unready pods go first on a scale-down), and writes the status counts, with availability
 * after minReadySeconds.
 */
import { defaultPodSpec } from '../defaults.js';
import { clone, deepEqual } from '../patch.js';
import type { KObj } from '../status.js';
import { randomSuffix } from '../store.js';
import { type ControllerContext, isReady, num, ownedBy, R } from './context.js';
import { qosClass } from './pod-status.js';

export class ReplicaSetController {
  /** ReplicaSets (by uid) with Ready pods still inside minReadySeconds: the re-check timer of each. */
  private readonly availabilityTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ctx: ControllerContext,
    /** When each pod (`ns/name`) became Ready (ms), kept by the kubelet. */
    private readonly readyAt: ReadonlyMap<string, number>,
    private readonly deletePod: (ns: string, name: string) => void,
  ) {}

  /** Clears every timer. */
  close(): void {
    for (const t of this.availabilityTimers.values()) clearTimeout(t);
  }

  /** True while a ReplicaSet waits for pods to become available. */
  pending(): boolean {
    return this.availabilityTimers.size > 0;
  }

  sync(rs: KObj): void {
    const { store, events } = this.ctx;
    const ns = rs.metadata.namespace;
    if (!store.peek(R.namespaces, undefined, ns)) return;
    const pods = store
      .list(R.pods, ns)
      .filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const want = num(rs.spec.replicas);
    if (pods.length < want) {
      for (let i = pods.length; i < want; i++) {
        const template = clone(rs.spec.template ?? {});
        const spec = template.spec ?? {};
        defaultPodSpec(spec);
        spec.serviceAccountName ??= 'default';
        spec.serviceAccount ??= spec.serviceAccountName;
        spec.enableServiceLinks ??= true;
        spec.priority ??= 0;
        spec.preemptionPolicy ??= 'PreemptLowerPriority';
        const name = `${rs.metadata.name}-${randomSuffix()}`;
        const pod: KObj = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            generateName: `${rs.metadata.name}-`,
            namespace: ns,
            labels: { ...(template.metadata?.labels ?? {}) },
            ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: rs.metadata.name,
                uid: rs.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec,
          status: { phase: 'Pending', qosClass: qosClass(spec) },
        };
        if (store.peek(R.pods, ns, name)) continue;
        const created = store.insert(R.pods, store.prepareCreate(R.pods, pod, ns));
        pods.push(created);
        events.record({
          involvedObject: rs,
          reason: 'SuccessfulCreate',
          message: `Created pod: ${name}`,
          component: 'replicaset-controller',
        });
      }
    } else if (pods.length > want) {
      const rank = (p: KObj) => {
        if (!p.spec.nodeName) return 0;
        if (p.status?.phase === 'Pending') return 1;
        if (!isReady(p)) return 2;
        return 3;
      };
      const victims = [...pods]
        .sort(
          (a, b) =>
            rank(a) - rank(b) ||
            String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
        )
        .slice(0, pods.length - want);
      for (const v of victims) {
        this.deletePod(ns, v.metadata.name);
        events.record({
          involvedObject: rs,
          reason: 'SuccessfulDelete',
          message: `Deleted pod: ${v.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    }
    this.writeStatus(rs);
  }

  private writeStatus(rs: KObj): void {
    const { store } = this.ctx;
    const ns = rs.metadata.namespace;
    const live = store
      .list(R.pods, ns)
      .filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const ready = live.filter(isReady);
    const minReadyMs = num(rs.spec.minReadySeconds) * 1000;
    const now = this.ctx.opts.now();
    let available = 0;
    let nextCheck = Number.POSITIVE_INFINITY;
    for (const p of ready) {
      const since = this.readyAt.get(`${ns}/${p.metadata.name}`) ?? 0;
      if (now - since >= minReadyMs) available++;
      else nextCheck = Math.min(nextCheck, since + minReadyMs);
    }
    const prev = this.availabilityTimers.get(rs.metadata.uid);
    if (prev) clearTimeout(prev);
    if (Number.isFinite(nextCheck)) {
      const t = setTimeout(() => this.ctx.kick(), Math.max(1, nextCheck - now + 2));
      this.availabilityTimers.set(rs.metadata.uid, t);
    } else {
      this.availabilityTimers.delete(rs.metadata.uid);
    }
    const status: KObj = {
      replicas: live.length,
      fullyLabeledReplicas: live.length,
      readyReplicas: ready.length,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation,
    };
    for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
      if (!status[k]) delete status[k];
    if (!deepEqual(status, rs.status)) {
      store.mutate(R.replicasets, ns, rs.metadata.name, (o) => {
        o.status = status;
      });
    }
  }
}
