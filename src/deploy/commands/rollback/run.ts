/**
 * `mobius-deploy rollback`: roll back to the newest revision the ledger records as verified good
 * (release/rollback-target.ts), then wait, verify and record.
 *
 * The target: by default the newest revision, other than the live one, whose ledger record verified
 * good; never one recorded as failed or unknown. `--to-revision N` and `--previous` (kubectl's
 * choice: the highest revision below the live one) choose otherwise, with a warning (stderr and the
 * record) when the ledger records that revision as failed. With no verified-good revision nothing
 * is changed and no record is written: exit 4 with the candidates and the command that picks one.
 * `--dry-run` shows the target and why, and changes nothing.
 *
 * The undo itself is kubectl's (kube/undo.ts, shared with deploy's automatic rollback): a paused
 * Deployment is refused (exit 4); when the target's pod template equals the live one the rollback
 * is skipped; otherwise the Deployment's template and annotations become the target ReplicaSet's
 * (a JSON patch) and the controller reuses that ReplicaSet as the newest revision. A missing
 * revision or no history is a usage error (exit 2); a rollback that does not roll out or verify is
 * exit 4.
 */
import { ActionRequiredError } from '../../errors.js';
import { deploymentRevision } from '../../kube/rollout.js';
import { type RolloutOutcome, templateImage } from '../../kube/rollout-watch.js';
import { undoTo } from '../../kube/undo.js';
import type { DeploymentRecord } from '../../ledger/index.js';
import { APP_NAME } from '../../manifests/labels.js';
import type { DeployEnvironment, WatchSettings } from '../../release/environment.js';
import { runWithLockAndRecord, waitAndVerify } from '../../release/guarded-change.js';
import type { JudgedRevision } from '../../release/revision-verdicts.js';
import type { ChosenTarget } from '../../release/rollback-target.js';
import { planRollback, type RollbackPlan, targetChoice } from './plan.js';

export interface RollbackInput extends WatchSettings {
  namespace: string;
  environment?: string;
  deployment?: string;
  /** --to-revision; 0 or absent = the default target. */
  toRevision?: number;
  /** --previous: kubectl's target (the revision below the live one). */
  previous?: boolean;
  reason?: string;
  /** --ledger-dir, named in the command a person is told to run. */
  ledgerDir?: string;
  /** Called once, before anything changes, when the chosen revision is recorded as failed. */
  onWarning?: (message: string) => void;
}

export interface RollbackResult {
  record: DeploymentRecord;
  rollout?: RolloutOutcome;
  /** The revision the rollback targeted (before the controller renumbered it). */
  targetRevision?: number;
  message: string;
}

/** `rollback --dry-run -o json`: the target, why, and every candidate with its verdict (stable). */
export interface RollbackDryRun {
  dryRun: true;
  namespace: string;
  deployment: string;
  currentRevision: number | null;
  currentImage: string | null;
  choice: ChosenTarget['choice'];
  target: {
    revision: number;
    image: string | null;
    verdict: JudgedRevision['verdict'];
    recordId: string | null;
    why: string;
    /** True when the live template already equals the target's (a rollback would be skipped). */
    unchanged: boolean;
  };
  warning: string | null;
  candidates: {
    revision: number;
    image: string | null;
    verdict: JudgedRevision['verdict'];
    evidence: string | null;
  }[];
  message: string;
}

export function candidatesJson(candidates: JudgedRevision[]): RollbackDryRun['candidates'] {
  return candidates.map((r) => ({
    revision: r.revision,
    image: r.image ?? null,
    verdict: r.verdict,
    evidence: r.evidence?.summary ?? null,
  }));
}

/** --dry-run: the plan, nothing changed, no lock, no record. */
export async function runRollbackDryRun(
  env: DeployEnvironment,
  input: RollbackInput,
): Promise<RollbackDryRun> {
  const deployment = input.deployment ?? APP_NAME;
  const plan = await planRollback(env, {
    namespace: input.namespace,
    deployment,
    choice: targetChoice(input),
    ledgerDir: input.ledgerDir,
  });
  const { chosen, target } = plan;
  return {
    dryRun: true,
    namespace: input.namespace,
    deployment,
    currentRevision: deploymentRevision(plan.deployment) ?? null,
    currentImage: templateImage(plan.deployment.spec?.template) ?? null,
    choice: chosen.choice,
    target: {
      revision: target.revision,
      image: target.image ?? null,
      verdict: chosen.revision.verdict,
      recordId: chosen.revision.evidence?.recordId ?? null,
      why: chosen.why,
      unchanged: target.unchanged,
    },
    warning: chosen.warning ?? null,
    candidates: candidatesJson(plan.candidates),
    message: target.unchanged
      ? `dry run (nothing changed): the live template already matches revision ${target.revision}; a rollback would be skipped`
      : `dry run (nothing changed): would roll back deployment/${deployment} to ${chosen.why}`,
  };
}

/** Rolls the Deployment back; records what happened (nothing is recorded for a refused request). */
export async function runRollback(env: DeployEnvironment, input: RollbackInput): Promise<RollbackResult> {
  const deploymentName = input.deployment ?? APP_NAME;
  const { namespace } = input;
  const planInput = {
    namespace,
    deployment: deploymentName,
    choice: targetChoice(input),
    ledgerDir: input.ledgerDir,
  };
  // Decided before the lock and the record, so a refusal (no verified-good revision) leaves no
  // record; decided again under the lock, where it counts.
  const early = await planRollback(env, planInput);
  if (early.chosen.warning) input.onWarning?.(early.chosen.warning);
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
      const plan = await planRollback(env, planInput);
      const { deployment, target } = plan;
      if (deployment.spec?.paused) {
        throw new ActionRequiredError(
          `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${deploymentName} -n ${namespace}' and try again`,
        );
      }
      if (plan.chosen.warning && plan.chosen.warning !== early.chosen.warning)
        input.onWarning?.(plan.chosen.warning);
      record.previousImage = templateImage(deployment.spec?.template);
      record.revisionBefore = deploymentRevision(deployment);
      record.image = target.image;
      record.rollback = rollbackInfo(plan, input.reason);
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
      record.rolloutRevision = outcome.rollout.revision;
      if (outcome.verify) record.verify = outcome.verify;
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
      record.rollback.failureMessage = why;
      return {
        record,
        rollout: outcome.rollout,
        targetRevision: target.revision,
        message: `rollback to revision ${target.revision} failed: ${why}`,
      };
    },
  );
}

/** The record's rollback block: the target, how and why it was chosen, and any warning. */
export function rollbackInfo(
  plan: RollbackPlan,
  reason: string | undefined,
): NonNullable<DeploymentRecord['rollback']> {
  const { chosen, target } = plan;
  return {
    reason,
    toRevision: target.revision,
    toImage: target.image,
    ...(chosen.revision.verdict === 'verified-good' && chosen.revision.evidence
      ? { toRecordId: chosen.revision.evidence.recordId }
      : {}),
    choice: chosen.choice,
    toVerdict: chosen.revision.verdict,
    why: chosen.why,
    ...(chosen.warning ? { warning: chosen.warning } : {}),
  };
}
