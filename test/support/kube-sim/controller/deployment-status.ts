/**
 * The status phases of a deployment sync pass: replica counts and the conditions `kubectl rollout
 * status` reads (Available; Progressing with ReplicaSetUpdated, NewReplicaSetAvailable,
 * ProgressDeadlineExceeded, DeploymentPaused/Resumed), then revisionHistoryLimit pruning.
 */
import { templatesEqual } from '../defaults.js';
import { clone, deepEqual } from '../patch.js';
import type { KObj } from '../status.js';
import { num, R } from './context.js';
import {
  condition,
  type DeploymentOps,
  type DeploymentPass,
  deploymentComplete,
  revisionOf,
} from './deployment-pass.js';

/** Writes status and conditions from the ReplicaSets as they are now. */
export function writeDeploymentStatus(ops: DeploymentOps, pass: DeploymentPass): void {
  const { ns, uid, want, paused, maxUnavailable, now } = pass;
  const d = pass.d;
  const all = ops.rsFor(d);
  pass.all = all;
  const newRs = all.find((rs) => templatesEqual(rs.spec.template, d.spec.template));
  pass.newRs = newRs;
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
      condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now),
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
    if (pass.progressing?.reason !== 'DeploymentPaused') {
      pass.progressing = condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now);
    }
  } else {
    if (pass.progressing?.reason === 'DeploymentPaused') {
      ops.setProgressing(pass, 'Unknown', 'DeploymentResumed', 'Deployment is resumed');
    }
    const completeAlready = replicas === updated && pass.progressing?.reason === 'NewReplicaSetAvailable';
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
        if (pass.progressing?.reason !== 'NewReplicaSetAvailable') {
          ops.setProgressing(
            pass,
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${rsName}" has successfully progressed.`,
          );
        }
      } else if (madeProgress) {
        ops.setProgressing(
          pass,
          'True',
          'ReplicaSetUpdated',
          rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.',
        );
      } else if (pass.progressing && pass.progressing.reason !== 'ProgressDeadlineExceeded') {
        const { opts } = ops.ctx;
        const deadlineMs = num(d.spec.progressDeadlineSeconds ?? 600) * 1000 * opts.progressDeadlineScale;
        const from = ops.progressMarkOf(uid) ?? Date.parse(pass.progressing.lastUpdateTime);
        const due = from + deadlineMs;
        if (opts.now() > due) {
          ops.setProgressing(
            pass,
            'False',
            'ProgressDeadlineExceeded',
            `ReplicaSet "${rsName}" has timed out progressing.`,
          );
        } else {
          ops.armDeadline(uid, due - opts.now() + 5);
        }
      }
    }
  }
  if (pass.progressing) setCond(pass.progressing);
  const order = ['Available', 'Progressing'];
  conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  status.conditions = conditions;
  if (!deepEqual(status, d.status)) {
    pass.d =
      ops.ctx.store.mutate(R.deployments, ns, d.metadata.name, (o) => {
        o.status = status;
      }) ?? d;
  }
}

/** Once the rollout is complete, deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
export function pruneHistory(ops: DeploymentOps, pass: DeploymentPass): void {
  const { d, ns, newRs } = pass;
  if (pass.paused || !deploymentComplete(d)) return;
  const { store } = ops.ctx;
  const limit = num(d.spec.revisionHistoryLimit ?? 10);
  const prunable = ops
    .rsFor(d)
    .filter((rs) => rs.metadata.uid !== newRs?.metadata.uid)
    .filter((rs) => num(rs.spec.replicas) === 0 && num(rs.status?.replicas) === 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  const extra = prunable.length - limit;
  for (let i = 0; i < extra; i++) {
    if (store.peek(R.replicasets, ns, prunable[i].metadata.name)) {
      store.remove(R.replicasets, ns, prunable[i].metadata.name);
    }
  }
}
