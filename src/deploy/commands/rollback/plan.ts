/**
 * The plan of a rollback (also of --dry-run and --drill): read the Deployment, its ReplicaSets and
 * the ledger, judge every revision and choose the target (release/rollback-target.ts). Reads only.
 */
import { UsageError } from '../../errors.js';
import { assertNamespaceExists } from '../../kube/namespace.js';
import {
  type DeploymentObject,
  listOwnedReplicaSets,
  type ReplicaSetObject,
} from '../../kube/rollout-watch.js';
import { type RollbackTarget, readDeployment, rollbackTargetFor } from '../../kube/undo.js';
import { changeRecords } from '../../ledger/index.js';
import type { DeployEnvironment } from '../../release/environment.js';
import type { JudgedRevision } from '../../release/revision-verdicts.js';
import {
  type ChosenTarget,
  chooseRollbackTarget,
  judgeDeployment,
  replicaSetOf,
  rollbackCandidates,
  type TargetChoice,
} from '../../release/rollback-target.js';

export interface RollbackPlan {
  deployment: DeploymentObject;
  replicaSets: ReplicaSetObject[];
  judged: JudgedRevision[];
  /** Every revision but the live one, newest first, with its verdict. */
  candidates: JudgedRevision[];
  chosen: ChosenTarget;
  target: RollbackTarget;
}

export function targetChoice(input: { toRevision?: number; previous?: boolean }): TargetChoice {
  if (input.toRevision !== undefined && input.toRevision !== 0) {
    return { kind: 'explicit', revision: input.toRevision };
  }
  return input.previous ? { kind: 'previous' } : { kind: 'verified-good' };
}

/** Reads and decides; throws UsageError (no Deployment, no such revision, no history) or NoVerifiedGoodRevisionError. */
export async function planRollback(
  env: DeployEnvironment,
  input: { namespace: string; deployment: string; choice: TargetChoice; ledgerDir?: string },
): Promise<RollbackPlan> {
  const { namespace, deployment: name } = input;
  const deployment = await readDeployment(env.kube, namespace, name);
  if (!deployment) {
    await assertNamespaceExists(env.kube, namespace); // a missing namespace is exit 5, as everywhere
    throw new UsageError(`deployment "${name}" not found in namespace ${namespace}; nothing to roll back`, {
      hint: 'Check -n/--namespace or -e/--env.',
    });
  }
  const [replicaSets, records] = await Promise.all([
    listOwnedReplicaSets(env.kube, namespace, deployment),
    changeRecords(env.ledger, { namespace, deployment: name }),
  ]);
  const judged = judgeDeployment(deployment, replicaSets, records);
  const chosen = chooseRollbackTarget(judged, input.choice, {
    namespace,
    deployment: name,
    ledgerDir: input.ledgerDir,
    target: env.hintTargets?.ledger,
  });
  const rs = replicaSetOf(replicaSets, chosen.revision.revision);
  if (!rs) throw new Error(`revision ${chosen.revision.revision} has no ReplicaSet`);
  return {
    deployment,
    replicaSets,
    judged,
    candidates: rollbackCandidates(judged),
    chosen,
    target: rollbackTargetFor(deployment, rs, chosen.revision.revision),
  };
}
