/**
 * Graceful deletion: pods stay Terminating for podTerminationMs (deletionTimestamp, Killing
 * events) before they go; a deleted namespace is Terminating while its contents are deleted, and
 * goes once its pods are gone.
 */
import { RESOURCES } from '../resources.js';
import type { KObj } from '../status.js';
import { type ControllerContext, R } from './context.js';

export class Terminator {
  private readonly namespaceTimers = new Map<string, NodeJS.Timeout>();
  private readonly terminationTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: ControllerContext) {}

  /** Clears every timer. */
  close(): void {
    for (const t of this.terminationTimers.values()) clearTimeout(t);
    for (const t of this.namespaceTimers.values()) clearTimeout(t);
  }

  /** True while a pod is Terminating. */
  podsPending(): boolean {
    return this.terminationTimers.size > 0;
  }

  /** True while a namespace is Terminating. */
  namespacesPending(): boolean {
    return this.namespaceTimers.size > 0;
  }

  /** Forgets a pod that is gone (`ns/name`). */
  forgetPod(key: string): void {
    const tt = this.terminationTimers.get(key);
    if (tt) clearTimeout(tt);
    this.terminationTimers.delete(key);
  }

  /**
   * Deletes a pod the way the kubelet does when podTerminationMs > 0: the pod is marked
   * Terminating (deletionTimestamp, deletionGracePeriodSeconds), a Killing event is recorded and
   * the object goes away later. Returns the Terminating pod, or undefined to delete at once.
   */
  terminatePod(pod: KObj): KObj | undefined {
    const { store, opts } = this.ctx;
    const delay = opts.podTerminationMs;
    if (!(delay > 0) || this.ctx.isClosed()) return undefined;
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    const key = `${ns}/${name}`;
    if (pod.metadata.deletionTimestamp) return store.get(R.pods, ns, name);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    const marked = store.mutate(R.pods, ns, name, (o) => {
      o.metadata.deletionTimestamp = store.timestamp(opts.now() + grace * 1000);
      o.metadata.deletionGracePeriodSeconds = grace;
    });
    for (const c of (pod.spec?.containers ?? []) as KObj[]) {
      this.ctx.events.record({
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
      if (!this.ctx.isClosed() && store.peek(R.pods, ns, name)) store.remove(R.pods, ns, name);
    }, delay);
    this.terminationTimers.set(key, t);
    return marked;
  }

  /**
   * Deletes a namespace the way the namespace controller does: the namespace turns Terminating
   * (new content is refused), its contents are deleted, then it goes away.
   */
  terminateNamespace(nsObj: KObj): KObj | undefined {
    const { store } = this.ctx;
    if (this.ctx.isClosed()) return undefined;
    const name = nsObj.metadata.name;
    if (nsObj.metadata.deletionTimestamp) return store.get(R.namespaces, undefined, name);
    const marked = store.mutate(R.namespaces, undefined, name, (o) => {
      o.metadata.deletionTimestamp = this.ctx.ts();
      o.status = { ...(o.status ?? {}), phase: 'Terminating' };
    });
    for (const r of RESOURCES) {
      if (r.virtual || !r.namespaced) continue;
      for (const o of store.peekList(r, name)) {
        if (!store.peek(r, name, o.metadata.name)) continue;
        if (r === R.pods) this.deletePod(name, o.metadata.name);
        else store.remove(r, name, o.metadata.name, true);
      }
    }
    const finish = () => {
      this.namespaceTimers.delete(name);
      if (this.ctx.isClosed() || !store.peek(R.namespaces, undefined, name)) return;
      for (const r of RESOURCES) {
        if (r.virtual || !r.namespaced || r === R.pods) continue;
        for (const o of store.peekList(r, name)) {
          if (store.peek(r, name, o.metadata.name)) store.remove(r, name, o.metadata.name, true);
        }
      }
      if (store.peekList(R.pods, name).length > 0) {
        this.namespaceTimers.set(name, setTimeout(finish, 20));
        return;
      }
      store.remove(R.namespaces, undefined, name);
    };
    this.namespaceTimers.set(name, setTimeout(finish, Math.max(1, this.ctx.opts.namespaceTerminationMs)));
    return marked;
  }

  /** Deletes a pod gracefully when podTerminationMs > 0, else at once. */
  deletePod(ns: string, name: string): void {
    const pod = this.ctx.store.peek(R.pods, ns, name);
    if (!pod) return;
    if (!this.terminatePod(pod)) this.ctx.store.remove(R.pods, ns, name);
  }
}
