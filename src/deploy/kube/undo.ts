/**
 * `kubectl rollout undo` for a Deployment (like k8s.io/kubectl/pkg/polymorphichelpers/rollback.go,
 * DeploymentRollbacker), shared by `rollback` and deploy's automatic rollback:
 * - `findRollbackTarget` is kubectl's choice: the ReplicaSet with `deployment.kubernetes.io/revision`
 *   = N, or the highest revision below the current one. Which revision mobius-deploy rolls back to
 *   (the newest verified-good one by default) is decided with the ledger in
 *   release/rollback-target.ts; `rollbackTargetFor` turns that ReplicaSet into the target here;
 * - when the target's pod template (minus the `pod-template-hash` label) equals the live one, the
 *   rollback is skipped;
 * - otherwise the Deployment's spec.template is replaced with the target's template and its
 *   annotations with the target's (keeping the ones the controller owns), by a JSON patch. The
 *   controller then reuses that ReplicaSet and renumbers it to the newest revision.
 */

import { UsageError } from '../errors.js';
import { APP_NAME } from '../manifests/labels.js';
import { sortKeys } from './apply.js';
import type { KubeRequest, KubeResponse } from './client.js';
import { isNotFound, KubeApiError, type KubeStatus } from './errors.js';
import { deploymentPath } from './resources/apps.js';
import { deploymentRevision } from './rollout.js';
import {
  type DeploymentObject,
  type ReplicaSetObject,
  type RolloutReader,
  replicaSetRevision,
  templateImage,
} from './rollout-watch.js';

/** Annotations the controller and kubectl own; kept from the Deployment, never copied from the ReplicaSet. */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';

export interface RollbackTarget {
  replicaSet: ReplicaSetObject;
  revision: number;
  image?: string;
  /** The template the Deployment gets (the ReplicaSet's minus pod-template-hash). */
  template: Record<string, unknown>;
  /** True when the live template already equals it (kubectl: "skipped rollback"). */
  unchanged: boolean;
}

/** A ReplicaSet's pod template without the pod-template-hash label (kubectl's equalIgnoreHash). */
export function templateWithoutHash(rs: ReplicaSetObject): Record<string, unknown> {
  const template = structuredClone(rs.spec?.template ?? {}) as {
    metadata?: { labels?: Record<string, string> };
  } & Record<string, unknown>;
  if (template.metadata?.labels) {
    delete template.metadata.labels['pod-template-hash'];
  }
  return template;
}

export function templatesEqual(a: unknown, b: unknown): boolean {
  const strip = (t: unknown) => {
    const c = structuredClone(t ?? {}) as {
      metadata?: { labels?: Record<string, string>; creationTimestamp?: unknown };
    };
    if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
    if (c.metadata) delete c.metadata.creationTimestamp;
    return JSON.stringify(sortKeys(c));
  };
  return strip(a) === strip(b);
}

/**
 * The ReplicaSet to roll back to: revision `toRevision`, or the highest revision below the current
 * one. Throws UsageError for a missing revision or no history.
 */
export function findRollbackTarget(
  deployment: DeploymentObject,
  replicaSets: ReplicaSetObject[],
  toRevision?: number,
): RollbackTarget {
  const name = deployment.metadata?.name ?? APP_NAME;
  const withRevision = replicaSets
    .map((rs) => ({ rs, revision: replicaSetRevision(rs) }))
    .filter((x): x is { rs: ReplicaSetObject; revision: number } => x.revision !== undefined)
    .sort((a, b) => a.revision - b.revision);
  const available = withRevision.map((x) => x.revision);
  let chosen: { rs: ReplicaSetObject; revision: number } | undefined;
  if (toRevision !== undefined && toRevision !== 0) {
    chosen = withRevision.find((x) => x.revision === toRevision);
    if (!chosen) {
      throw new UsageError(
        `revision ${toRevision} not found; available: ${available.length ? available.join(', ') : 'none'}`,
        { hint: `\`mobius-deploy history\` lists the revisions of deployment/${name}.` },
      );
    }
  } else {
    const current = deploymentRevision(deployment) ?? available[available.length - 1] ?? 0;
    const previous = withRevision.filter((x) => x.revision < current);
    chosen = previous[previous.length - 1];
    if (!chosen) {
      throw new UsageError(
        `no rollout history found for deployment "${name}": there is no previous revision`,
        {
          hint:
            available.length > 0
              ? `Only revision ${available.join(', ')} exists. Deploy a known-good image with \`mobius-deploy deploy\` instead.`
              : 'Deploy a known-good image with `mobius-deploy deploy` instead.',
        },
      );
    }
  }
  return rollbackTargetFor(deployment, chosen.rs, chosen.revision);
}

/** The rollback target for one ReplicaSet (its template, and whether the live one already equals it). */
export function rollbackTargetFor(
  deployment: DeploymentObject,
  replicaSet: ReplicaSetObject,
  revision: number,
): RollbackTarget {
  const template = templateWithoutHash(replicaSet);
  return {
    replicaSet,
    revision,
    image: templateImage(replicaSet.spec?.template),
    template,
    unchanged: templatesEqual(deployment.spec?.template, template),
  };
}

/** The JSON patch kubectl sends: the template and the annotations of the target ReplicaSet. */
export function rollbackPatch(
  deployment: DeploymentObject,
  target: RollbackTarget,
  changeCause?: string,
): { op: string; path: string; value: unknown }[] {
  const annotations: Record<string, string> = {};
  const live = deployment.metadata?.annotations ?? {};
  for (const k of ANNOTATIONS_TO_SKIP) if (live[k] !== undefined) annotations[k] = live[k];
  for (const [k, v] of Object.entries(target.replicaSet.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  }
  if (changeCause) annotations[CHANGE_CAUSE_ANNOTATION] = changeCause;
  return [
    { op: 'replace', path: '/spec/template', value: target.template },
    { op: 'add', path: '/metadata/annotations', value: annotations },
  ];
}

export interface UndoTransport extends RolloutReader {
  request(req: KubeRequest): Promise<KubeResponse>;
}

/** Patches the Deployment to the target's template (kubectl rollout undo). */
export async function undoTo(
  kube: UndoTransport,
  namespace: string,
  deployment: DeploymentObject,
  target: RollbackTarget,
  changeCause?: string,
): Promise<DeploymentObject> {
  const path = deploymentPath(namespace, deployment.metadata?.name ?? APP_NAME);
  const res = await kube.request({
    method: 'PATCH',
    path,
    query: { fieldManager: 'mobius-deploy' },
    contentType: 'application/json-patch+json',
    body: rollbackPatch(deployment, target, changeCause),
  });
  if (res.statusCode !== 200) {
    let status: KubeStatus | undefined;
    try {
      status = JSON.parse(res.body.toString('utf8')) as KubeStatus;
    } catch {
      status = undefined;
    }
    throw new KubeApiError(res.statusCode, status, {
      method: 'PATCH',
      path,
      verb: 'patch',
      resource: 'deployments.apps',
      namespace,
      name: deployment.metadata?.name,
    });
  }
  return JSON.parse(res.body.toString('utf8')) as DeploymentObject;
}

/** Reads the Deployment, failing with a clear message when it does not exist. */
export async function readDeployment(
  kube: RolloutReader,
  namespace: string,
  name: string,
): Promise<DeploymentObject | undefined> {
  try {
    return await kube.getJson<DeploymentObject>(deploymentPath(namespace, name));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
