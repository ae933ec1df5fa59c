/**
 * A deploy or rollback cut off because the Kubernetes API went away (exit 5, like any unreachable
 * cluster): the error says what was in flight (record, revision, image, how far the rollout got),
 * what became of the ledger record and of the deploy lock (still held, until when), and what to
 * run once the API answers. Built by guarded-change.ts; nothing here prints.
 */
import { ClusterUnreachableError } from '../errors.js';
import type { LockState } from '../kube/lease-lock.js';
import { describeProgress, type RolloutProgress } from '../kube/rollout-watch.js';

export interface InterruptionFacts {
  kind: 'deploy' | 'rollback' | 'drill';
  namespace: string;
  deployment: string;
  recordId: string;
  image?: string;
  revisionBefore?: number;
  /** The options that reach the same target, for the hint's commands (default `-n <namespace>`). */
  targets?: { cluster: string; ledger: string };
  /** The step the change was in (apply, rollout, verify, rollback...). */
  phase?: string;
  /** The last state the rollout watch saw. */
  progress?: RolloutProgress;
  /** The record was closed (failed, Interrupted); else it stays in_progress. */
  recordSaved: boolean;
  lock: LockState;
  /** The lock was deleted after all (the API came back in time). */
  lockReleased: boolean;
}

/** The facts, for -o json (`interruption`) and tests. */
export interface InterruptionSummary {
  recordId: string;
  kind: 'deploy' | 'rollback' | 'drill';
  image?: string;
  revisionBefore?: number;
  revision?: number;
  phase?: string;
  rollout?: { updated?: number; ready: number; available?: number; desired?: number };
  record: 'in_progress' | 'failed';
  lock: {
    held: boolean;
    name: string;
    holder: string;
    renewedAt: string;
    leaseDurationSeconds: number;
    expiresAt: string;
  };
}

const time = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** The API went away in the middle of a deploy or rollback (exit 5). */
export class ChangeInterruptedError extends ClusterUnreachableError {
  readonly interruption: InterruptionSummary;
  constructor(facts: InterruptionFacts, cause: ClusterUnreachableError) {
    const { namespace: ns, lock } = facts;
    const what = `${facts.kind}${facts.image ? ` of ${facts.image}` : ''}`;
    const p = facts.progress;
    const revision = p?.revision;
    const rollout = p
      ? describeProgress(p)
      : `the rollout had not been watched yet${facts.phase ? ` (interrupted during ${facts.phase})` : ''}`;
    const lines = [
      `The Kubernetes API went away during the ${what} in ${ns}: ${cause.message}`,
      `  in flight: ${facts.kind} record ${facts.recordId}, revision ${facts.revisionBefore ?? '?'} → ${revision ?? '?'}${facts.image ? `, image ${facts.image}` : ''}; ${rollout}`,
      facts.recordSaved
        ? `  ledger: the record is closed as failed (Interrupted); the outcome in the cluster is unknown`
        : `  ledger: the record could not be updated and stays in_progress until a later change or retention closes it`,
      facts.lockReleased
        ? `  deploy lock: released`
        : `  deploy lock: Lease ${lock.name} in ${ns} is still held by ${lock.holderIdentity} (renewed ${time(lock.renewedAt)}, lease ${lock.leaseDurationSeconds}s); nothing renews it now, so it expires at ${time(lock.expiresAt)}`,
    ];
    const hint = [
      'once the API answers again:',
      `  mobius-deploy history ${facts.targets?.ledger ?? `-n ${ns}`}    (record ${facts.recordId})`,
      `  mobius-deploy status ${facts.targets?.cluster ?? `-n ${ns}`}     (what runs now: the rollout may have finished without us)`,
      facts.lockReleased
        ? '  then deploy or roll back as usual.'
        : `  the lock frees itself at ${time(lock.expiresAt)} and the next deploy or rollback takes it over; sooner, only if no other deploy runs: add --force-unlock to it, or kubectl delete lease ${lock.name} -n ${ns}`,
    ].join('\n');
    super(lines.join('\n'), { hint, cause });
    this.interruption = {
      recordId: facts.recordId,
      kind: facts.kind,
      ...(facts.image ? { image: facts.image } : {}),
      ...(facts.revisionBefore !== undefined ? { revisionBefore: facts.revisionBefore } : {}),
      ...(revision !== undefined ? { revision } : {}),
      ...(facts.phase ? { phase: facts.phase } : {}),
      ...(p
        ? {
            rollout: {
              updated: p.status.updated,
              ready: p.ready,
              available: p.status.available,
              desired: p.status.desired,
            },
          }
        : {}),
      record: facts.recordSaved ? 'failed' : 'in_progress',
      lock: {
        held: !facts.lockReleased,
        name: lock.name,
        holder: lock.holderIdentity,
        renewedAt: lock.renewedAt.toISOString(),
        leaseDurationSeconds: lock.leaseDurationSeconds,
        expiresAt: lock.expiresAt.toISOString(),
      },
    };
  }
}
