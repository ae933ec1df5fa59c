/**
 * Deploy's automatic rollback: after the new version failed, restore the newest revision the
 * ledger records as verified good (release/rollback-target.ts), never one recorded as failed or
 * unknown; wait and verify it. With no verified-good revision nothing is rolled back: the deploy
 * ends failed (exit 4) with the candidate revisions, their verdicts and the command to pick one.
 */
import { UsageError } from '../../errors.js';
import { listOwnedReplicaSets } from '../../kube/rollout-watch.js';
import { type RollbackTarget, readDeployment, rollbackTargetFor, undoTo } from '../../kube/undo.js';
import { changeRecords, type DeploymentRecord } from '../../ledger/index.js';
import { type DeployEnvironment, hintTargetsOf } from '../../release/environment.js';
import { waitAndVerify } from '../../release/guarded-change.js';
import { ROLLBACK_NOT_TRIED, type VerdictEvidence } from '../../release/revision-verdicts.js';
import {
  type ChosenTarget,
  candidateLines,
  chooseCommand,
  chooseRollbackTarget,
  judgeDeployment,
  NoVerifiedGoodRevisionError,
  replicaSetOf,
  rollbackCandidates,
} from '../../release/rollback-target.js';
import type { DeployInput, DeployResult } from './types.js';

export async function autoRollback(
  env: DeployEnvironment,
  record: DeploymentRecord,
  input: DeployInput,
  deploymentName: string,
  image: string,
  failureText: string,
): Promise<Omit<DeployResult, 'applied' | 'rollout'>> {
  const { namespace } = input;
  const now = env.now ?? Date.now;
  const to = hintTargetsOf(env, namespace);
  const investigate = `investigate: mobius-deploy status ${to.cluster}; mobius-deploy logs ${to.cluster} --previous`;
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
        `compare what changed: mobius-deploy deploy ${to.ledger} --dry-run with the previous tag`,
        'revert the configuration change and deploy again',
      ],
    };
  }
  // The target: the newest revision the ledger records as verified good, never one recorded as
  // failed (release/rollback-target.ts). The version that just failed is evidence too.
  const [replicaSets, records] = await Promise.all([
    listOwnedReplicaSets(env.kube, namespace, deployment),
    changeRecords(env.ledger, { namespace, deployment: deploymentName }),
  ]);
  const failedNow: VerdictEvidence = {
    verdict: 'failed',
    recordId: record.id,
    kind: 'deploy',
    at: record.failureDetectedAt ?? new Date(now()).toISOString(),
    revision: record.rolloutRevision,
    image,
    own: true,
    summary: `this deploy (${record.id}) failed (${record.failureClass})`,
  };
  const judged = judgeDeployment(
    deployment,
    replicaSets,
    records.filter((r) => r.id !== record.id),
    [failedNow],
  );
  let chosen: ChosenTarget;
  try {
    chosen = chooseRollbackTarget(
      judged,
      { kind: 'verified-good' },
      { namespace, deployment: deploymentName, target: env.hintTargets?.ledger },
    );
  } catch (err) {
    if (!(err instanceof NoVerifiedGoodRevisionError) && !(err instanceof UsageError)) throw err;
    record.result = 'failed';
    const candidates = rollbackCandidates(judged);
    const none = err instanceof NoVerifiedGoodRevisionError;
    record.rollback = {
      reason: failureText,
      result: 'failed',
      failureMessage: none
        ? 'no revision is recorded as verified good; not rolled back'
        : `no earlier revision to roll back to (${err.message})`,
    };
    return {
      record,
      message: none
        ? `deploy of ${image} failed (${failureText}); not rolled back automatically: no other revision is recorded as verified good in the ledger, and a rollback never goes to a revision recorded as failed or unknown. The failed version stays`
        : `deploy of ${image} failed (${failureText}); no earlier revision to roll back to (${err.message})`,
      nextSteps: none
        ? [
            investigate,
            ['candidate revisions (newest first):', ...candidateLines(candidates).map((l) => `  ${l}`)].join(
              '\n',
            ),
            `choose one: ${chooseCommand({ namespace, deployment: deploymentName })}`,
            'or deploy a known-good image: mobius-deploy deploy --image-tag <tag>',
          ]
        : [investigate, 'deploy a known-good image with mobius-deploy deploy --image-tag <tag>'],
    };
  }
  const rs = replicaSetOf(replicaSets, chosen.revision.revision);
  if (!rs) throw new Error(`revision ${chosen.revision.revision} has no ReplicaSet`);
  const target: RollbackTarget = rollbackTargetFor(deployment, rs, chosen.revision.revision);
  const via = `last verified good: ${chosen.revision.evidence?.summary ?? '?'}`;
  record.rollback = {
    reason: failureText,
    toRevision: target.revision,
    toImage: target.image,
    ...(chosen.revision.evidence ? { toRecordId: chosen.revision.evidence.recordId } : {}),
    choice: chosen.choice,
    toVerdict: chosen.revision.verdict,
    why: chosen.why,
  };
  if (target.unchanged) {
    record.result = 'failed';
    record.rollback.result = 'failed';
    record.rollback.failureMessage = ROLLBACK_NOT_TRIED;
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
      `then roll back by hand to a revision you trust: mobius-deploy history ${to.ledger}; mobius-deploy rollback ${to.ledger} --to-revision N`,
      'and open a level 2 incident if users are affected',
    ],
  };
}
