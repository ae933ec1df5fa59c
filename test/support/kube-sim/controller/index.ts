/**
 * The control loops of the simulated cluster, run after every change (coalesced into one pass):
 * deployment controller (deployments.ts), ReplicaSet controller (replicasets.ts), the scheduler
 * and kubelet (kubelet.ts), graceful deletion (termination.ts), endpoints/EndpointSlices for
 * Services (endpoints.ts), PVC binding, PodDisruptionBudget and HPA status.
 */
import type { ImageBehavior } from '../behaviors.js';
import type { EventRecorder } from '../events.js';
import type { LogBook, LogGenerator, LogGeneratorOptions } from '../logs.js';
import type { KObj } from '../status.js';
import type { Store, WatchEvent } from '../store.js';
import { type ControllerContext, type ControllerOptions, R } from './context.js';
import { DeploymentController } from './deployments.js';
import { EndpointsController } from './endpoints.js';
import { syncHpa } from './hpa.js';
import { Kubelet } from './kubelet.js';
import { syncPdb } from './pdbs.js';
import { syncPvc } from './pvcs.js';
import { ReplicaSetController } from './replicasets.js';
import { Terminator } from './termination.js';

export { type ControllerOptions, intOrPercent, isReady } from './context.js';
export { deploymentComplete, REVISION } from './deployments.js';
export { NODE_NAMES, nodeIp, qosClass } from './pod-status.js';

export class Controllers {
  private readonly ctx: ControllerContext;
  private readonly deployments: DeploymentController;
  private readonly replicaSets: ReplicaSetController;
  private readonly kubelet: Kubelet;
  private readonly terminator: Terminator;
  private readonly endpoints: EndpointsController;
  private readonly warned = new Set<string>();
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Incremented after every reconcile pass (for waiters). */
  passes = 0;
  private readonly passListeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    logs: LogBook,
    events: EventRecorder,
    readonly opts: ControllerOptions,
  ) {
    this.ctx = {
      store,
      logs,
      events,
      opts,
      isClosed: () => this.closed,
      ts: () => store.timestamp(opts.now()),
      kick: () => this.kick(),
    };
    this.deployments = new DeploymentController(this.ctx);
    this.kubelet = new Kubelet(this.ctx);
    this.terminator = new Terminator(this.ctx);
    this.replicaSets = new ReplicaSetController(this.ctx, this.kubelet.readyAt, (ns, name) =>
      this.terminator.deletePod(ns, name),
    );
    this.endpoints = new EndpointsController(this.ctx);
    this.unsubscribe = store.subscribe((ev) => this.onEvent(ev));
  }

  /** Stops every timer; the store stays readable. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.kubelet.close();
    this.deployments.close();
    this.terminator.close();
    this.replicaSets.close();
  }

  /**
   * True when nothing is about to change by itself: no reconcile pass pending, every pod's
   * containers in their behavior's steady state, no pod terminating, no availability pending.
   * Periodic effects of failing behaviors (restarts, repeated events) do not count.
   */
  isSettled(): boolean {
    if (this.scheduled || this.terminator.podsPending() || this.replicaSets.pending()) return false;
    if (this.terminator.namespacesPending()) return false;
    return this.kubelet.settled();
  }

  /** Calls fn after each reconcile pass. */
  onPass(fn: () => void): () => void {
    this.passListeners.add(fn);
    return () => this.passListeners.delete(fn);
  }

  setImageBehavior(image: string, b: ImageBehavior): void {
    this.kubelet.setImageBehavior(image, b);
  }

  setDefaultBehavior(b: ImageBehavior): void {
    this.kubelet.setDefaultBehavior(b);
  }

  setLogGenerator(image: string, gen: LogGenerator, opts: LogGeneratorOptions = {}): void {
    this.kubelet.setLogGenerator(image, gen, opts);
  }

  behaviorFor(image: string): ImageBehavior {
    return this.kubelet.behaviorFor(image);
  }

  /** See {@link Terminator.terminatePod}. */
  terminatePod(pod: KObj): KObj | undefined {
    return this.terminator.terminatePod(pod);
  }

  /** See {@link Terminator.terminateNamespace}. */
  terminateNamespace(nsObj: KObj): KObj | undefined {
    return this.terminator.terminateNamespace(nsObj);
  }

  private onEvent(ev: WatchEvent): void {
    if (this.closed) return;
    const r = ev.resource;
    if (r === R.pods) {
      const key = `${ev.namespace}/${ev.object.metadata.name}`;
      if (ev.type === 'ADDED') this.kubelet.startPod(ev.object);
      if (ev.type === 'DELETED') {
        this.kubelet.stopPod(key);
        this.terminator.forgetPod(key);
        this.ctx.logs.dropPod(ev.namespace, ev.object.metadata.name);
      }
    }
    if (r === R.deployments && ev.type === 'DELETED') this.deployments.forget(ev.object.metadata.uid);
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
    each(this.store.list(R.deployments), (d) => this.deployments.sync(d));
    each(this.store.list(R.replicasets), (rs) => this.replicaSets.sync(rs));
    each(this.store.list(R.services), (svc) => this.endpoints.sync(svc));
    try {
      this.endpoints.cleanup();
    } catch {
      // endpoints of a deleted namespace are already gone
    }
    each(this.store.list(R.hpas), (hpa) => syncHpa(this.ctx, hpa));
    each(this.store.list(R.pvcs), (pvc) => syncPvc(this.ctx, pvc));
    each(this.store.list(R.pdbs), (pdb) => syncPdb(this.ctx, pdb));
    this.passes++;
    for (const f of [...this.passListeners]) f();
  }
}
