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
 * the automatic rollback is auto-rollback.ts (its target: release/rollback-target.ts); the undo is
 * kube/undo.ts.
 */
import { ActionRequiredError, isCliError, NamespaceNotFoundError, UsageError } from '../../errors.js';
import { type AppliedObject, applyObjects, type KubeObject } from '../../kube/apply.js';
import { assertNamespaceExists, isNamespaceNotFound } from '../../kube/namespace.js';
import { deploymentRevision } from '../../kube/rollout.js';
import { templateImage } from '../../kube/rollout-watch.js';
import { CHANGE_CAUSE_ANNOTATION, readDeployment } from '../../kube/undo.js';
import { APP_NAME, CONTAINER_NAME } from '../../manifests/labels.js';
import { plural } from '../../output/plural.js';
import { type DeployEnvironment, hintTargetsOf } from '../../release/environment.js';
import { runWithLockAndRecord, waitAndVerify } from '../../release/guarded-change.js';
import { autoRollback } from './auto-rollback.js';
import type { DeployInput, DeployResult } from './types.js';

export type { DeployInput, DeployResult } from './types.js';

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
      await assertNamespaceExists(env.kube, namespace);
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
      // Like a real deploy (its lock is the first write): exit 5, not a rejected manifest.
      if (isNamespaceNotFound(err)) throw new NamespaceNotFoundError(namespace, { cause: err });
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
      record.rolloutRevision = first.rollout.revision;
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
            `roll back: mobius-deploy rollback ${hintTargetsOf(env, namespace).ledger} --reason "${record.failureClass}"`,
            `investigate: mobius-deploy status ${hintTargetsOf(env, namespace).cluster}; mobius-deploy logs ${hintTargetsOf(env, namespace).cluster} --previous`,
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
