/**
 * `mobius-deploy rollback`: `kubectl rollout undo` semantics, then wait, verify and record.
 *
 * Like kubectl (k8s.io/kubectl/pkg/polymorphichelpers/rollback.go, DeploymentRollbacker):
 * - the target is the ReplicaSet with `deployment.kubernetes.io/revision` = N (`--to-revision N`),
 *   or by default the highest revision below the current one;
 * - a paused Deployment is refused (resume it first);
 * - when the target's pod template (minus the `pod-template-hash` label) equals the live one, the
 *   rollback is skipped;
 * - otherwise the Deployment's spec.template is replaced with the target's template and its
 *   annotations with the target's (keeping the ones the controller owns), by a JSON patch. The
 *   controller then reuses that ReplicaSet and renumbers it to the newest revision.
 * Errors: a missing revision and no history are usage errors (exit 2); a paused Deployment needs a
 * person (exit 4); a rollback that does not roll out or verify is exit 4.
 *
 * The undo itself (findRollbackTarget, undoTo) is kube/undo.ts, shared with deploy's automatic rollback.
 */
import { ActionRequiredError, UsageError } from '../../errors.js';
import { deploymentRevision } from '../../kube/rollout.js';
import { listOwnedReplicaSets, type RolloutOutcome, templateImage } from '../../kube/rollout-watch.js';
import { findRollbackTarget, readDeployment, undoTo } from '../../kube/undo.js';
import type { DeploymentRecord } from '../../ledger/index.js';
import { APP_NAME } from '../../manifests/labels.js';
import type { DeployEnvironment, WatchSettings } from '../../release/environment.js';
import { runWithLockAndRecord, waitAndVerify } from '../../release/guarded-change.js';

export interface RollbackInput extends WatchSettings {
  namespace: string;
  environment?: string;
  deployment?: string;
  /** --to-revision; 0 or absent = previous revision. */
  toRevision?: number;
  reason?: string;
}

export interface RollbackResult {
  record: DeploymentRecord;
  rollout?: RolloutOutcome;
  /** The revision the rollback targeted (before the controller renumbered it). */
  targetRevision?: number;
  message: string;
}

/** Rolls the Deployment back; always records what happened (except for refused requests). */
export async function runRollback(env: DeployEnvironment, input: RollbackInput): Promise<RollbackResult> {
  const deploymentName = input.deployment ?? APP_NAME;
  const { namespace } = input;
  return runWithLockAndRecord(
    env,
    {
      kind: 'rollback',
      namespace,
      environment: input.environment,
      deployment: deploymentName,
      reason: input.reason,
      historyMax: input.historyMax,
      lock: input,
    },
    async (record, phase) => {
      const deployment = await readDeployment(env.kube, namespace, deploymentName);
      if (!deployment) {
        throw new UsageError(
          `deployment "${deploymentName}" not found in namespace ${namespace}; nothing to roll back`,
          {
            hint: 'Check -n/--namespace or -e/--env.',
          },
        );
      }
      if (deployment.spec?.paused) {
        throw new ActionRequiredError(
          `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${deploymentName} -n ${namespace}' and try again`,
        );
      }
      const replicaSets = await listOwnedReplicaSets(env.kube, namespace, deployment);
      const target = findRollbackTarget(deployment, replicaSets, input.toRevision);
      record.previousImage = templateImage(deployment.spec?.template);
      record.revisionBefore = deploymentRevision(deployment);
      record.image = target.image;
      record.rollback = { reason: input.reason, toRevision: target.revision, toImage: target.image };
      if (target.unchanged) {
        record.result = 'skipped';
        record.unchanged = true;
        record.revisionAfter = record.revisionBefore;
        return {
          record,
          targetRevision: target.revision,
          message: `skipped rollback (current template already matches revision ${target.revision})`,
        };
      }
      const cause = `mobius-deploy rollback to revision ${target.revision}${input.reason ? `: ${input.reason}` : ''}`;
      await phase('apply', () => undoTo(env.kube, namespace, deployment, target, cause));
      const outcome = await waitAndVerify(env, record, input, 'rollout', 'verify', deploymentName);
      record.revisionAfter = outcome.rollout.revision;
      if (outcome.rollout.ok && outcome.verify?.passed) {
        record.result = 'succeeded';
        record.rollback.result = 'succeeded';
        return {
          record,
          rollout: outcome.rollout,
          targetRevision: target.revision,
          message: `rolled back deployment/${deploymentName} to revision ${target.revision} (${target.image ?? 'unknown image'}), now revision ${outcome.rollout.revision}; verified`,
        };
      }
      record.result = 'failed';
      record.rollback.result = 'failed';
      const why = outcome.rollout.ok
        ? `verification failed: ${(outcome.verify?.failedChecks ?? []).join('; ')}`
        : (outcome.rollout.failure?.message ?? outcome.rollout.status.message);
      record.failureClass = outcome.rollout.ok ? 'VerifyFailed' : outcome.rollout.failure?.failureClass;
      record.failureMessage = why;
      return {
        record,
        rollout: outcome.rollout,
        targetRevision: target.revision,
        message: `rollback to revision ${target.revision} failed: ${why}`,
      };
    },
  );
}
