/**
 * `mobius-deploy deploy`: lock, render, server-side apply, wait for the rollout (failing fast),
 * verify; on failure roll back automatically to the last version that verified good, wait and
 * verify again. Every step's timing and outcome goes into the ledger record, written at the start
 * (in_progress) and completed at the end, whatever happens (also on SIGINT).
 *
 * Results (the command turns them into exit codes):
 *   succeeded    → 0
 *   rolled_back  → 3 (the previous version serves again, verified)
 *   failed       → 4 (no rollback was possible, it was disabled, or it failed too)
 * `dryRun` applies every object with dryRun=All and diffs it against the live object; it takes no
 * lock and writes no record.
 *
 * Like Helm's pkg/action, nothing here prints: progress goes to an injected reporter and the result
 * is returned. The lock, record, wait and verify steps are release/guarded-change.ts, shared with rollback;
 * the undo is kube/undo.ts.
 */
import { ActionRequiredError, isCliError, UsageError } from '../../errors.js';
import { type AppliedObject, applyObjects, type KubeObject } from '../../kube/apply.js';
import { deploymentRevision } from '../../kube/rollout.js';
import { listOwnedReplicaSets, type RolloutOutcome, templateImage } from '../../kube/rollout-watch.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  findRevisionForImage,
  findRollbackTarget,
  type RollbackTarget,
  readDeployment,
  undoTo,
} from '../../kube/undo.js';
import type { DeploymentRecord } from '../../ledger/index.js';
import { APP_NAME, CONTAINER_NAME } from '../../manifests/labels.js';
import { plural } from '../../output/plural.js';
import type { DeployEnvironment, WatchSettings } from '../../release/environment.js';
import { runWithLockAndRecord, waitAndVerify } from '../../release/guarded-change.js';

export interface DeployInput extends WatchSettings {
  namespace: string;
  /** Environment name (-e), recorded. */
  environment?: string;
  /** The objects to apply (rendered by the manifests builders), or undefined with `image` alone. */
  objects?: KubeObject[];
  /** The image this deploy rolls out (full reference). */
  image: string;
  deployment?: string;
  reason?: string;
  dryRun?: boolean;
  /** Automatic rollback (default true; --no-rollback). */
  rollback?: boolean;
}

export interface DeployResult {
  /** Absent for --dry-run. */
  record?: DeploymentRecord;
  dryRun?: boolean;
  applied?: AppliedObject[];
  rollout?: RolloutOutcome;
  /** The rollout of the automatic rollback, when there was one. */
  rollbackRollout?: RolloutOutcome;
  /** One paragraph: what happened. */
  message: string;
  /** For failed deploys: what a person must do. */
  nextSteps?: string[];
}

/** The Deployment object to apply for `-n NS --image REF` without an environment file. */
export function imageOnlyDeployment(
  live: {
    metadata?: { name?: string };
    spec?: { template?: { spec?: { containers?: { name: string }[] } } };
  },
  namespace: string,
  image: string,
): KubeObject {
  const containers = live.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === CONTAINER_NAME) ?? containers[0];
  if (!container) throw new UsageError('the live Deployment has no containers to set the image of');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: live.metadata?.name ?? APP_NAME, namespace },
    spec: { template: { spec: { containers: [{ name: container.name, image }] } } },
  };
}

function annotateDeployment(
  objects: KubeObject[],
  deployment: string,
  changeCause: string,
  recordId: string | undefined,
) {
  return objects.map((o) => {
    if (o.kind !== 'Deployment' || o.metadata.name !== deployment) return o;
    const annotations = { ...((o.metadata.annotations as Record<string, string> | undefined) ?? {}) };
    annotations[CHANGE_CAUSE_ANNOTATION] = changeCause;
    if (recordId) annotations['mobius.dev/record-id'] = recordId;
    return { ...o, metadata: { ...o.metadata, annotations } };
  });
}

