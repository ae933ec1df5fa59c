/**
 * `mobius-deploy rollback --drill`: the monthly rehearsal of the rollback procedure. Under one
 * deploy lock and one ledger record of kind `drill`: roll back to the newest verified-good revision
 * (the same choice as `rollback`), wait and verify; then roll forward to the revision that was live
 * before, wait and verify. The roll-forward runs whatever the first leg did, so the drill ends on the
 * version it started from. Each leg's result, verification and duration go into `record.drill`.
 *
 * A drill is a record of its own kind, so delivery metrics never count it as a failed change or a
 * manual rollback; `report` shows drills in their own section. Results: both legs verified →
 * `succeeded` (exit 0); else `failed` (exit 4: the rollback path a person relies on at 3 a.m. does
 * not work, or the live version did not come back).
 */
import { ActionRequiredError } from '../../errors.js';
import { deploymentRevision } from '../../kube/rollout.js';
import { listOwnedReplicaSets, replicaSetRevision, templateImage } from '../../kube/rollout-watch.js';
import { type RollbackTarget, readDeployment, rollbackTargetFor, undoTo } from '../../kube/undo.js';
import type { DeploymentRecord, DrillLeg, DrillRecord } from '../../ledger/index.js';
import { APP_NAME } from '../../manifests/labels.js';
import { formatDuration } from '../../output/duration.js';
import { type DeployEnvironment, hintTargetsOf } from '../../release/environment.js';
import { runWithLockAndRecord, waitAndVerify } from '../../release/guarded-change.js';
import { planRollback, targetChoice } from './plan.js';
import { type RollbackInput, rollbackInfo } from './run.js';

export type DrillInfo = NonNullable<DrillRecord['drill']>;

export interface DrillResult {
  record: DeploymentRecord & { drill: DrillInfo };
  message: string;
}

