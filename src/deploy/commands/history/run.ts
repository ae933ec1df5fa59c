/**
 * `mobius-deploy history`: the ledger's records (newest first) beside the Deployment's Kubernetes
 * revisions (its ReplicaSets, like `kubectl rollout history`). Each revision is joined to the
 * newest ledger record that produced it (the `mobius.dev/record-id` annotation the controller
 * copies from the Deployment, else the same image), and each record names the revision it ended
 * on. Each revision carries the ledger's verdict (verified-good / failed / unknown, judged by
 * release/revision-verdicts.ts, the same judgement `rollback` chooses its target by). Drills are
 * listed beside deploys and rollbacks. Malformed ledger entries are reported beside the table,
 * never fatal.
 */

import { isNotFound } from '../../kube/errors.js';
import { deploymentPath } from '../../kube/resources/apps.js';
import { deploymentRevision } from '../../kube/rollout.js';
import {
  type DeploymentObject,
  listOwnedReplicaSets,
  type RolloutReader,
  replicaSetRevision,
  templateImage,
} from '../../kube/rollout-watch.js';
import { CHANGE_CAUSE_ANNOTATION } from '../../kube/undo.js';
import {
  CHANGE_KINDS,
  type DeploymentRecord,
  isChangeRecord,
  type Ledger,
  type LedgerProblem,
  type RecordKind,
} from '../../ledger/index.js';
import { APP_NAME } from '../../manifests/labels.js';
import { judgeRevisions, type RevisionVerdict } from '../../release/revision-verdicts.js';
import { revisionsOf } from '../../release/rollback-target.js';

export interface HistoryInput {
  namespace: string;
  deployment?: string;
  /** Only this environment's records. */
  environment?: string;
  /** Only these kinds (default deploy, rollback and drill). */
  kinds?: RecordKind[];
  /** At most this many records (newest). */
  limit?: number;
}

export interface RevisionRow {
  revision: number;
  image?: string;
  createdAt?: string;
  changeCause?: string;
  /** The revision the Deployment is on now. */
  current: boolean;
  replicas: number;
  readyReplicas: number;
  /** The newest ledger record that rolled out this revision's template, if any. */
  recordId?: string;
  recordResult?: string;
  /** What the ledger says of this revision: the rollback default goes only to verified-good. */
  verdict: RevisionVerdict;
  /** The evidence behind the verdict ("deploy record … verified good at …"), absent for unknown. */
  verdictEvidence?: string;
}

export interface HistoryResult {
  namespace: string;
  deployment: string;
  /** False when the Deployment does not exist (records may still). */
  deploymentFound: boolean;
  currentRevision?: number;
  /** Newest first. */
  records: DeploymentRecord[];
  /** Newest first. */
  revisions: RevisionRow[];
  /** Ledger entries that could not be read (reported, skipped). */
  problems: LedgerProblem[];
}

export async function runHistory(
  kube: RolloutReader,
  ledger: Ledger,
  input: HistoryInput,
): Promise<HistoryResult> {
  const deploymentName = input.deployment ?? APP_NAME;
  const { namespace } = input;
  const [listed, deployment] = await Promise.all([
    ledger.list({ namespace, kind: input.kinds ?? CHANGE_KINDS, environment: input.environment }),
    kube.getJson<DeploymentObject>(deploymentPath(namespace, deploymentName)).catch((err) => {
      if (isNotFound(err)) return undefined;
      throw err;
    }),
  ]);
  const records = listed.records
    .map((s) => s.record)
    .filter(isChangeRecord)
    .filter((r) => r.deployment === deploymentName);
  const shown = records.slice(0, input.limit ?? Number.POSITIVE_INFINITY);

  let revisions: RevisionRow[] = [];
  const currentRevision = deployment ? deploymentRevision(deployment) : undefined;
  if (deployment) {
    const replicaSets = await listOwnedReplicaSets(kube, namespace, deployment);
    const byId = new Map(records.map((r) => [r.id, r]));
    // Verdicts from every record read, not only the --limit shown.
    const judged = new Map(
      judgeRevisions(revisionsOf(replicaSets), currentRevision, records).map((j) => [j.revision, j]),
    );
    revisions = replicaSets
      .map((rs): RevisionRow | undefined => {
        const revision = replicaSetRevision(rs);
        if (revision === undefined) return undefined;
        const image = templateImage(rs.spec?.template);
        const annotated = rs.metadata?.annotations?.['mobius.dev/record-id'];
        const record =
          (annotated ? byId.get(annotated) : undefined) ??
          records.find(
            (r) =>
              r.result !== 'in_progress' && (r.kind === 'deploy' ? r.image : r.rollback?.toImage) === image,
          );
        const verdict = judged.get(revision);
        return {
          revision,
          image,
          createdAt: rs.metadata?.creationTimestamp,
          changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION],
          current: revision === currentRevision,
          replicas: rs.status?.replicas ?? 0,
          readyReplicas: rs.status?.readyReplicas ?? 0,
          ...(record ? { recordId: record.id, recordResult: record.result } : {}),
          verdict: verdict?.verdict ?? 'unknown',
          ...(verdict?.evidence ? { verdictEvidence: verdict.evidence.summary } : {}),
        };
      })
      .filter((r): r is RevisionRow => r !== undefined)
      .sort((a, b) => b.revision - a.revision);
  }
  return {
    namespace,
    deployment: deploymentName,
    deploymentFound: deployment !== undefined,
    currentRevision,
    records: shown,
    revisions,
    problems: listed.problems,
  };
}