/** Runs a deploy. Throws for refused or impossible requests; otherwise returns what happened. */
export async function runDeploy(env: DeployEnvironment, input: DeployInput): Promise<DeployResult> {
  const deploymentName = input.deployment ?? APP_NAME;
  const { namespace, image } = input;
  const now = env.now ?? Date.now;

  let objects = input.objects;
  // The live Deployment, read before the lock: for an image-only deploy and for the dry run.
  let live: Awaited<ReturnType<typeof readDeployment>> | undefined;
  if (!objects) {
    live = await readDeployment(env.kube, namespace, deploymentName);
    if (!live) {
      throw new UsageError(
        `deployment "${deploymentName}" does not exist in namespace ${namespace}, and without -e/--env there are no manifests to install it from`,
        { hint: 'Use -e/--env <environment> for a first install.' },
      );
    }
    objects = [imageOnlyDeployment(live, namespace, image)];
  }

  const changeCause = `mobius-deploy deploy ${image}${input.reason ? `: ${input.reason}` : ''}`;
  if (input.dryRun) {
    // The annotations a real deploy would set; the record id is the live one, so the diff shows
    // only real changes.
    live ??= await readDeployment(env.kube, namespace, deploymentName);
    const liveRecordId = live?.metadata?.annotations?.['mobius.dev/record-id'];
    const annotated = annotateDeployment(objects, deploymentName, changeCause, liveRecordId);
    let applied: AppliedObject[];
    try {
      applied = await applyObjects(env.kube, annotated, { dryRun: true });
    } catch (err) {
      if (isCliError(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new ActionRequiredError(
        `the API server rejects the manifests (dry run, nothing changed): ${message}`,
        {
          hint: applyFailureHint(message, namespace, deploymentName),
          cause: err,
        },
      );
    }
    const changed = applied.filter((a) => a.action === 'created' || a.action === 'configured').length;
    return {
      dryRun: true,
      applied,
      message: `dry run (server-side, nothing changed): ${changed} of ${plural(applied.length, 'object')} would change`,
    };
  }

  const outcome = await runWithLockAndRecord(
    env,
    {
      kind: 'deploy',
      namespace,
      environment: input.environment,
      deployment: deploymentName,
      image,
      reason: input.reason,
      historyMax: input.historyMax,
      lock: input,
    },
    async (record, phase) => {
      const live = await readDeployment(env.kube, namespace, deploymentName);
      if (live) {
        record.previousImage = templateImage(live.spec?.template);
        record.revisionBefore = deploymentRevision(live);
      }
      const toApply = annotateDeployment(objects, deploymentName, changeCause, record.id);
      env.progress?.update(`applying ${plural(toApply.length, 'object')} to namespace ${namespace}`);
      let applied: AppliedObject[];
      try {
        applied = await phase('apply', () => applyObjects(env.kube, toApply, { force: true }));
      } catch (err) {
        record.failureClass = 'ApplyFailed';
        record.failureMessage = err instanceof Error ? err.message : String(err);
        if (isCliError(err)) throw err;
        throw new ActionRequiredError(`applying the manifests failed: ${record.failureMessage}`, {
          hint: applyFailureHint(record.failureMessage, namespace, deploymentName),
          cause: err,
        });
      }
      const counts = new Map<string, number>();
      for (const a of applied) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
      const dep = applied.find((a) => a.kind === 'Deployment' && a.name === deploymentName);
      env.progress?.info(
        `applied ${plural(applied.length, 'object')} (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')})` +
          (dep ? `; Deployment/${deploymentName} ${dep.action}` : ''),
      );

      const first = await waitAndVerify(env, record, input, 'rollout', 'verify', deploymentName);
      record.revisionAfter = first.rollout.revision;
      if (!record.digest && first.rollout.digest) record.digest = first.rollout.digest;
      if (first.verify) record.verify = first.verify;
      if (first.rollout.ok && first.verify?.passed) {
        record.result = 'succeeded';
        return {
          record,
          applied,
          rollout: first.rollout,
          message: `deployed ${image} to ${namespace} (revision ${first.rollout.revision ?? '?'}); rolled out and verified`,
        };
      }

      // The new version failed: say why, then restore the last good one.
      record.failureDetectedAt = new Date(now()).toISOString();
      record.failureClass = first.rollout.ok
        ? 'VerifyFailed'
        : (first.rollout.failure?.failureClass ?? 'Timeout');
      record.failureMessage = first.rollout.ok
        ? `verification failed after a clean rollout: ${first.verify?.failedChecks.join('; ')}`
        : (first.rollout.failure?.message ?? first.rollout.status.message);
      const failureText = `${record.failureClass}: ${record.failureMessage}`;

      if (input.rollback === false) {
        record.result = 'failed';
        return {
          record,
          applied,
          rollout: first.rollout,
          message: `deploy of ${image} failed (${failureText}); automatic rollback is disabled (--no-rollback), so the failed version stays`,
          nextSteps: [
            `roll back: mobius-deploy rollback -n ${namespace} --reason "${record.failureClass}"`,
            `investigate: mobius-deploy status -n ${namespace}; mobius-deploy logs -n ${namespace} --previous`,
          ],
        };
      }

      const restore = await phase('rollback', () =>
        autoRollback(env, record, input, deploymentName, image, failureText),
      );
      return { ...restore, applied, rollout: first.rollout };
    },
  );
  // A production deploy that ends failed (exit 4) opens a level-2 incident; never masks the result.
  if (outcome.record?.result === 'failed') {
    const { openIncidentForFailedDeploy } = await import('../../incidents/auto.js');
    const auto = await openIncidentForFailedDeploy(env.ledger, outcome.record, now());
    if (auto.note) outcome.nextSteps = [...(outcome.nextSteps ?? []), auto.note];
  }
  return outcome;
}

async function autoRollback(
  env: DeployEnvironment,
  record: DeploymentRecord,
  input: DeployInput,
  deploymentName: string,
  image: string,
  failureText: string,
): Promise<Omit<DeployResult, 'applied' | 'rollout'>> {
  const { namespace } = input;
  const now = env.now ?? Date.now;
  const investigate = `investigate: mobius-deploy status -n ${namespace}; mobius-deploy logs -n ${namespace} --previous`;
  const deployment = await readDeployment(env.kube, namespace, deploymentName);
  if (!deployment || record.revisionBefore === undefined) {
    record.result = 'failed';
    return {
      record,
      message: `deploy of ${image} failed (${failureText}); this was the first install, so there is no earlier version to roll back to`,
      nextSteps: [
        investigate,
        'fix the image or configuration and deploy again',
        `or remove the broken install: kubectl delete deployment/${deploymentName} -n ${namespace}`,
      ],
    };
  }
  if (record.revisionAfter !== undefined && record.revisionAfter === record.revisionBefore) {
    // The pod template did not change (only other objects did): rolling the image back would
    // undo a version that is not the one that changed.
    record.result = 'failed';
    return {
      record,
      message: `deploy of ${image} failed (${failureText}); the Deployment's pod template did not change (still revision ${record.revisionBefore}), so there is no new revision to roll back: the failure comes from the other objects applied or from the cluster`,
      nextSteps: [
        investigate,
        `compare what changed: mobius-deploy deploy -n ${namespace} --dry-run with the previous tag`,
        'revert the configuration change and deploy again',
      ],
    };
  }
  const replicaSets = await listOwnedReplicaSets(env.kube, namespace, deployment);
  const good = await env.ledger.lastVerifiedGood({
    namespace,
    deployment: deploymentName,
    excludeId: record.id,
    excludeImage: image,
  });
  const goodRevision = good?.image ? findRevisionForImage(deployment, replicaSets, good.image) : undefined;
  let target: RollbackTarget;
  try {
    target = findRollbackTarget(deployment, replicaSets, goodRevision);
  } catch (err) {
    record.result = 'failed';
    return {
      record,
      message: `deploy of ${image} failed (${failureText}); no earlier revision to roll back to (${(err as Error).message})`,
      nextSteps: [investigate, 'deploy a known-good image with mobius-deploy deploy --image-tag <tag>'],
    };
  }
  const via = goodRevision !== undefined ? `last verified-good deploy ${good?.id}` : 'previous revision';
  record.rollback = {
    reason: failureText,
    toRevision: target.revision,
    toImage: target.image,
    ...(goodRevision !== undefined && good ? { toRecordId: good.id } : {}),
  };
  if (target.unchanged) {
    record.result = 'failed';
    record.rollback.result = 'failed';
    record.rollback.failureMessage = 'the live template already equals the rollback target';
    return {
      record,
      message: `deploy of ${image} failed (${failureText}); revision ${target.revision} (${via}) is what is already live, so a rollback cannot help`,
      nextSteps: [
        investigate,
        `check the cluster itself (nodes, quotas, secrets the pods need) in namespace ${namespace}`,
      ],
    };
  }
  env.progress?.info(`rolling back to revision ${target.revision} (${target.image ?? '?'}; ${via})`);
  await undoTo(
    env.kube,
    namespace,
    deployment,
    target,
    `mobius-deploy automatic rollback to revision ${target.revision} after ${record.failureClass}`,
  );
  // Timed as a whole under the `rollback` phase by the caller.
  const second = await waitAndVerify(env, record, input, undefined, undefined, deploymentName);
  record.revisionAfter = second.rollout.revision;
  if (second.verify) record.rollback.verify = second.verify;
  if (second.rollout.ok && second.verify?.passed) {
    record.result = 'rolled_back';
    record.rollback.result = 'succeeded';
    record.restoredAt = new Date(now()).toISOString();
    return {
      record,
      rollbackRollout: second.rollout,
      message:
        `deploy of ${image} failed (${failureText}); rolled back automatically to revision ${target.revision} ` +
        `(${target.image ?? 'unknown image'}, ${via}), now revision ${second.rollout.revision ?? '?'}, verified: the previous version serves`,
    };
  }
  const why = second.rollout.ok
    ? `verification failed: ${second.verify?.failedChecks.join('; ')}`
    : (second.rollout.failure?.message ?? second.rollout.status.message);
  record.result = 'failed';
  record.rollback.result = 'failed';
  record.rollback.failureMessage = why;
  return {
    record,
    rollbackRollout: second.rollout,
    message:
      `deploy of ${image} failed (${failureText}), and the automatic rollback to revision ${target.revision} ` +
      `(${target.image ?? 'unknown image'}) failed too (${why}). The service may be degraded or down`,
    nextSteps: [
      investigate,
      `look at the cluster, not only the image: nodes, quotas, the Redis and API-token secrets in ${namespace}`,
      `then roll back by hand to a revision you trust: mobius-deploy history -n ${namespace}; mobius-deploy rollback -n ${namespace} --to-revision N`,
      'and open a level 2 incident if users are affected',
    ],
  };
}

export function applyFailureHint(message: string, namespace: string, deploymentName: string): string {
  if (/spec\.selector.*field is immutable/s.test(message)) {
    return (
      `The live Deployment ${deploymentName} was created with a different label selector, and spec.selector cannot ` +
      `change. It was not created by mobius-deploy from these manifests: during a maintenance window delete it ` +
      `(kubectl delete deployment ${deploymentName} -n ${namespace}) and deploy again.`
    );
  }
  return (
    'Nothing was rolled out if the Deployment was not reached; fix the manifest or the cluster state and deploy ' +
    'again. `mobius-deploy deploy --dry-run` shows what the server rejects.'
  );
}
