/**
 * The guarded change every write goes through (like Helm's pkg/action): take the deploy lock,
 * write an in_progress record, run the change, wait for the rollout and verify, and complete the
 * record whatever happens (also on SIGINT). Used by deploy and rollback; nothing here prints.
 */
import { ActionRequiredError, ClusterUnreachableError, UsageError } from '../errors.js';
import {
  type AcquiredLock,
  acquireDeployLock,
  DeployLockHeldError,
  type LockHolder,
  lockHolderIdentity,
} from '../kube/lease-lock.js';
import {
  describeProgress,
  type RolloutOutcome,
  type RolloutProgress,
  waitForRollout,
} from '../kube/rollout-watch.js';
import {
  DEFAULT_HISTORY_MAX,
  type DeploymentRecord,
  LEDGER_SCHEMA_VERSION,
  newRecordId,
  type VerifySummary,
} from '../ledger/index.js';
import type { DeployEnvironment, LockSettings, VerifyCheckLike, WatchSettings } from './environment.js';
import { ChangeInterruptedError } from './interrupted.js';

/** The last rollout state waitAndVerify saw for a record: how far it got, if the API goes away. */
const lastProgress = new WeakMap<DeploymentRecord, RolloutProgress>();
/** The step a record's change is in (a phase, or waitAndVerify's rollout and verify), for the same message. */
const stepOf = new WeakMap<DeploymentRecord, string>();

