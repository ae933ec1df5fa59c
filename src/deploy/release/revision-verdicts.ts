/**
 * What the ledger says about each Kubernetes revision of a Deployment: verified-good, failed or
 * unknown. Pure functions over the revisions (ReplicaSets reduced to number, image and record id)
 * and the ledger's deploy, rollback and drill records; `history`, `rollback` and deploy's automatic
 * rollback all judge revisions here.
 *
 * Every finished record gives evidence about the versions it rolled out:
 * - a deploy that succeeded and verified: its revision is verified good; a deploy whose new version
 *   failed (it has `failureDetectedAt`): that revision failed;
 * - a deploy's automatic rollback, a rollback and each leg of a drill: the revision it moved to is
 *   verified good when it rolled out and verified, failed when it did not.
 * Evidence names a revision by the record's revision numbers (`rolloutRevision`, `revisionAfter`),
 * which stay valid because Kubernetes never reuses a revision number; when that number no longer
 * exists (the ReplicaSet was reused and renumbered, or deleted) it falls back to the image, and a
 * deploy's own verdict also reaches the ReplicaSet carrying its `mobius.dev/record-id`. A revision's
 * verdict is its newest evidence: a version that failed once and verified later is good again.
 */
import type { DeploymentRecord } from '../ledger/index.js';

export type RevisionVerdict = 'verified-good' | 'failed' | 'unknown';

/** A Kubernetes revision (a ReplicaSet) as the verdicts need it. */
export interface RevisionInfo {
  revision: number;
  image?: string;
  /** The ReplicaSet's `mobius.dev/record-id` annotation: the deploy that created its template. */
  recordId?: string;
}

export interface VerdictEvidence {
  verdict: 'verified-good' | 'failed';
  recordId: string;
  kind: string;
  /** When the version verified or failed (ISO). */
  at: string;
  revision?: number;
  image?: string;
  /** True for a deploy's verdict on its own new version (matched by the record-id annotation too). */
  own: boolean;
  /** One line, e.g. "deploy record d-1 verified good at 2026-…". */
  summary: string;
}

export interface JudgedRevision extends RevisionInfo {
  current: boolean;
  verdict: RevisionVerdict;
  /** The evidence that decided the verdict (absent for unknown). */
  evidence?: VerdictEvidence;
}

/** The automatic rollback writes this when the target is what is already live (nothing was tried). */
export const ROLLBACK_NOT_TRIED = 'the live template already equals the rollback target';

function good(
  r: DeploymentRecord,
  at: string,
  revision: number | undefined,
  image: string | undefined,
  what = '',
) {
  return {
    verdict: 'verified-good' as const,
    recordId: r.id,
    kind: r.kind,
    at,
    revision,
    image,
    own: false,
    summary: `${r.kind} record ${r.id}${what} verified good at ${at}`,
  };
}

function failed(
  r: DeploymentRecord,
  at: string,
  revision: number | undefined,
  image: string | undefined,
  why: string | undefined,
  what = '',
): VerdictEvidence {
  return {
    verdict: 'failed',
    recordId: r.id,
    kind: r.kind,
    at,
    revision,
    image,
    own: false,
    summary: `${r.kind} record ${r.id}${what} failed${why ? ` (${why})` : ''} at ${at}`,
  };
}

/** The evidence one record gives (none for a record in progress, skipped, or refused). */
export function evidenceOf(r: DeploymentRecord): VerdictEvidence[] {
  if (r.result === 'in_progress' || r.result === 'skipped') return [];
  const end = r.finishedAt ?? r.startedAt;
  const out: VerdictEvidence[] = [];
  if (r.kind === 'deploy') {
    if (r.result === 'succeeded' && r.verify?.passed) {
      out.push({ ...good(r, end, r.revisionAfter, r.image), own: true });
    } else if (r.failureDetectedAt) {
      out.push({
        ...failed(r, r.failureDetectedAt, r.rolloutRevision, r.image, r.failureClass),
        own: true,
      });
    }
    // The automatic rollback, when one was attempted (it names its target revision).
    const rb = r.rollback?.toRevision !== undefined ? r.rollback : undefined;
    if (rb?.result === 'succeeded') {
      out.push(good(r, r.restoredAt ?? end, r.revisionAfter, rb.toImage, "'s automatic rollback"));
    } else if (rb?.result === 'failed' && rb.failureMessage !== ROLLBACK_NOT_TRIED) {
      out.push(failed(r, end, r.revisionAfter, rb.toImage, rb.failureMessage, "'s automatic rollback"));
    }
  } else if (r.kind === 'rollback') {
    const image = r.image ?? r.rollback?.toImage;
    if (r.result === 'succeeded') out.push(good(r, end, r.revisionAfter, image));
    else if (r.rollback?.result === 'failed') {
      out.push(failed(r, end, r.revisionAfter, image, r.failureClass ?? r.failureMessage));
    }
  } else if (r.kind === 'drill') {
    const drill = (r as { drill?: { rollback?: DrillLegLike; rollForward?: DrillLegLike } }).drill;
    for (const [leg, name] of [
      [drill?.rollback, ' (drill, rollback leg)'],
      [drill?.rollForward, ' (drill, roll-forward leg)'],
    ] as const) {
      if (!leg) continue;
      const at = leg.finishedAt ?? end;
      out.push(
        leg.result === 'succeeded'
          ? good(r, at, leg.revisionAfter, leg.image, name)
          : failed(r, at, leg.revisionAfter, leg.image, leg.failureMessage, name),
      );
    }
  }
  return out;
}

interface DrillLegLike {
  revisionAfter?: number;
  image?: string;
  result: 'succeeded' | 'failed';
  finishedAt?: string;
  failureMessage?: string;
}

function matches(e: VerdictEvidence, rev: RevisionInfo, existing: Set<number>): boolean {
  if (e.own && rev.recordId !== undefined && rev.recordId === e.recordId) return true;
  if (e.revision !== undefined && existing.has(e.revision)) {
    return (
      e.revision === rev.revision &&
      (e.image === undefined || rev.image === undefined || e.image === rev.image)
    );
  }
  return e.image !== undefined && e.image === rev.image;
}

/**
 * Each revision with its verdict, newest revision first. `extra` is evidence not in the ledger yet
 * (the deploy in progress that just failed).
 */
export function judgeRevisions(
  revisions: RevisionInfo[],
  currentRevision: number | undefined,
  records: DeploymentRecord[],
  extra: VerdictEvidence[] = [],
): JudgedRevision[] {
  const evidence = [...records.flatMap(evidenceOf), ...extra];
  const existing = new Set(revisions.map((r) => r.revision));
  return revisions
    .slice()
    .sort((a, b) => b.revision - a.revision)
    .map((rev) => {
      let best: VerdictEvidence | undefined;
      for (const e of evidence) {
        if (!matches(e, rev, existing)) continue;
        // Newest evidence wins; at the same time, a failure outweighs a success.
        const t = Date.parse(e.at);
        const bt = best ? Date.parse(best.at) : Number.NEGATIVE_INFINITY;
        if (t > bt || (t === bt && e.verdict === 'failed')) best = e;
      }
      return {
        ...rev,
        current: rev.revision === currentRevision,
        verdict: best?.verdict ?? 'unknown',
        ...(best ? { evidence: best } : {}),
      };
    });
}
