/**
 * The deployment controller: one sync pass per Deployment, in phases (deployment-rollout.ts, then
 * deployment-status.ts), and the progress-deadline timers that re-run the loop when a stuck
 * rollout's deadline passes.
 */
import { templatesEqual } from '../defaults.js';
import type { KObj } from '../status.js';
import { type ControllerContext, intOrPercent, num, ownedBy, R } from './context.js';
import {
  condition,
  DESIRED,
  type DeploymentOps,
  type DeploymentPass,
  MAX_REPLICAS,
  revisionOf,
} from './deployment-pass.js';
import { followRevision, scaleReplicaSets, syncNewReplicaSet } from './deployment-rollout.js';
import { pruneHistory, writeDeploymentStatus } from './deployment-status.js';

export { deploymentComplete, REVISION } from './deployment-pass.js';

export class DeploymentController implements DeploymentOps {
  private readonly progressMark = new Map<string, number>();
  private readonly deadlineTimers = new Map<string, NodeJS.Timeout>();

  constructor(readonly ctx: ControllerContext) {}

  /** Clears every deadline timer. */
  close(): void {
    for (const t of this.deadlineTimers.values()) clearTimeout(t);
  }

  /** Forgets a deleted Deployment's progress mark and deadline. */
  forget(uid: string): void {
    this.progressMark.delete(uid);
    const t = this.deadlineTimers.get(uid);
    if (t) clearTimeout(t);
  }

  rsFor(d: KObj): KObj[] {
    return this.ctx.store
      .list(R.replicasets, d.metadata.namespace)
      .filter((rs) => ownedBy(rs, d.metadata.uid));
  }

  scaleRs(d: KObj, rs: KObj, replicas: number, maxSurge: number): KObj {
    const from = num(rs.spec.replicas);
    const want = num(d.spec.replicas);
    const updated = this.ctx.store.mutate(R.replicasets, rs.metadata.namespace, rs.metadata.name, (o) => {
      o.spec.replicas = replicas;
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        [DESIRED]: String(want),
        [MAX_REPLICAS]: String(want + maxSurge),
      };
    });
    if (from !== replicas) {
      this.ctx.events.record({
        involvedObject: d,
        reason: 'ScalingReplicaSet',
        message: `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
        component: 'deployment-controller',
      });
    }
    return updated ?? rs;
  }

  setProgressing(pass: DeploymentPass, status: string, reason: string, message: string): void {
    const progressing = pass.progressing;
    const keepTransition =
      progressing && progressing.status === status ? progressing.lastTransitionTime : pass.now;
    pass.progressing = {
      ...condition('Progressing', status, reason, message, pass.now),
      lastTransitionTime: keepTransition,
    };
    this.progressMark.set(pass.uid, this.ctx.opts.now());
  }

  progressMarkOf(uid: string): number | undefined {
    return this.progressMark.get(uid);
  }

  armDeadline(uid: string, ms: number): void {
    const prev = this.deadlineTimers.get(uid);
    if (prev) clearTimeout(prev);
    const t = setTimeout(() => this.ctx.kick(), Math.max(1, ms));
    t.unref?.();
    this.deadlineTimers.set(uid, t);
  }

  /** One pass over a Deployment: ReplicaSets, revisions, scaling, status, history. */
  sync(d: KObj): void {
    const want = num(d.spec.replicas);
    const strategy = d.spec.strategy?.type ?? 'RollingUpdate';
    let maxSurge = 0;
    let maxUnavailable = 0;
    if (strategy === 'RollingUpdate') {
      maxSurge = intOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', want, true);
      maxUnavailable = intOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', want, false);
      if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
      if (maxUnavailable > want) maxUnavailable = want;
    }
    const all = this.rsFor(d);
    const newRs = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
    const oldRevisions = all.filter((rs) => rs.metadata.uid !== newRs?.metadata.uid).map(revisionOf);
    const pass: DeploymentPass = {
      d,
      ns: d.metadata.namespace,
      uid: d.metadata.uid,
      want,
      paused: d.spec.paused === true,
      strategy,
      maxSurge,
      maxUnavailable,
      all,
      newRs,
      maxOldRevision: Math.max(0, ...oldRevisions),
      now: this.ctx.ts(),
      progressing: (d.status?.conditions ?? []).find((c: KObj) => c.type === 'Progressing'),
    };
    if (!syncNewReplicaSet(this, pass)) return;
    followRevision(this, pass);
    scaleReplicaSets(this, pass);
    writeDeploymentStatus(this, pass);
    pruneHistory(this, pass);
  }
}