export function summarizeVerify(
  result: { passed: boolean; checks: VerifyCheckLike[] },
  durationMs?: number,
): VerifySummary {
  const failed = result.checks.filter((c) => c.status === 'fail');
  return {
    passed: result.passed,
    total: result.checks.length,
    failed: failed.length,
    failedChecks: failed.map((c) => (c.evidence ? `${c.name}: ${c.evidence}` : c.name)),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

/** Fills finishedAt and durationMs. */
export function finishRecord(record: DeploymentRecord, now: number): DeploymentRecord {
  record.finishedAt = new Date(now).toISOString();
  record.durationMs = Math.max(0, now - Date.parse(record.startedAt));
  return record;
}

type PhaseRunner = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export interface RecordSpec {
  kind: 'deploy' | 'rollback' | 'drill';
  namespace: string;
  environment?: string;
  deployment: string;
  image?: string;
  reason?: string;
  historyMax?: number;
  lock: LockSettings;
}

/** The lock is held by someone else: exit 4 with who and since when. */
export class DeployLockBusyError extends ActionRequiredError {
  constructor(
    message: string,
    readonly holder: LockHolder,
  ) {
    super(message, {
      hint: 'Another deploy or rollback is running in this namespace. Wait for it (--lock-timeout 5m), or if its process is gone, run again with --force-unlock.',
    });
  }
}

/**
 * Takes the lock, writes the record (in_progress), runs `body`, then always completes the record,
 * prunes the ledger to --history-max and releases the lock. A UsageError from `body` (nothing was
 * changed: bad revision, no history) deletes the record instead.
 */
export async function runWithLockAndRecord<T>(
  env: DeployEnvironment,
  spec: RecordSpec,
  body: (record: DeploymentRecord, phase: PhaseRunner) => Promise<T>,
): Promise<T> {
  const now = env.now ?? Date.now;
  const started = now();
  const id = newRecordId(new Date(started));
  const record: DeploymentRecord = {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    id,
    kind: spec.kind,
    namespace: spec.namespace,
    environment: spec.environment ?? null,
    deployment: spec.deployment,
    actor: env.provenance.actor,
    source: env.provenance.source,
    ...(env.provenance.git ? { git: env.provenance.git } : {}),
    ...(spec.image ? { image: spec.image } : {}),
    ...(spec.image?.includes('@sha256:') ? { digest: spec.image.slice(spec.image.indexOf('@') + 1) } : {}),
    ...(spec.reason ? { reason: spec.reason } : {}),
    startedAt: new Date(started).toISOString(),
    phases: {},
    result: 'in_progress',
  };
  const phase: PhaseRunner = async (name, fn) => {
    stepOf.set(record, name);
    const t0 = now();
    try {
      return await fn();
    } finally {
      record.phases[name] = (record.phases[name] ?? 0) + (now() - t0);
    }
  };

  let lock: AcquiredLock;
  const stopWaiting = new AbortController();
  const acquiring = phase('lock', () =>
    acquireDeployLock(env.leases, {
      namespace: spec.namespace,
      holderIdentity: lockHolderIdentity(env.host, id),
      lockTimeoutMs: spec.lock.lockTimeoutMs ?? 0,
      forceUnlock: spec.lock.forceUnlock,
      leaseDurationSeconds: spec.lock.leaseDurationSeconds,
      onWait: (h) => env.progress?.update(`waiting for the deploy lock held by ${h.holderIdentity}`),
      signal: stopWaiting.signal,
    }),
  );
  // Interrupted while taking the lock: release it if the take succeeds, then exit.
  const whileLocking = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    setTimeout(() => process.exit(code), 3000).unref();
    stopWaiting.abort();
    acquiring
      .then((l) => l.release())
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  if (env.handleSignals) {
    process.once('SIGINT', whileLocking);
    process.once('SIGTERM', whileLocking);
  }
  try {
    lock = await acquiring;
  } catch (err) {
    if (err instanceof DeployLockHeldError) throw new DeployLockBusyError(err.message, err.holder);
    throw err;
  } finally {
    process.removeListener('SIGINT', whileLocking);
    process.removeListener('SIGTERM', whileLocking);
  }
  if (lock.tookOverFrom) {
    const t = lock.tookOverFrom;
    env.progress?.info(
      t.expired
        ? `took over the expired deploy lock of ${t.holderIdentity}`
        : `--force-unlock: took the deploy lock from ${t.holderIdentity}`,
    );
  }
  lock.startRenewing(undefined, (holder) =>
    env.progress?.info(`warning: the deploy lock was taken by someone else while ${holder} held it`),
  );

  let created = false;
  let interruption: { cause: ClusterUnreachableError; recordSaved: boolean } | undefined;
  let caught: unknown;
  let released = false;
  let removeSignals: (() => void) | undefined;
  const save = async () => {
    if (!created) return;
    await env.ledger.update<DeploymentRecord>(spec.kind, id, (current) => ({ ...current, ...record }));
  };
  const notifyFinished = async () => {
    if (!created || !env.onRecordFinished) return;
    try {
      await env.onRecordFinished(structuredClone(record));
    } catch (err) {
      env.progress?.info(
        `warning: after-deploy hook failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
  try {
    // Signals are handled from before the record exists, so an interrupt in any window closes the
    // record (once written) and releases the lock.
    let creating: Promise<void> = Promise.resolve();
    if (env.handleSignals) {
      const handler = (signal: NodeJS.Signals) => {
        record.result = 'failed';
        record.failureClass = 'Interrupted';
        record.failureMessage = `interrupted by ${signal}`;
        finishRecord(record, now());
        const code = signal === 'SIGINT' ? 130 : 143;
        setTimeout(() => process.exit(code), 5000).unref();
        creating
          .catch(() => undefined)
          .then(() => save())
          .catch(() => undefined)
          .then(() => lock.release())
          .catch(() => undefined)
          .finally(() => process.exit(code));
      };
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
      removeSignals = () => {
        process.removeListener('SIGINT', handler);
        process.removeListener('SIGTERM', handler);
      };
    }
    creating = env.ledger.create(record).then(() => {
      created = true;
    });
    await creating;
    try {
      const result = await body(record, phase);
      finishRecord(record, now());
      await save();
      await notifyFinished();
      return result;
    } catch (err) {
      if (err instanceof UsageError) {
        // Refused before changing anything: no record of a change that never happened.
        await env.ledger.driver.delete(spec.kind, id).catch(() => undefined);
        created = false;
        throw err;
      }
      const apiGone = err instanceof ClusterUnreachableError && !(err instanceof ChangeInterruptedError);
      record.result = 'failed';
      if (apiGone) {
        // The outcome in the cluster is unknown; closed like an interrupt when the ledger can be written.
        record.failureClass = 'Interrupted';
        record.failureMessage = `the Kubernetes API became unreachable${stepOf.has(record) ? ` during ${stepOf.get(record)}` : ''}; the outcome in the cluster is unknown (${err.message})`;
      }
      record.failureClass ??= spec.kind === 'deploy' ? 'ApplyFailed' : 'RollbackFailed';
      record.failureMessage ??= err instanceof Error ? err.message : String(err);
      finishRecord(record, now());
      const saved = await save().then(
        () => true,
        () => false,
      );
      if (!apiGone) await notifyFinished();
      if (apiGone) interruption = { cause: err, recordSaved: saved };
      throw err;
    }
  } catch (err) {
    caught = err;
  } finally {
    removeSignals?.();
    try {
      await env.ledger.prune(spec.historyMax ?? DEFAULT_HISTORY_MAX, { namespace: spec.namespace });
    } catch {
      // retention is housekeeping; it never fails a deploy
    }
    released = await lock.release().then(
      () => true,
      () => false,
    );
  }
  // Only a failure gets here (success returned above).
  if (interruption && caught === interruption.cause) {
    // The same failure, said with what was in flight, the record and the lock.
    throw new ChangeInterruptedError(
      {
        kind: spec.kind,
        namespace: spec.namespace,
        deployment: spec.deployment,
        recordId: id,
        targets: env.hintTargets,
        image: record.image ?? record.rollback?.toImage,
        revisionBefore: record.revisionBefore,
        phase: stepOf.get(record),
        progress: lastProgress.get(record),
        recordSaved: interruption.recordSaved,
        lock: lock.state(),
        lockReleased: released && !lock.lost,
      },
      interruption.cause,
    );
  }
  throw caught;
}

export interface WaitAndVerifyOutcome {
  rollout: RolloutOutcome;
  verify?: VerifySummary;
}

/** Waits for the rollout (live progress), then verifies when it rolled out. */
export async function waitAndVerify(
  env: DeployEnvironment,
  record: DeploymentRecord,
  settings: WatchSettings,
  /** Phase names to time into the record; undefined when the caller times the whole. */
  rolloutPhase: string | undefined,
  verifyPhase: string | undefined,
  deployment: string,
): Promise<WaitAndVerifyOutcome> {
  const now = env.now ?? Date.now;
  const t0 = now();
  const prefix = stepOf.get(record) === 'rollback' ? 'rollback ' : '';
  stepOf.set(record, `${prefix}rollout`);
  const rollout = await waitForRollout(env.kube, {
    namespace: record.namespace,
    deployment,
    timeoutMs: settings.timeoutMs,
    maxRestarts: settings.maxRestarts,
    gracePeriodMs: settings.gracePeriodMs,
    logLines: settings.logLines,
    pollIntervalMs: settings.pollIntervalMs,
    onProgress: (p) => {
      lastProgress.set(record, p);
      env.progress?.update(describeProgress(p));
    },
  });
  if (rolloutPhase) record.phases[rolloutPhase] = (record.phases[rolloutPhase] ?? 0) + (now() - t0);
  if (!rollout.ok) {
    env.progress?.fail(`rollout failed: ${rollout.failure?.message ?? rollout.status.message}`);
    return { rollout };
  }
  env.progress?.succeed(
    `rolled out revision ${rollout.revision ?? '?'} (${rollout.image ?? 'image unknown'})`,
  );
  const v0 = now();
  stepOf.set(record, `${prefix}verify`);
  env.progress?.update('verifying');
  const result = await env.verify({
    namespace: record.namespace,
    deployment,
    smoke: settings.smoke ?? false,
  });
  const verifyMs = now() - v0;
  if (verifyPhase) record.phases[verifyPhase] = (record.phases[verifyPhase] ?? 0) + verifyMs;
  const verify = summarizeVerify(result, verifyMs);
  if (verify.passed) env.progress?.succeed(`verified: ${verify.total} checks passed`);
  else env.progress?.fail(`verification failed: ${verify.failedChecks.join('; ')}`);
  return { rollout, verify };
}
