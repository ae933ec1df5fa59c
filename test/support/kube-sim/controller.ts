/**
 * The control loops of the simulated cluster: deployment controller (ReplicaSets per pod template,
 * RollingUpdate/Recreate, revisions, rollback reuse, progress deadline, history pruning),
 * ReplicaSet controller (pods), the scheduler and kubelet (pod lifecycle per image behavior),
 * endpoints/EndpointSlices for Services, and a minimal HPA status.
 */
import { randomBytes } from 'node:crypto';
import { defaultPodSpec, podTemplateHash, templatesEqual } from './api.js';
import { type ImageBehavior, UNSCHEDULABLE_MESSAGE } from './behaviors.js';
import type { EventRecorder } from './events.js';
import type { LogBook, LogGenerator, LogGeneratorOptions } from './logs.js';
import { clone, deepEqual, isObj } from './patch.js';
import { findResource, RESOURCES } from './resources.js';
import { labelSelectorObjectMatcher } from './selectors.js';
import type { KObj } from './status.js';
import { randomSuffix, type Store, type WatchEvent } from './store.js';

const R = {
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

export const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** The simulated cluster's nodes: pods are scheduled on them in turn. */
export const NODE_NAMES = ['kube-sim-node-1', 'kube-sim-node-2', 'kube-sim-node-3'];

/** A node's InternalIP (a pod's hostIP): 192.168.49.2 for the first node, and so on. */
export function nodeIp(name: string): string {
  return `192.168.49.${NODE_NAMES.indexOf(name) + 2}`;
}

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

interface ContainerRuntime {
  name: string;
  image: string;
  behavior: ImageBehavior;
  state: 'creating' | 'running' | 'waiting';
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID: string;
  startedAt?: string;
  lastTerminated?: KObj;
  logIndex: number;
  /** Reached its behavior's steady state (Ready, first crash, ImagePullBackOff, ...). */
  settled: boolean;
}

interface PodRuntime {
  ns: string;
  name: string;
  uid: string;
  unschedulable?: string;
  node?: string;
  ip?: string;
  startTime?: string;
  containers: ContainerRuntime[];
  timers: NodeJS.Timeout[];
  transitions: Record<string, string>;
}

function num(v: unknown): number {
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

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

function ownedBy(o: KObj, uid: string): boolean {
  return ((o.metadata?.ownerReferences ?? []) as KObj[]).some((r) => r.uid === uid && r.controller);
}

function revisionOf(rs: KObj): number {
  const v = Number(rs.metadata?.annotations?.[REVISION] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

function condition(type: string, status: string, reason: string, message: string, ts: string): KObj {
  return { type, status, lastUpdateTime: ts, lastTransitionTime: ts, reason, message };
}

/** True when the deployment status is what `kubectl rollout status` calls complete. */
export function deploymentComplete(d: KObj): boolean {
  const s = d.status ?? {};
  const want = num(d.spec?.replicas);
  return (
    num(s.updatedReplicas) === want &&
    num(s.replicas) === want &&
    num(s.availableReplicas) === want &&
    num(s.observedGeneration) >= num(d.metadata?.generation)
  );
}

export class Controllers {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly behaviors = new Map<string, ImageBehavior>();
  private defaultBehavior: ImageBehavior = { kind: 'ready' };
  private readonly generators = new Map<string, { gen: LogGenerator; opts: LogGeneratorOptions }>();
  private readonly progressMark = new Map<string, number>();
  private readonly deadlineTimers = new Map<string, NodeJS.Timeout>();
  private readonly managedEndpoints = new Set<string>();
  private readonly warned = new Set<string>();
  private readonly namespaceTimers = new Map<string, NodeJS.Timeout>();
  private readonly terminationTimers = new Map<string, NodeJS.Timeout>();
  /** When each pod became Ready (ms), for minReadySeconds. */
  private readonly readyAt = new Map<string, number>();
  /** ReplicaSets (by uid) with Ready pods still inside minReadySeconds: the re-check timer of each. */
  private readonly availabilityTimers = new Map<string, NodeJS.Timeout>();
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  private ipCounter = 10;
  private readonly unsubscribe: () => void;
  /** Incremented after every reconcile pass (for waiters). */
  passes = 0;
  private readonly passListeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly logs: LogBook,
    private readonly events: EventRecorder,
    readonly opts: ControllerOptions,
  ) {
    this.unsubscribe = store.subscribe((ev) => this.onEvent(ev));
  }

  /** Stops every timer; the store stays readable. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.scheduled) clearImmediate(this.scheduled);
    for (const p of this.pods.values()) for (const t of p.timers) clearTimeout(t);
    for (const t of this.deadlineTimers.values()) clearTimeout(t);
    for (const t of this.terminationTimers.values()) clearTimeout(t);
    for (const t of this.availabilityTimers.values()) clearTimeout(t);
    for (const t of this.namespaceTimers.values()) clearTimeout(t);
    this.pods.clear();
  }

  /**
   * True when nothing is about to change by itself: no reconcile pass pending, every pod's
   * containers in their behavior's steady state, no pod terminating, no availability pending.
   * Periodic effects of failing behaviors (restarts, repeated events) do not count.
   */
  isSettled(): boolean {
    if (this.scheduled || this.terminationTimers.size > 0 || this.availabilityTimers.size > 0) return false;
    if (this.namespaceTimers.size > 0) return false;
    for (const rt of this.pods.values()) if (!rt.containers.every((c) => c.settled)) return false;
    return true;
  }

  /** Calls fn after each reconcile pass. */
  onPass(fn: () => void): () => void {
    this.passListeners.add(fn);
    return () => this.passListeners.delete(fn);
  }

  setImageBehavior(image: string, b: ImageBehavior): void {
    this.behaviors.set(image, b);
  }

  setDefaultBehavior(b: ImageBehavior): void {
    this.defaultBehavior = b;
  }

  setLogGenerator(image: string, gen: LogGenerator, opts: LogGeneratorOptions = {}): void {
    this.generators.set(image, { gen, opts });
  }

  behaviorFor(image: string): ImageBehavior {
    const exact = this.behaviors.get(image);
    if (exact) return exact;
    for (const [pattern, b] of this.behaviors) {
      if (pattern.endsWith('*') && image.startsWith(pattern.slice(0, -1))) return b;
    }
    return this.defaultBehavior;
  }

  private onEvent(ev: WatchEvent): void {
    if (this.closed) return;
    const r = ev.resource;
    if (r === R.pods) {
      const key = `${ev.namespace}/${ev.object.metadata.name}`;
      if (ev.type === 'ADDED') this.startPod(ev.object);
      if (ev.type === 'DELETED') {
        const rt = this.pods.get(key);
        if (rt) for (const t of rt.timers) clearTimeout(t);
        this.pods.delete(key);
        this.readyAt.delete(key);
        const tt = this.terminationTimers.get(key);
        if (tt) clearTimeout(tt);
        this.terminationTimers.delete(key);
        this.logs.dropPod(ev.namespace, ev.object.metadata.name);
      }
    }
    if (r === R.deployments && ev.type === 'DELETED') {
      this.progressMark.delete(ev.object.metadata.uid);
      const t = this.deadlineTimers.get(ev.object.metadata.uid);
      if (t) clearTimeout(t);
    }
    if (
      r === R.pods ||
      r === R.deployments ||
      r === R.replicasets ||
      r === R.services ||
      r === R.hpas ||
      r === R.pvcs ||
      r === R.pdbs ||
      r === R.namespaces
    ) {
      this.kick();
    }
  }

  /** Schedules a reconcile pass (coalesced). */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.reconcile();
    });
  }

  private reconcile(): void {
    if (this.closed) return;
    const each = (list: KObj[], fn: (o: KObj) => void) => {
      for (const o of list) {
        try {
          fn(o);
        } catch (err) {
          // one broken object (for example seeded with put() and no template) never stops the others
          const msg = `kube-sim controller: ${o.kind ?? ''} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}: ${(err as Error).message}`;
          if (!this.closed && !this.warned.has(msg)) {
            this.warned.add(msg);
            process.emitWarning(msg);
          }
        }
      }
    };
    each(this.store.list(R.deployments), (d) => this.syncDeployment(d));
    each(this.store.list(R.replicasets), (rs) => this.syncReplicaSet(rs));
    each(this.store.list(R.services), (svc) => this.syncEndpoints(svc));
    try {
      this.cleanupEndpoints();
    } catch {
      // endpoints of a deleted namespace are already gone
    }
    each(this.store.list(R.hpas), (hpa) => this.syncHpa(hpa));
    each(this.store.list(R.pvcs), (pvc) => this.syncPvc(pvc));
    each(this.store.list(R.pdbs), (pdb) => this.syncPdb(pdb));
    this.passes++;
    for (const f of [...this.passListeners]) f();
  }

  private ts(): string {
    return this.store.timestamp(this.opts.now());
  }

  // ------------------------------------------------------------------------------------------
  // Deployments

  private rsFor(d: KObj): KObj[] {
    return this.store.list(R.replicasets, d.metadata.namespace).filter((rs) => ownedBy(rs, d.metadata.uid));
  }

  private scaleRs(d: KObj, rs: KObj, replicas: number, maxSurge: number): KObj {
    const from = num(rs.spec.replicas);
    const want = num(d.spec.replicas);
    const updated = this.store.mutate(R.replicasets, rs.metadata.namespace, rs.metadata.name, (o) => {
      o.spec.replicas = replicas;
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        [DESIRED]: String(want),
        [MAX_REPLICAS]: String(want + maxSurge),
      };
    });
    if (from !== replicas) {
      this.events.record({
        involvedObject: d,
        reason: 'ScalingReplicaSet',
        message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
        component: 'deployment-controller',
      });
    }
    return updated ?? rs;
  }

  private syncDeployment(d0: KObj): void {
    let d = d0;
    const ns = d.metadata.namespace;
    const uid = d.metadata.uid;
    const want = num(d.spec.replicas);
    const paused = d.spec.paused === true;
    const strategy = d.spec.strategy?.type ?? 'RollingUpdate';
    let maxSurge = 0;
    let maxUnavailable = 0;
    if (strategy === 'RollingUpdate') {
      maxSurge = intOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', want, true);
      maxUnavailable = intOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', want, false);
      if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      if (maxUnavailable > want) maxUnavailable = want;
    }
    let all = this.rsFor(d);
    let newRs = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const olds = () => all.filter((rs) => rs.metadata.uid !== newRs?.metadata.uid);
    const maxOldRevision = Math.max(0, ...olds().map(revisionOf));
    const now = this.ts();
    let progressing: KObj | undefined = (d.status?.conditions ?? []).find(
      (c: KObj) => c.type === 'Progressing',
    );
    const setProgressing = (status: string, reason: string, message: string) => {
      const keepTransition =
        progressing && progressing.status === status ? progressing.lastTransitionTime : now;
      progressing = {
        ...condition('Progressing', status, reason, message, now),
        lastTransitionTime: keepTransition,
      };
      this.progressMark.set(uid, this.opts.now());
    };
    const copiedAnnotations = () => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>)) {
        if (
          k.startsWith('deployment.kubernetes.io/') ||
          k === 'kubectl.kubernetes.io/last-applied-configuration'
        )
          continue;
        out[k] = v;
      }
      return out;
    };

    if (!paused) {
      if (!newRs) {
        const hash = podTemplateHash(d.spec.template, num(d.status?.collisionCount));
        const name = `${d.metadata.name}-${hash}`;
        const template = clone(d.spec.template);
        template.metadata = template.metadata ?? {};
        template.metadata.labels = { ...(template.metadata.labels ?? {}), 'pod-template-hash': hash };
        const existingTotal = all.reduce((n, rs) => n + num(rs.spec.replicas), 0);
        let initial = want;
        if (strategy === 'RollingUpdate' && all.length > 0) {
          initial = Math.max(0, Math.min(want, want + maxSurge - existingTotal));
        } else if (
          strategy === 'Recreate' &&
          all.some((rs) => num(rs.spec.replicas) > 0 || num(rs.status?.replicas) > 0)
        ) {
          initial = 0;
        }
        const rs: KObj = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name,
            namespace: ns,
            labels: { ...(template.metadata.labels ?? {}) },
            annotations: {
              ...copiedAnnotations(),
              [DESIRED]: String(want),
              [MAX_REPLICAS]: String(want + maxSurge),
              [REVISION]: String(maxOldRevision + 1),
            },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: d.metadata.name,
                uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas: initial,
            minReadySeconds: d.spec.minReadySeconds ?? 0,
            selector: {
              ...clone(d.spec.selector),
              matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
            },
            template,
          },
        };
        if (!rs.spec.minReadySeconds) delete rs.spec.minReadySeconds;
        if (this.store.peek(R.replicasets, ns, name)) return; // hash collision: leave it (rare)
        newRs = this.store.insert(R.replicasets, this.store.prepareCreate(R.replicasets, rs, ns));
        all = [...all, newRs];
        if (initial > 0) {
          this.events.record({
            involvedObject: d,
            reason: 'ScalingReplicaSet',
            message: `Scaled up replica set ${name} from 0 to ${initial}`,
            component: 'deployment-controller',
          });
        }
        setProgressing('True', 'NewReplicaSetCreated', `Created new replica set "${name}"`);
      } else {
        const rev = revisionOf(newRs);
        const needsRenumber = rev <= maxOldRevision && olds().length > 0;
        const wantAnn = copiedAnnotations();
        const annNeedsUpdate = Object.entries(wantAnn).some(
          ([k, v]) => newRs?.metadata.annotations?.[k] !== v,
        );
        if (needsRenumber || annNeedsUpdate) {
          const nr = newRs;
          newRs =
            this.store.mutate(R.replicasets, ns, nr.metadata.name, (o) => {
              o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...wantAnn };
              if (needsRenumber) {
                const history = o.metadata.annotations[REVISION_HISTORY];
                o.metadata.annotations[REVISION_HISTORY] = history ? `${history},${rev}` : String(rev);
                o.metadata.annotations[REVISION] = String(maxOldRevision + 1);
              }
            }) ?? newRs;
          all = all.map((rs) => (rs.metadata.uid === newRs?.metadata.uid ? (newRs as KObj) : rs));
          if (!progressing)
            setProgressing('True', 'FoundNewReplicaSet', `Found new replica set "${newRs.metadata.name}"`);
        }
      }
    }

    // Deployment annotations follow the new ReplicaSet's revision.
    if (newRs) {
      const rev = newRs.metadata.annotations?.[REVISION];
      if (rev && d.metadata.annotations?.[REVISION] !== rev) {
        d =
          this.store.mutate(R.deployments, ns, d.metadata.name, (o) => {
            o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: rev };
          }) ?? d;
      }
    }

    // Scaling.
    if (newRs) {
      if (paused) {
        // A paused deployment only follows spec.replicas on the current ReplicaSet.
        const active = all.filter((rs) => num(rs.spec.replicas) > 0);
        if (active.length === 1 && num(active[0].spec.replicas) !== want)
          this.scaleRs(d, active[0], want, maxSurge);
      } else if (strategy === 'Recreate') {
        const oldActive = olds().filter((rs) => num(rs.spec.replicas) > 0);
        for (const rs of oldActive) this.scaleRs(d, rs, 0, 0);
        const oldPods = olds().reduce((n, rs) => n + num(rs.status?.replicas), 0);
        if (oldActive.length === 0 && oldPods === 0 && num(newRs.spec.replicas) !== want) {
          newRs = this.scaleRs(d, newRs, want, 0);
        }
      } else {
        // reconcileNewReplicaSet
        const cur = num(newRs.spec.replicas);
        if (cur > want) newRs = this.scaleRs(d, newRs, want, maxSurge);
        else if (cur < want) {
          const total = all.reduce((n, rs) => n + num(rs.spec.replicas), 0);
          const up = Math.min(want + maxSurge - total, want - cur);
          if (up > 0) newRs = this.scaleRs(d, newRs, cur + up, maxSurge);
        }
        all = all.map((rs) => (rs.metadata.uid === newRs?.metadata.uid ? (newRs as KObj) : rs));
        // reconcileOldReplicaSets
        const oldList = olds().sort((a, b) => revisionOf(a) - revisionOf(b));
        const oldPodsCount = oldList.reduce((n, rs) => n + num(rs.spec.replicas), 0);
        if (oldPodsCount > 0) {
          const allPods = all.reduce((n, rs) => n + num(rs.spec.replicas), 0);
          const minAvailable = want - maxUnavailable;
          const newUnavailable = num(newRs.spec.replicas) - num(newRs.status?.availableReplicas);
          const maxScaledDown = allPods - minAvailable - newUnavailable;
          let cleaned = 0;
          if (maxScaledDown > 0) {
            for (const rs of oldList) {
              if (cleaned >= maxScaledDown) break;
              const reps = num(rs.spec.replicas);
              const avail = num(rs.status?.availableReplicas);
              if (reps === 0 || reps === avail) continue;
              const n = Math.min(maxScaledDown - cleaned, reps - avail);
              const scaled = this.scaleRs(d, rs, reps - n, maxSurge);
              rs.spec.replicas = scaled.spec.replicas;
              cleaned += n;
            }
          }
          const availableTotal = all.reduce((n, rs) => n + num(rs.status?.availableReplicas), 0);
          let budget = availableTotal - minAvailable;
          if (budget > 0) {
            for (const rs of oldList) {
              if (budget <= 0) break;
              const reps = num(rs.spec.replicas);
              if (reps === 0) continue;
              const n = Math.min(reps, budget);
              this.scaleRs(d, rs, reps - n, maxSurge);
              budget -= n;
            }
          }
        }
      }
    }

    // Status.
    all = this.rsFor(d);
    newRs = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const sum = (f: (rs: KObj) => unknown) => all.reduce((n, rs) => n + num(f(rs)), 0);
    const replicas = sum((rs) => rs.status?.replicas);
    const updated = num(newRs?.status?.replicas);
    const ready = sum((rs) => rs.status?.readyReplicas);
    const available = sum((rs) => rs.status?.availableReplicas);
    const totalSpec = sum((rs) => rs.spec.replicas);
    const status: KObj = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      unavailableReplicas: Math.max(totalSpec - available, 0),
    };
    if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
    for (const k of Object.keys(status)) if (status[k] === 0 || status[k] === undefined) delete status[k];
    const oldStatus = d.status ?? {};
    const conditions: KObj[] = clone(oldStatus.conditions ?? []);
    const setCond = (c: KObj) => {
      const i = conditions.findIndex((x) => x.type === c.type);
      if (i >= 0) {
        const prev = conditions[i];
        if (prev.status === c.status && prev.reason === c.reason && prev.message === c.message) return;
        if (prev.status === c.status) c.lastTransitionTime = prev.lastTransitionTime;
        conditions[i] = c;
      } else conditions.push(c);
    };
    if (available >= want - maxUnavailable) {
      setCond(
        condition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
        ),
      );
    } else {
      setCond(
        condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
        ),
      );
    }
    const dForCheck = { ...d, status };
    if (paused) {
      if (progressing?.reason !== 'DeploymentPaused') {
        progressing = condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now);
      }
    } else {
      if (progressing?.reason === 'DeploymentPaused') {
        setProgressing('Unknown', 'DeploymentResumed', 'Deployment is resumed');
      }
      const completeAlready = replicas === updated && progressing?.reason === 'NewReplicaSetAvailable';
      if (!completeAlready) {
        const rsName = newRs?.metadata.name;
        const oldOld = num(oldStatus.replicas) - num(oldStatus.updatedReplicas);
        const newOld = replicas - updated;
        const madeProgress =
          updated > num(oldStatus.updatedReplicas) ||
          newOld < oldOld ||
          ready > num(oldStatus.readyReplicas) ||
          available > num(oldStatus.availableReplicas);
        if (deploymentComplete(dForCheck)) {
          if (progressing?.reason !== 'NewReplicaSetAvailable') {
            setProgressing(
              'True',
              'NewReplicaSetAvailable',
              `ReplicaSet "${rsName}" has successfully progressed.`,
            );
          }
        } else if (madeProgress) {
          setProgressing(
            'True',
            'ReplicaSetUpdated',
            rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.',
          );
        } else if (progressing && progressing.reason !== 'ProgressDeadlineExceeded') {
          const deadlineMs =
            num(d.spec.progressDeadlineSeconds ?? 600) * 1000 * this.opts.progressDeadlineScale;
          const from = this.progressMark.get(uid) ?? Date.parse(progressing.lastUpdateTime);
          const due = from + deadlineMs;
          if (this.opts.now() > due) {
            setProgressing(
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${rsName}" has timed out progressing.`,
            );
          } else {
            this.armDeadline(uid, due - this.opts.now() + 5);
          }
        }
      }
    }
    if (progressing) setCond(progressing);
    const order = ['Available', 'Progressing'];
    conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    status.conditions = conditions;
    if (!deepEqual(status, d.status)) {
      d =
        this.store.mutate(R.deployments, ns, d.metadata.name, (o) => {
          o.status = status;
        }) ?? d;
    }

    // Prune history once the rollout is complete.
    if (!paused && deploymentComplete(d)) {
      const limit = num(d.spec.revisionHistoryLimit ?? 10);
      const prunable = this.rsFor(d)
        .filter((rs) => rs.metadata.uid !== newRs?.metadata.uid)
        .filter((rs) => num(rs.spec.replicas) === 0 && num(rs.status?.replicas) === 0)
        .sort((a, b) => revisionOf(a) - revisionOf(b));
      const extra = prunable.length - limit;
      for (let i = 0; i < extra; i++) {
        if (this.store.peek(R.replicasets, ns, prunable[i].metadata.name)) {
          this.store.remove(R.replicasets, ns, prunable[i].metadata.name);
        }
      }
    }
  }

  private armDeadline(uid: string, ms: number): void {
    const prev = this.deadlineTimers.get(uid);
    if (prev) clearTimeout(prev);
    const t = setTimeout(() => this.kick(), Math.max(1, ms));
    t.unref?.();
    this.deadlineTimers.set(uid, t);
  }

  /**
   * Deletes a pod the way the kubelet does when podTerminationMs > 0: the pod is marked
   * Terminating (deletionTimestamp, deletionGracePeriodSeconds), a Killing event is recorded and
   * the object goes away later. Returns the Terminating pod, or undefined to delete at once.
   */
  terminatePod(pod: KObj): KObj | undefined {
    const delay = this.opts.podTerminationMs;
    if (!(delay > 0) || this.closed) return undefined;
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    const key = `${ns}/${name}`;
    if (pod.metadata.deletionTimestamp) return this.store.get(R.pods, ns, name);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    const marked = this.store.mutate(R.pods, ns, name, (o) => {
      o.metadata.deletionTimestamp = this.store.timestamp(this.opts.now() + grace * 1000);
      o.metadata.deletionGracePeriodSeconds = grace;
    });
    for (const c of (pod.spec?.containers ?? []) as KObj[]) {
      this.events.record({
        involvedObject: marked ?? pod,
        reason: 'Killing',
        message: `Stopping container ${c.name}`,
        component: 'kubelet',
        host: pod.spec?.nodeName,
        fieldPath: `spec.containers{${c.name}}`,
      });
    }
    const t = setTimeout(() => {
      this.terminationTimers.delete(key);
      if (!this.closed && this.store.peek(R.pods, ns, name)) this.store.remove(R.pods, ns, name);
    }, delay);
    this.terminationTimers.set(key, t);
    return marked;
  }

  /**
   * Deletes a namespace the way the namespace controller does: the namespace turns Terminating
   * (new content is refused), its contents are deleted, then it goes away.
   */
  terminateNamespace(nsObj: KObj): KObj | undefined {
    if (this.closed) return undefined;
    const name = nsObj.metadata.name;
    if (nsObj.metadata.deletionTimestamp) return this.store.get(R.namespaces, undefined, name);
    const marked = this.store.mutate(R.namespaces, undefined, name, (o) => {
      o.metadata.deletionTimestamp = this.ts();
      o.status = { ...(o.status ?? {}), phase: 'Terminating' };
    });
    for (const r of RESOURCES) {
      if (r.virtual || !r.namespaced) continue;
      for (const o of this.store.peekList(r, name)) {
        if (!this.store.peek(r, name, o.metadata.name)) continue;
        if (r === R.pods) this.deletePod(name, o.metadata.name);
        else this.store.remove(r, name, o.metadata.name, true);
      }
    }
    const finish = () => {
      this.namespaceTimers.delete(name);
      if (this.closed || !this.store.peek(R.namespaces, undefined, name)) return;
      for (const r of RESOURCES) {
        if (r.virtual || !r.namespaced || r === R.pods) continue;
        for (const o of this.store.peekList(r, name)) {
          if (this.store.peek(r, name, o.metadata.name)) this.store.remove(r, name, o.metadata.name, true);
        }
      }
      if (this.store.peekList(R.pods, name).length > 0) {
        this.namespaceTimers.set(name, setTimeout(finish, 20));
        return;
      }
      this.store.remove(R.namespaces, undefined, name);
    };
    this.namespaceTimers.set(name, setTimeout(finish, Math.max(1, this.opts.namespaceTerminationMs)));
    return marked;
  }

  private deletePod(ns: string, name: string): void {
    const pod = this.store.peek(R.pods, ns, name);
    if (!pod) return;
    if (!this.terminatePod(pod)) this.store.remove(R.pods, ns, name);
  }

  // ------------------------------------------------------------------------------------------
  // ReplicaSets

  private syncReplicaSet(rs: KObj): void {
    const ns = rs.metadata.namespace;
    if (!this.store.peek(R.namespaces, undefined, ns)) return;
    const pods = this.store
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
        if (this.store.peek(R.pods, ns, name)) continue;
        const created = this.store.insert(R.pods, this.store.prepareCreate(R.pods, pod, ns));
        pods.push(created);
        this.events.record({
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
        this.events.record({
          involvedObject: rs,
          reason: 'SuccessfulDelete',
          message: `Deleted pod: ${v.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    }
    const live = this.store
      .list(R.pods, ns)
      .filter((p) => ownedBy(p, rs.metadata.uid) && !p.metadata.deletionTimestamp);
    const ready = live.filter(isReady);
    const minReadyMs = num(rs.spec.minReadySeconds) * 1000;
    const now = this.opts.now();
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
      const t = setTimeout(() => this.kick(), Math.max(1, nextCheck - now + 2));
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
      this.store.mutate(R.replicasets, ns, rs.metadata.name, (o) => {
        o.status = status;
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Pods: scheduler + kubelet

  private startPod(pod: KObj): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.pods.has(key)) return;
    if (pod.spec?.nodeName && pod.status?.phase && pod.status.phase !== 'Pending') return; // seeded with a status
    if (pod.metadata.annotations?.['kube-sim/static'] === 'true') return;
    const rt: PodRuntime = {
      ns: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      containers: ((pod.spec?.containers ?? []) as KObj[]).map((c) => ({
        name: c.name,
        image: c.image,
        behavior: this.behaviorFor(c.image),
        state: 'creating',
        waiting: { reason: 'ContainerCreating' },
        ready: false,
        started: false,
        restartCount: 0,
        containerID: '',
        logIndex: 0,
        settled: false,
      })),
      timers: [],
      transitions: {},
    };
    this.pods.set(key, rt);
    const delay = this.opts.readyDelayMs;
    const at = (ms: number, fn: () => void) => {
      const t = setTimeout(
        () => {
          if (this.closed || this.pods.get(key) !== rt) return;
          fn();
        },
        Math.max(0, ms),
      );
      rt.timers.push(t);
    };
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        if (this.closed || this.pods.get(key) !== rt) return;
        fn();
        at(ms, tick);
      };
      at(ms, tick);
    };
    const worst =
      rt.containers.find((c) => c.behavior.kind !== 'ready')?.behavior ?? rt.containers[0]?.behavior;
    if (worst?.kind === 'pending') {
      at(Math.min(10, delay), () => {
        rt.unschedulable = worst.message ?? UNSCHEDULABLE_MESSAGE;
        for (const c of rt.containers) c.settled = true;
        this.writePod(rt);
        this.podEvent(rt, 'Warning', 'FailedScheduling', rt.unschedulable, 'default-scheduler');
      });
      every(worst.restartIntervalMs ?? delay * 4, () => {
        this.podEvent(
          rt,
          'Warning',
          'FailedScheduling',
          rt.unschedulable ?? UNSCHEDULABLE_MESSAGE,
          'default-scheduler',
        );
      });
      return;
    }
    at(Math.min(10, delay / 4), () => {
      const idx = this.ipCounter++;
      rt.node = NODE_NAMES[idx % NODE_NAMES.length];
      rt.ip = `10.244.${Math.floor(idx / 250) % 250}.${(idx % 250) + 1}`;
      rt.startTime = this.ts();
      this.writePod(rt);
      this.podEvent(
        rt,
        'Normal',
        'Scheduled',
        `Successfully assigned ${rt.ns}/${rt.name} to ${rt.node}`,
        'default-scheduler',
      );
      for (const c of rt.containers) this.startContainer(rt, c, at, every);
    });
  }

  private startContainer(
    rt: PodRuntime,
    c: ContainerRuntime,
    at: (ms: number, fn: () => void) => void,
    every: (ms: number, fn: () => void) => void,
  ): void {
    const b = c.behavior;
    const delay = b.delayMs ?? this.opts.readyDelayMs;
    const interval = b.restartIntervalMs ?? Math.max(delay * 4, 50);
    const fp = `spec.containers{${c.name}}`;
    const ev = (type: 'Normal' | 'Warning', reason: string, message: string) =>
      this.podEvent(rt, type, reason, message, 'kubelet', fp);
    if (b.kind === 'imagepull') {
      ev('Normal', 'Pulling', `Pulling image "${c.image}"`);
      const pullMsg =
        b.message ??
        `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": failed to resolve reference "${c.image}": ${c.image}: not found`;
      at(delay / 2, () => {
        c.state = 'waiting';
        c.waiting = { reason: 'ErrImagePull', message: pullMsg };
        this.writePod(rt);
        ev('Warning', 'Failed', `Failed to pull image "${c.image}": ${pullMsg}`);
        ev('Warning', 'Failed', 'Error: ErrImagePull');
      });
      at(delay, () => {
        c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` };
        c.settled = true;
        this.writePod(rt);
        ev('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        ev('Warning', 'Failed', 'Error: ImagePullBackOff');
      });
      every(interval, () => {
        ev('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        ev('Warning', 'Failed', 'Error: ImagePullBackOff');
      });
      return;
    }
    ev('Normal', 'Pulling', `Pulling image "${c.image}"`);
    ev(
      'Normal',
      'Pulled',
      `Successfully pulled image "${c.image}" in 1.2s (1.2s including waiting). Image size: 52428800 bytes.`,
    );
    if (b.kind === 'createconfigerror') {
      at(delay / 2, () => {
        const msg = b.message ?? 'secret "preview-worker-secrets" not found';
        c.state = 'waiting';
        c.waiting = { reason: 'CreateContainerConfigError', message: msg };
        c.settled = true;
        this.writePod(rt);
        ev('Warning', 'Failed', `Error: ${msg}`);
      });
      every(interval, () =>
        ev('Warning', 'Failed', `Error: ${b.message ?? 'secret "preview-worker-secrets" not found'}`),
      );
      return;
    }
    const run = () => {
      c.state = 'running';
      c.waiting = undefined;
      c.started = true;
      c.containerID = containerId();
      c.startedAt = this.ts();
      ev('Normal', 'Created', `Created container: ${c.name}`);
      ev('Normal', 'Started', `Started container ${c.name}`);
      this.writeStartupLogs(rt, c);
    };
    at(delay / 2, () => {
      run();
      this.writePod(rt);
    });
    if (b.kind === 'ready') {
      at(delay, () => {
        c.ready = true;
        c.settled = true;
        this.writePod(rt);
      });
      return;
    }
    if (b.kind === 'readiness-failing') {
      at(delay, () => {
        c.settled = true;
      });
      const probe = () =>
        ev('Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503');
      at(delay, probe);
      every(interval, probe);
      return;
    }
    // crashloop / oomkilled
    const oom = b.kind === 'oomkilled';
    let backoff = 10;
    const crash = () => {
      const lines =
        b.crashLogLines ??
        (oom
          ? [JSON.stringify({ level: 30, time: this.opts.now(), msg: 'preview worker started' })]
          : [
              JSON.stringify({ level: 30, time: this.opts.now(), msg: 'preview worker started' }),
              JSON.stringify({
                level: 60,
                time: this.opts.now(),
                msg: b.message ?? 'Error: connect ECONNREFUSED 10.96.0.15:6379',
              }),
            ]);
      this.logs.append(rt.ns, rt.name, c.name, lines);
      this.logs.rotate(rt.ns, rt.name, c.name);
      const finishedAt = this.ts();
      c.lastTerminated = {
        exitCode: oom ? 137 : (b.exitCode ?? 1),
        reason: oom ? 'OOMKilled' : 'Error',
        ...(oom ? {} : { message: b.message ?? 'Error: connect ECONNREFUSED 10.96.0.15:6379' }),
        startedAt: c.startedAt ?? finishedAt,
        finishedAt,
        containerID: c.containerID || containerId(),
      };
      c.restartCount++;
      c.settled = true;
      c.state = 'waiting';
      c.ready = false;
      const podRef = `${rt.name}_${rt.ns}(${rt.uid})`;
      c.waiting = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${backoff >= 300 ? '5m0s' : `${backoff}s`} restarting failed container=${c.name} pod=${podRef}`,
      };
      backoff = Math.min(backoff * 2, 300);
      this.writePod(rt);
      ev('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef}`);
    };
    at(delay, crash);
    every(interval, () => {
      run();
      crash();
    });
  }

  private writeStartupLogs(rt: PodRuntime, c: ContainerRuntime): void {
    const g =
      this.generators.get(c.image) ??
      [...this.generators].find(([p]) => p.endsWith('*') && c.image.startsWith(p.slice(0, -1)))?.[1];
    if (!g) return;
    const n = g.opts.initialLines ?? 20;
    const t0 = this.opts.now();
    const lines: { time: number; text: string }[] = [];
    for (let i = 0; i < n; i++) {
      const time = t0 - (n - i) * 1000;
      lines.push({
        time,
        text: g.gen({ namespace: rt.ns, pod: rt.name, container: c.name, index: c.logIndex++, time }),
      });
    }
    this.logs.append(rt.ns, rt.name, c.name, lines);
    if (g.opts.intervalMs && g.opts.intervalMs > 0) {
      const key = `${rt.ns}/${rt.name}`;
      const tick = () => {
        if (this.closed || this.pods.get(key) !== rt || c.state !== 'running') return;
        const time = this.opts.now();
        this.logs.append(rt.ns, rt.name, c.name, [
          {
            time,
            text: g.gen({ namespace: rt.ns, pod: rt.name, container: c.name, index: c.logIndex++, time }),
          },
        ]);
        rt.timers.push(setTimeout(tick, g.opts.intervalMs));
      };
      rt.timers.push(setTimeout(tick, g.opts.intervalMs));
    }
  }

  private podEvent(
    rt: PodRuntime,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
  ): void {
    const pod = this.store.peek(R.pods, rt.ns, rt.name);
    if (!pod) return;
    this.events.record({ involvedObject: pod, type, reason, message, component, host: rt.node, fieldPath });
  }

  private transition(rt: PodRuntime, type: string, status: string): string {
    const key = `${type}=${status}`;
    if (!rt.transitions[key]) {
      for (const k of Object.keys(rt.transitions)) if (k.startsWith(`${type}=`)) delete rt.transitions[k];
      rt.transitions[key] = this.ts();
    }
    return rt.transitions[key];
  }

  /** Builds the pod status from the runtime and writes it. */
  private writePod(rt: PodRuntime): void {
    const cond = (type: string, status: string, reason?: string, message?: string) => ({
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: this.transition(rt, type, status),
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    });
    this.store.mutate(R.pods, rt.ns, rt.name, (pod) => {
      const qos = qosClass(pod.spec);
      if (rt.unschedulable) {
        pod.status = {
          phase: 'Pending',
          conditions: [cond('PodScheduled', 'False', 'Unschedulable', rt.unschedulable)],
          qosClass: qos,
        };
        return;
      }
      pod.spec.nodeName = rt.node;
      const allReady = rt.containers.every((c) => c.ready);
      const key = `${rt.ns}/${rt.name}`;
      if (allReady && !this.readyAt.has(key)) this.readyAt.set(key, this.opts.now());
      if (!allReady) this.readyAt.delete(key);
      const notReady = rt.containers.filter((c) => !c.ready).map((c) => c.name);
      const anyStarted = rt.containers.some((c) => c.started);
      const notReadyMsg = `containers with unready status: [${notReady.join(' ')}]`;
      const hostIP = nodeIp(rt.node ?? '');
      pod.status = {
        phase: anyStarted ? 'Running' : 'Pending',
        conditions: [
          cond('PodReadyToStartContainers', 'True'),
          cond('Initialized', 'True'),
          allReady ? cond('Ready', 'True') : cond('Ready', 'False', 'ContainersNotReady', notReadyMsg),
          allReady
            ? cond('ContainersReady', 'True')
            : cond('ContainersReady', 'False', 'ContainersNotReady', notReadyMsg),
          cond('PodScheduled', 'True'),
        ],
        hostIP,
        hostIPs: [{ ip: hostIP }],
        podIP: rt.ip,
        podIPs: [{ ip: rt.ip }],
        startTime: rt.startTime,
        containerStatuses: rt.containers.map((c) => {
          const state: KObj =
            c.state === 'running'
              ? { running: { startedAt: c.startedAt } }
              : {
                  waiting: {
                    reason: c.waiting?.reason ?? 'ContainerCreating',
                    ...(c.waiting?.message ? { message: c.waiting.message } : {}),
                  },
                };
          return {
            name: c.name,
            state,
            lastState: c.lastTerminated ? { terminated: clone(c.lastTerminated) } : {},
            ready: c.ready,
            restartCount: c.restartCount,
            image: c.image,
            imageID: c.started ? `${c.image.split(':')[0]}@sha256:${'0'.repeat(64)}` : '',
            ...(c.containerID && c.state === 'running' ? { containerID: c.containerID } : {}),
            started: c.state === 'running',
          };
        }),
        qosClass: qos,
      };
    });
  }

  // ------------------------------------------------------------------------------------------
  // Services → Endpoints and EndpointSlices

  private syncEndpoints(svc: KObj): void {
    const sel = svc.spec?.selector;
    if (!isObj(sel) || Object.keys(sel).length === 0) return;
    const ns = svc.metadata.namespace;
    const matcher = labelSelectorObjectMatcher({ matchLabels: sel });
    const pods = this.store.peekList(R.pods, ns).filter((p) => matcher(p.metadata.labels) && p.status?.podIP);
    const ports = ((svc.spec.ports ?? []) as KObj[]).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: resolveTargetPort(p, pods[0]),
      protocol: p.protocol ?? 'TCP',
    }));
    const addr = (p: KObj) => ({
      ip: p.status.podIP,
      nodeName: p.spec.nodeName,
      targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
    });
    const active = pods.filter((p) => !p.metadata.deletionTimestamp);
    const readyPods = active.filter(isReady);
    const notReadyPods = active.filter((p) => !isReady(p));
    const ep: KObj = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc.metadata.name, namespace: ns, labels: { ...(svc.metadata.labels ?? {}) } },
    };
    if (active.length) {
      const subset: KObj = {};
      if (readyPods.length) subset.addresses = readyPods.map(addr);
      if (notReadyPods.length) subset.notReadyAddresses = notReadyPods.map(addr);
      subset.ports = ports;
      ep.subsets = [subset];
    }
    this.managedEndpoints.add(`${ns}/${svc.metadata.name}`);
    const existing = this.store.peek(R.endpoints, ns, svc.metadata.name);
    if (!existing) this.store.insert(R.endpoints, this.store.prepareCreate(R.endpoints, ep, ns));
    else if (
      !deepEqual(existing.subsets, ep.subsets) ||
      !deepEqual(existing.metadata.labels, ep.metadata.labels)
    ) {
      this.store.mutate(R.endpoints, ns, svc.metadata.name, (o) => {
        o.metadata.labels = ep.metadata.labels;
        if (ep.subsets) o.subsets = ep.subsets;
        else delete o.subsets;
      });
    }
    const sliceName = `${svc.metadata.name}-${svc.metadata.uid.replace(/[^a-z0-9]/g, '').slice(0, 5)}`;
    const slice: KObj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: sliceName,
        namespace: ns,
        labels: {
          ...(svc.metadata.labels ?? {}),
          'kubernetes.io/service-name': svc.metadata.name,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: svc.metadata.name,
            uid: svc.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      addressType: 'IPv4',
      endpoints: pods.map((p) => ({
        addresses: [p.status.podIP],
        conditions: {
          ready: isReady(p) && !p.metadata.deletionTimestamp,
          serving: isReady(p),
          terminating: !!p.metadata.deletionTimestamp,
        },
        targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
        nodeName: p.spec.nodeName,
      })),
      ports,
    };
    const es = this.store.peek(R.slices, ns, sliceName);
    if (!es) this.store.insert(R.slices, this.store.prepareCreate(R.slices, slice, ns));
    else if (!deepEqual(es.endpoints, slice.endpoints) || !deepEqual(es.ports, slice.ports)) {
      this.store.mutate(R.slices, ns, sliceName, (o) => {
        o.endpoints = slice.endpoints;
        o.ports = slice.ports;
      });
    }
  }

  private cleanupEndpoints(): void {
    for (const key of [...this.managedEndpoints]) {
      const [ns, name] = key.split('/');
      if (this.store.peek(R.services, ns, name)) continue;
      this.managedEndpoints.delete(key);
      if (this.store.peek(R.endpoints, ns, name)) this.store.remove(R.endpoints, ns, name);
    }
  }

  // ------------------------------------------------------------------------------------------
  // PersistentVolumeClaims bind at once (a dynamic provisioner that always succeeds)

  private syncPvc(pvc: KObj): void {
    if (pvc.status?.phase === 'Bound') return;
    const volumeName = `pvc-${pvc.metadata.uid}`;
    this.store.mutate(R.pvcs, pvc.metadata.namespace, pvc.metadata.name, (o) => {
      o.spec.volumeName ??= volumeName;
      o.spec.storageClassName ??= 'standard';
      o.spec.volumeMode ??= 'Filesystem';
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.kubernetes.io/storage-provisioner': 'kube-sim.io/provisioner',
      };
      o.status = {
        phase: 'Bound',
        accessModes: o.spec.accessModes ?? ['ReadWriteOnce'],
        capacity: { storage: o.spec.resources?.requests?.storage ?? '1Gi' },
      };
    });
    const bound = this.store.peek(R.pvcs, pvc.metadata.namespace, pvc.metadata.name);
    if (bound) {
      this.events.record({
        involvedObject: bound,
        reason: 'ProvisioningSucceeded',
        message: `Successfully provisioned volume ${volumeName}`,
        component: 'kube-sim.io/provisioner',
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // PodDisruptionBudget status

  private syncPdb(pdb: KObj): void {
    const ns = pdb.metadata.namespace;
    const matcher = labelSelectorObjectMatcher(pdb.spec?.selector);
    const pods = this.store
      .peekList(R.pods, ns)
      .filter((p) => matcher(p.metadata.labels) && !p.metadata.deletionTimestamp);
    const expected = pods.length;
    const healthy = pods.filter(isReady).length;
    let desired = 0;
    if (pdb.spec?.minAvailable !== undefined) desired = intOrPercent(pdb.spec.minAvailable, expected, true);
    else if (pdb.spec?.maxUnavailable !== undefined) {
      desired = Math.max(0, expected - intOrPercent(pdb.spec.maxUnavailable, expected, true));
    }
    const allowed = Math.max(0, healthy - desired);
    const prev = ((pdb.status?.conditions ?? []) as KObj[]).find((c) => c.type === 'DisruptionAllowed');
    const condStatus = allowed > 0 ? 'True' : 'False';
    const status: KObj = {
      observedGeneration: pdb.metadata.generation,
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: condStatus,
          reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: pdb.metadata.generation,
          lastTransitionTime: prev && prev.status === condStatus ? prev.lastTransitionTime : this.ts(),
        },
      ],
    };
    if (!deepEqual(status, pdb.status)) {
      this.store.mutate(R.pdbs, ns, pdb.metadata.name, (o) => {
        o.status = status;
      });
    }
  }

  // ------------------------------------------------------------------------------------------
  // HPA status

  private syncHpa(hpa: KObj): void {
    const ref = hpa.spec?.scaleTargetRef;
    if (ref?.kind !== 'Deployment') return;
    const d = this.store.peek(R.deployments, hpa.metadata.namespace, ref.name);
    const now = this.ts();
    const metricsOk = this.opts.metricsAvailable();
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
      this.store.mutate(R.hpas, hpa.metadata.namespace, hpa.metadata.name, (o) => {
        o.status = status;
      });
    }
  }
}

/** True when the pod's Ready condition is True. */
export function isReady(p: KObj): boolean {
  return ((p.status?.conditions ?? []) as KObj[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

function resolveTargetPort(p: KObj, pod: KObj | undefined): number {
  const tp = p.targetPort ?? p.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(String(tp))) return Number(tp);
  for (const c of (pod?.spec?.containers ?? []) as KObj[]) {
    for (const cp of (c.ports ?? []) as KObj[]) if (cp.name === tp) return cp.containerPort;
  }
  return p.port;
}

/** The pod's QoS class from its containers' requests and limits. */
export function qosClass(spec: KObj | undefined): string {
  const cs = (spec?.containers ?? []) as KObj[];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