export async function runRollbackDrill(env: DeployEnvironment, input: RollbackInput): Promise<DrillResult> {
  const deploymentName = input.deployment ?? APP_NAME;
  const { namespace } = input;
  const planInput = {
    namespace,
    deployment: deploymentName,
    choice: targetChoice({}),
    ledgerDir: input.ledgerDir,
  };
  // refuse before the lock: no verified-good target, no history, or a live version that failed
  const before = await planRollback(env, planInput);
  const live = before.judged.find((r) => r.current);
  if (live?.verdict === 'failed') {
    const targets = hintTargetsOf(env, namespace);
    throw new ActionRequiredError(
      `the live revision ${live.revision}${live.image ? ` (${live.image})` : ''} of deployment/${deploymentName} is recorded as failed` +
        `${live.evidence ? ` (${live.evidence.summary})` : ''}: a drill would roll forward to it again, so nothing was changed.`,
      {
        hint: `Roll back for real instead: mobius-deploy rollback ${targets.ledger} --reason "..." (to ${before.chosen.why}); drill once a verified-good version is live.`,
      },
    );
  }
  return runWithLockAndRecord(
    env,
    {
      kind: 'drill',
      namespace,
      environment: input.environment,
      deployment: deploymentName,
      reason: input.reason ?? 'rollback drill',
      historyMax: input.historyMax,
      lock: input,
    },
    async (base, phase) => {
      const plan = await planRollback(env, planInput);
      const { deployment, target } = plan;
      const liveRs = plan.replicaSets.find((rs) => replicaSetRevision(rs) === deploymentRevision(deployment));
      const record = base as DrillResult['record'];
      record.image = templateImage(deployment.spec?.template);
      record.previousImage = record.image;
      record.revisionBefore = deploymentRevision(deployment);
      record.rollback = rollbackInfo(plan, input.reason ?? 'rollback drill');
      record.drill = {
        fromRevision: record.revisionBefore,
        fromImage: record.image,
        ...(record.rollback.toRecordId ? { targetRecordId: record.rollback.toRecordId } : {}),
      };
      env.progress?.info(`drill: rolling back to ${plan.chosen.why}`);
      record.drill.rollback = await phase('rollback', () =>
        leg(env, input, record, target, deployment, 'mobius-deploy rollback drill: roll back'),
      );

      // Roll forward to the ReplicaSet that was live (now renumbered below the drill's target).
      const afterRollback = await readDeployment(env.kube, namespace, deploymentName);
      const sets = afterRollback ? await listOwnedReplicaSets(env.kube, namespace, afterRollback) : [];
      const forwardRs = sets.find(
        (rs) => rs.metadata?.uid === liveRs?.metadata?.uid && liveRs?.metadata?.uid,
      );
      const forwardRevision = forwardRs ? replicaSetRevision(forwardRs) : undefined;
      if (!afterRollback || !forwardRs || forwardRevision === undefined) {
        record.drill.rollForward = {
          result: 'failed',
          durationMs: 0,
          failureMessage: `the ReplicaSet of revision ${record.revisionBefore} is gone; deploy ${record.image ?? 'the previous image'} again`,
        };
      } else {
        const forward = rollbackTargetFor(afterRollback, forwardRs, forwardRevision);
        env.progress?.info(`drill: rolling forward to revision ${forwardRevision} (${forward.image ?? '?'})`);
        record.drill.rollForward = await phase('rollForward', () =>
          leg(env, input, record, forward, afterRollback, 'mobius-deploy rollback drill: roll forward'),
        );
      }
      const back = record.drill.rollback;
      const fwd = record.drill.rollForward;
      record.revisionAfter = fwd.revisionAfter ?? back.revisionAfter;
      if (fwd.verify) record.verify = fwd.verify;
      const timings = `rollback ${formatDuration(back.durationMs)}, roll-forward ${formatDuration(fwd.durationMs)}`;
      if (back.result === 'succeeded' && fwd.result === 'succeeded') {
        record.result = 'succeeded';
        record.rollback.result = 'succeeded';
        return {
          record,
          message: `drill passed: rolled back to revision ${target.revision} (${target.image ?? '?'}) and verified, then rolled forward to ${record.image ?? '?'} (now revision ${record.revisionAfter ?? '?'}) and verified (${timings})`,
        };
      }
      record.result = 'failed';
      record.rollback.result = back.result;
      record.failureClass = 'DrillFailed';
      record.failureMessage = [
        back.result === 'failed' ? `rollback leg: ${back.failureMessage}` : undefined,
        fwd.result === 'failed' ? `roll-forward leg: ${fwd.failureMessage}` : undefined,
      ]
        .filter(Boolean)
        .join('; ');
      const restored = fwd.result === 'succeeded';
      return {
        record,
        message: restored
          ? `drill failed: the rollback to revision ${target.revision} (${target.image ?? '?'}) did not roll out and verify (${back.failureMessage}); ${record.image ?? 'the live version'} was restored and verified. Fix the rollback path before it is needed (${timings})`
          : `drill failed and the version it started from (${record.image ?? '?'}) did not come back: ${record.failureMessage}. Act now: mobius-deploy status ${hintTargetsOf(env, namespace).cluster}; mobius-deploy history ${hintTargetsOf(env, namespace).ledger}`,
      };
    },
  );
}

async function leg(
  env: DeployEnvironment,
  input: RollbackInput,
  record: DeploymentRecord,
  target: RollbackTarget,
  live: Parameters<typeof undoTo>[2],
  cause: string,
): Promise<DrillLeg> {
  const now = env.now ?? Date.now;
  const t0 = now();
  const base = { toRevision: target.revision, image: target.image };
  await undoTo(env.kube, input.namespace, live, target, `${cause} to revision ${target.revision}`);
  const outcome = await waitAndVerify(env, record, input, undefined, undefined, record.deployment);
  const done = now();
  const ok = outcome.rollout.ok && outcome.verify?.passed === true;
  return {
    ...base,
    revisionAfter: outcome.rollout.revision,
    result: ok ? 'succeeded' : 'failed',
    durationMs: done - t0,
    finishedAt: new Date(done).toISOString(),
    ...(outcome.verify ? { verify: outcome.verify } : {}),
    ...(ok
      ? {}
      : {
          failureMessage: outcome.rollout.ok
            ? `verification failed: ${(outcome.verify?.failedChecks ?? []).join('; ')}`
            : (outcome.rollout.failure?.message ?? outcome.rollout.status.message),
        }),
  };
}
