/**
 * Which revision a rollback goes to, shared by `rollback` (also --dry-run and --drill) and deploy's
 * automatic rollback. The promise: by default the newest revision the ledger records as verified
 * good (never the live one, never one recorded as failed, never one the ledger knows nothing
 * about). `--to-revision N` and `--previous` (kubectl's choice: the highest revision below the live
 * one) are the only ways to choose otherwise, and they carry a warning when the ledger records that
 * revision as failed. With no verified-good revision nothing is changed: exit 4 with the candidates
 * and the command that picks one.
 */
import { ActionRequiredError, UsageError } from '../errors.js';
import { deploymentRevision } from '../kube/rollout.js';
import {
  type DeploymentObject,
  type ReplicaSetObject,
  replicaSetRevision,
  templateImage,
} from '../kube/rollout-watch.js';
import type { DeploymentRecord } from '../ledger/index.js';
import {
  type JudgedRevision,
  judgeRevisions,
  type RevisionInfo,
  type VerdictEvidence,
} from './revision-verdicts.js';

export const RECORD_ID_ANNOTATION = 'mobius.dev/record-id';

/** How the operator asked for the target. */
export type TargetChoice =
  | { kind: 'verified-good' }
  | { kind: 'previous' }
  | { kind: 'explicit'; revision: number };

export interface ChosenTarget {
  revision: JudgedRevision;
  choice: TargetChoice['kind'];
  /** Why this revision, in one line ("revision 3 (img): deploy record … verified good at …"). */
  why: string;
  /** Set when the ledger records the chosen revision as failed (only --previous and --to-revision). */
  warning?: string;
}

/** Every revision but the live one, newest first, with its verdict: what a person may choose from. */
export function rollbackCandidates(judged: JudgedRevision[]): JudgedRevision[] {
  return judged.filter((r) => !r.current);
}

function describe(r: JudgedRevision): string {
  return `revision ${r.revision} (${r.image ?? 'unknown image'})`;
}

function whyOf(r: JudgedRevision): string {
  if (r.evidence) return `${describe(r)}: ${r.evidence.summary}`;
  return `${describe(r)}: the ledger has no record of this revision`;
}

/**
 * The target for `choice` among the judged revisions (pure). Throws UsageError for a revision that
 * does not exist or when there is no other revision (exit 2), NoVerifiedGoodRevisionError when the
 * default finds no verified-good revision (exit 4).
 */
export function chooseRollbackTarget(
  judged: JudgedRevision[],
  choice: TargetChoice,
  context: { namespace: string; deployment: string; ledgerDir?: string; target?: string },
): ChosenTarget {
  const candidates = rollbackCandidates(judged);
  if (choice.kind === 'explicit') {
    const chosen = judged.find((r) => r.revision === choice.revision);
    if (!chosen) {
      const available = judged.map((r) => r.revision).sort((a, b) => a - b);
      throw new UsageError(
        `revision ${choice.revision} not found; available: ${available.length ? available.join(', ') : 'none'}`,
        { hint: `\`mobius-deploy history\` lists the revisions of deployment/${context.deployment}.` },
      );
    }
    return withWarning(chosen, 'explicit', `${whyOf(chosen)}; chosen with --to-revision`);
  }
  if (candidates.length === 0) {
    throw new UsageError(
      `no rollout history found for deployment "${context.deployment}": there is no previous revision`,
      {
        hint:
          judged.length > 0
            ? `Only revision ${judged.map((r) => r.revision).join(', ')} exists. Deploy a known-good image with \`mobius-deploy deploy\` instead.`
            : 'Deploy a known-good image with `mobius-deploy deploy` instead.',
      },
    );
  }
  if (choice.kind === 'previous') {
    const current = judged.find((r) => r.current)?.revision ?? Number.POSITIVE_INFINITY;
    const previous = candidates.find((r) => r.revision < current);
    if (!previous) {
      throw new UsageError(
        `no rollout history found for deployment "${context.deployment}": there is no revision below the live one`,
        { hint: 'Name one with --to-revision N (`mobius-deploy history` lists them).' },
      );
    }
    return withWarning(
      previous,
      'previous',
      `${whyOf(previous)}; chosen with --previous (the revision below the live one)`,
    );
  }
  const good = candidates.find((r) => r.verdict === 'verified-good');
  if (!good) throw new NoVerifiedGoodRevisionError(candidates, context);
  return {
    revision: good,
    choice: 'verified-good',
    why: `${whyOf(good)}; the newest verified-good revision`,
  };
}

