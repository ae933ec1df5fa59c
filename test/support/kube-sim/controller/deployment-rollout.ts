/**
 * The rollout phases of a deployment sync pass: find or create the ReplicaSet of the current pod
 * template (revision max + 1; a reused old one is renumbered with revision-history), let the
 * Deployment's revision annotation follow it, and scale ReplicaSets per strategy (RollingUpdate
 * within maxSurge / maxUnavailable, Recreate, or only spec.replicas while paused).
 */
import { podTemplateHash } from '../defaults.js';
import { clone } from '../patch.js';
import type { KObj } from '../status.js';
import { num, R } from './context.js';
import {
  DESIRED,
  type DeploymentOps,
  type DeploymentPass,
  MAX_REPLICAS,
  olds,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
} from './deployment-pass.js';

/** The Deployment's annotations a new ReplicaSet copies. */
function copiedAnnotations(d: KObj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>)) {
    if (k.startsWith('deployment.kubernetes.io/') || k === 'kubectl.kubernetes.io/last-applied-configuration')
      continue;
    out[k] = v;
  }
  return out;
}

/**
 * Creates the new ReplicaSet, or renumbers a reused one (not while paused). Returns false when the
 * pass must stop (a hash collision with a ReplicaSet of another template).
 */
export function syncNewReplicaSet(ops: DeploymentOps, pass: DeploymentPass): boolean {
  if (pass.paused) return true;
  const { store, events } = ops.ctx;
  const { d, ns, uid, want, strategy, maxSurge, maxOldRevision } = pass;
  const all = pass.all;
  if (!pass.newRs) {
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
          ...copiedAnnotations(d),
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
    if (store.peek(R.replicasets, ns, name)) return false; // hash collision: leave it (rare)
    pass.newRs = store.insert(R.replicasets, store.prepareCreate(R.replicasets, rs, ns));
    pass.all = [...all, pass.newRs];
    if (initial > 0) {
      events.record({
        involvedObject: d,
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${name} from 0 to ${initial}`,
        component: 'deployment-controller',
      });
    }
    ops.setProgressing(pass, 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`);
    return true;
  }
  const rev = revisionOf(pass.newRs);
  const needsRenumber = rev <= maxOldRevision && olds(pass).length > 0;
  const wantAnn = copiedAnnotations(d);
  const annNeedsUpdate = Object.entries(wantAnn).some(
    ([k, v]) => pass.newRs?.metadata.annotations?.[k] !== v,
  );
  if (needsRenumber || annNeedsUpdate) {
    const nr = pass.newRs;
    pass.newRs =
      store.mutate(R.replicasets, ns, nr.metadata.name, (o) => {
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), ...wantAnn };
        if (needsRenumber) {
          const history = o.metadata.annotations[REVISION_HISTORY];
          o.metadata.annotations[REVISION_HISTORY] = history ? `${history},${rev}` : String(rev);
          o.metadata.annotations[REVISION] = String(maxOldRevision + 1);
        }
      }) ?? pass.newRs;
    const newRs = pass.newRs;
    pass.all = pass.all.map((rs) => (rs.metadata.uid === newRs.metadata.uid ? newRs : rs));
    if (!pass.progressing)
      ops.setProgressing(
        pass,
        'True',
        'FoundNewReplicaSet',
        `Found new replica set "${newRs.metadata.name}"`,
      );
  }
  return true;
}

/** The Deployment's revision annotation follows the new ReplicaSet's. */
export function followRevision(ops: DeploymentOps, pass: DeploymentPass): void {
  if (!pass.newRs) return;
  const rev = pass.newRs.metadata.annotations?.[REVISION];
  if (rev && pass.d.metadata.annotations?.[REVISION] !== rev) {
    pass.d =
      ops.ctx.store.mutate(R.deployments, pass.ns, pass.d.metadata.name, (o) => {
        o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: rev };
      }) ?? pass.d;
  }
}

/** Scales the new and old ReplicaSets one step towards spec.replicas, per strategy. */
export function scaleReplicaSets(ops: DeploymentOps, pass: DeploymentPass): void {
  if (!pass.newRs) return;
  const { d, want, paused, strategy, maxSurge, maxUnavailable } = pass;
  if (paused) {
    // A paused deployment only follows spec.replicas on the current ReplicaSet.
    const active = pass.all.filter((rs) => num(rs.spec.replicas) > 0);
    if (active.length === 1 && num(active[0].spec.replicas) !== want)
      ops.scaleRs(d, active[0], want, maxSurge);
  } else if (strategy === 'Recreate') {
    const oldActive = olds(pass).filter((rs) => num(rs.spec.replicas) > 0);
    for (const rs of oldActive) ops.scaleRs(d, rs, 0, 0);
    const oldPods = olds(pass).reduce((n, rs) => n + num(rs.status?.replicas), 0);
    if (oldActive.length === 0 && oldPods === 0 && num(pass.newRs.spec.replicas) !== want) {
      pass.newRs = ops.scaleRs(d, pass.newRs, want, 0);
    }
  } else {
    // reconcileNewReplicaSet
    const cur = num(pass.newRs.spec.replicas);
    if (cur > want) pass.newRs = ops.scaleRs(d, pass.newRs, want, maxSurge);
    else if (cur < want) {
      const total = pass.all.reduce((n, rs) => n + num(rs.spec.replicas), 0);
      const up = Math.min(want + maxSurge - total, want - cur);
      if (up > 0) pass.newRs = ops.scaleRs(d, pass.newRs, cur + up, maxSurge);
    }
    const newRs = pass.newRs;
    pass.all = pass.all.map((rs) => (rs.metadata.uid === newRs.metadata.uid ? newRs : rs));
    // reconcileOldReplicaSets
    const oldList = olds(pass).sort((a, b) => revisionOf(a) - revisionOf(b));
    const oldPodsCount = oldList.reduce((n, rs) => n + num(rs.spec.replicas), 0);
    if (oldPodsCount > 0) {
      const allPods = pass.all.reduce((n, rs) => n + num(rs.spec.replicas), 0);
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
          const scaled = ops.scaleRs(d, rs, reps - n, maxSurge);
          rs.spec.replicas = scaled.spec.replicas;
          cleaned += n;
        }
      }
      const availableTotal = pass.all.reduce((n, rs) => n + num(rs.status?.availableReplicas), 0);
      let budget = availableTotal - minAvailable;
      if (budget > 0) {
        for (const rs of oldList) {
          if (budget <= 0) break;
          const reps = num(rs.spec.replicas);
          if (reps === 0) continue;
          const n = Math.min(reps, budget);
          ops.scaleRs(d, rs, reps - n, maxSurge);
          budget -= n;
        }
      }
    }
  }
}