function withWarning(r: JudgedRevision, choice: 'previous' | 'explicit', why: string): ChosenTarget {
  return {
    revision: r,
    choice,
    why,
    ...(r.verdict === 'failed'
      ? {
          warning: `revision ${r.revision} is recorded as failed in the ledger (${r.evidence?.summary}); rolling back to it anyway`,
        }
      : {}),
  };
}

/** The candidate list as aligned lines: revision, image, verdict, evidence. */
export function candidateLines(candidates: JudgedRevision[]): string[] {
  if (candidates.length === 0) return ['  (no other revision)'];
  const rows = candidates.map((r) => [
    `revision ${r.revision}`,
    r.image ?? 'unknown image',
    r.verdict,
    r.evidence?.summary ?? 'no ledger record',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map(
    (row) => `  ${row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`,
  );
}

/** The exact command that rolls back to a chosen revision (options needed to reach the same target). */
export function chooseCommand(context: {
  namespace: string;
  deployment: string;
  ledgerDir?: string;
  /** The options that reach the same target (hintTargetsOf(env).ledger), when known. */
  target?: string;
}): string {
  const parts = ['mobius-deploy rollback'];
  if (context.target) parts.push(context.target);
  else parts.push(`-n ${context.namespace}`);
  if (context.deployment !== 'preview-worker') parts.push(`-d ${context.deployment}`);
  if (context.ledgerDir && !context.target) parts.push(`--ledger-dir ${context.ledgerDir}`);
  parts.push('--to-revision N', '--reason "..."');
  return parts.join(' ');
}

/** No revision is recorded as verified good: nothing was changed; a person picks one (exit 4). */
export class NoVerifiedGoodRevisionError extends ActionRequiredError {
  constructor(
    readonly candidates: JudgedRevision[],
    readonly context: { namespace: string; deployment: string; ledgerDir?: string; target?: string },
  ) {
    super(
      [
        `no revision of deployment/${context.deployment} in ${context.namespace} is recorded as verified good in the ledger, so nothing was rolled back (nothing changed). Candidate revisions:`,
        ...candidateLines(candidates),
      ].join('\n'),
      {
        hint: `Choose one yourself: ${chooseCommand(context)} (or --previous for the revision below the live one).`,
      },
    );
  }
}

/** The Deployment's revisions as the verdicts need them (ReplicaSets without a revision are left out). */
export function revisionsOf(replicaSets: ReplicaSetObject[]): RevisionInfo[] {
  return replicaSets.map(toInfo).filter((x): x is RevisionInfo => x !== undefined);
}

function toInfo(rs: ReplicaSetObject): RevisionInfo | undefined {
  const revision = replicaSetRevision(rs);
  if (revision === undefined) return undefined;
  const recordId = rs.metadata?.annotations?.[RECORD_ID_ANNOTATION];
  return { revision, image: templateImage(rs.spec?.template), ...(recordId ? { recordId } : {}) };
}

/** The judged revisions of a Deployment from its ReplicaSets and the ledger's records. */
export function judgeDeployment(
  deployment: DeploymentObject,
  replicaSets: ReplicaSetObject[],
  records: DeploymentRecord[],
  extra: VerdictEvidence[] = [],
): JudgedRevision[] {
  const infos = revisionsOf(replicaSets);
  const current = deploymentRevision(deployment) ?? infos.map((i) => i.revision).sort((a, b) => b - a)[0];
  return judgeRevisions(infos, current, records, extra);
}

/** The ReplicaSet of a judged revision. */
export function replicaSetOf(
  replicaSets: ReplicaSetObject[],
  revision: number,
): ReplicaSetObject | undefined {
  return replicaSets.find((rs) => replicaSetRevision(rs) === revision);
}
