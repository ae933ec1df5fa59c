/**
 * `mobius-deploy deploy`: lock, render, server-side apply, wait for the rollout (failing fast),
 * verify; on failure roll back automatically to the last version that verified good, wait and
 * verify again. Every step's timing and outcome goes into the ledger record, written at the start
 * (in_progress) and completed at the end, whatever happens (also on SIGINT).
 *
 * Results (the command turns them into exit codes):
 *   succeeded    → 0
 *   rolled_back  → 3 (the previous version serves again, verified)
 *   failed       → 4 (no rollback was possible, it was disabled, or it failed too)
 * `dryRun` applies every object with dryRun=All and diffs it against the live object; it takes no
 * lock and writes no record.
 *
 * Like Helm's pkg/action, nothing here prints: progress goes to an injected reporter and the result
 * is returned. The helpers runWithLockAndRecord and waitAndVerify are shared with rollback.
 */
import { ActionRequiredError, isCliError, UsageError } from '../../errors.js';
import { type AppliedObject, type ApplyTransport, applyObjects, type KubeObject } from '../../kube/apply.js';
import type { KubeClients } from '../../kube/client.js';
import {
  type AcquiredLock,
  acquireDeployLock,
  DeployLockHeldError,
  type LeaseApi,
  type LockHolder,
  lockHolderIdentity,
} from '../../kube/lease-lock.js';
import { deploymentRevision } from '../../kube/rollout.js';
import {
  describeProgress,
  listOwnedReplicaSets,
  type RolloutOutcome,
  type RolloutReader,
  templateImage,
  waitForRollout,
} from '../../kube/rollout-watch.js';
import {
  DEFAULT_HISTORY_MAX,
  type DeploymentRecord,
  LEDGER_SCHEMA_VERSION,
  type Ledger,
  newRecordId,
  type Provenance,
  type ProvenanceFlags,
  type VerifySummary,
} from '../../ledger/index.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  findRevisionForImage,
  findRollbackTarget,
  type RollbackTarget,
  readDeployment,
  undoTo,
} from '../rollback/run.js';

/** One verify check as the verify action reports it. */
export interface VerifyCheckLike {
  name: string;
  status: string;
  evidence?: string;
}

/** Runs the verify checklist against the namespace (the command wires actions/verify.ts's runVerify). */
export type VerifyRunner = (options: {
  namespace: string;
  deployment: string;
  smoke: boolean;
}) => Promise<{ passed: boolean; checks: VerifyCheckLike[] }>;

/** The progress sink (output/progress.ts's ProgressReporter satisfies it). */
export interface ProgressSink {
  update(message: string): void;
  info(message: string): void;
  succeed(message: string): void;
  fail(message: string): void;
}

/** Everything deploy and rollback talk to, injected (the command builds it; tests may fake parts). */
export interface DeployEnvironment {
  kube: RolloutReader & ApplyTransport;
  ledger: Ledger;
  leases: LeaseApi;
  verify: VerifyRunner;
  provenance: Provenance;
  /** `user@host` of this process, for the lock holder. */
  host: string;
  progress?: ProgressSink;
  now?: () => number;
  /** Release the lock and close the record on SIGINT/SIGTERM (the CLI sets it). */
  handleSignals?: boolean;
  /**
   * Called with every completed deploy/rollback record, after it is stored and before the lock is
   * released (for example to open an incident for a production deploy that could not be restored).
   * Its errors are reported as progress warnings and never change the deploy's outcome.
   */
  onRecordFinished?: (record: DeploymentRecord) => Promise<void>;
}

export interface LockSettings {
  /** How long to wait for a held lock, ms (default 0: fail at once). */
  lockTimeoutMs?: number;
  forceUnlock?: boolean;
  leaseDurationSeconds?: number;
}

export interface WatchSettings extends LockSettings {
  timeoutMs?: number;
  maxRestarts?: number;
  gracePeriodMs?: number;
  logLines?: number;
  pollIntervalMs?: number;
  smoke?: boolean;
  historyMax?: number;
}

/** Turns a verify result into the ledger's summary. */
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
  kind: 'deploy' | 'rollback';
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
      record.result = 'failed';
      record.failureClass ??= spec.kind === 'rollback' ? 'RollbackFailed' : 'ApplyFailed';
      record.failureMessage ??= err instanceof Error ? err.message : String(err);
      finishRecord(record, now());
      await save().catch(() => undefined);
      await notifyFinished();
      throw err;
    }
  } finally {
    removeSignals?.();
    try {
      await env.ledger.prune(spec.historyMax ?? DEFAULT_HISTORY_MAX, { namespace: spec.namespace });
    } catch {
      // retention is housekeeping; it never fails a deploy
    }
    await lock.release().catch(() => undefined);
  }
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
  const rollout = await waitForRollout(env.kube, {
    namespace: record.namespace,
    deployment,
    timeoutMs: settings.timeoutMs,
    maxRestarts: settings.maxRestarts,
    gracePeriodMs: settings.gracePeriodMs,
    logLines: settings.logLines,
    pollIntervalMs: settings.pollIntervalMs,
    onProgress: (p) => env.progress?.update(describeProgress(p)),
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

export interface DeployInput extends WatchSettings {
  namespace: string;
  /** Environment name (-e), recorded. */
  environment?: string;
  /** The objects to apply (rendered by the manifests builders), or undefined with `image` alone. */
  objects?: KubeObject[];
  /** The image this deploy rolls out (full reference). */
  image: string;
  deployment?: string;
  reason?: string;
  dryRun?: boolean;
  /** Automatic rollback (default true; --no-rollback). */
  rollback?: boolean;
}

export interface DeployResult {
  /** Absent for --dry-run. */
  record?: DeploymentRecord;
  dryRun?: boolean;
  applied?: AppliedObject[];
  rollout?: RolloutOutcome;
  /** The rollout of the automatic rollback, when there was one. */
  rollbackRollout?: RolloutOutcome;
  /** One paragraph: what happened. */
  message: string;
  /** For failed deploys: what a person must do. */
  nextSteps?: string[];
}

/** The Deployment object to apply for `-n NS --image REF` without an environment file. */
export function imageOnlyDeployment(
  live: {
    metadata?: { name?: string };
    spec?: { template?: { spec?: { containers?: { name: string }[] } } };
  },
  namespace: string,
  image: string,
): KubeObject {
  const containers = live.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'preview-worker') ?? containers[0];
  if (!container) throw new UsageError('the live Deployment has no containers to set the image of');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: live.metadata?.name ?? 'preview-worker', namespace },
    spec: { template: { spec: { containers: [{ name: container.name, image }] } } },
  };
}

function annotateDeployment(
  objects: KubeObject[],
  deployment: string,
  changeCause: string,
  recordId: string | undefined,
) {
  return objects.map((o) => {
    if (o.kind !== 'Deployment' || o.metadata.name !== deployment) return o;
    const annotations = { ...((o.metadata.annotations as Record<string, string> | undefined) ?? {}) };
    annotations[CHANGE_CAUSE_ANNOTATION] = changeCause;
    if (recordId) annotations['mobius.dev/record-id'] = recordId;
    return { ...o, metadata: { ...o.metadata, annotations } };
  });
}

/** Runs a deploy. Throws for refused or impossible requests; otherwise returns what happened. */
export async function runDeploy(env: DeployEnvironment, input: DeployInput): Promise<DeployResult> {
  const deploymentName = input.deployment ?? 'preview-worker';
  const { namespace, image } = input;
  const now = env.now ?? Date.now;

  let objects = input.objects;
  // The live Deployment, read before the lock: for an image-only deploy and for the dry run.
  let live: Awaited<ReturnType<typeof readDeployment>> | undefined;
  if (!objects) {
    live = await readDeployment(env.kube, namespace, deploymentName);
    if (!live) {
      throw new UsageError(
        `deployment "${deploymentName}" does not exist in namespace ${namespace}, and without -e/--env there are no manifests to install it from`,
        { hint: 'Use -e/--env <environment> for a first install.' },
      );
    }
    objects = [imageOnlyDeployment(live, namespace, image)];
  }

  const changeCause = `mobius-deploy deploy ${image}${input.reason ? `: ${input.reason}` : ''}`;
  if (input.dryRun) {
    // The annotations a real deploy would set; the record id is the live one, so the diff shows
    // only real changes.
    live ??= await readDeployment(env.kube, namespace, deploymentName);
    const liveRecordId = live?.metadata?.annotations?.['mobius.dev/record-id'];
    const annotated = annotateDeployment(objects, deploymentName, changeCause, liveRecordId);
    let applied: AppliedObject[];
    try {
      applied = await applyObjects(env.kube, annotated, { dryRun: true });
    } catch (err) {
      if (isCliError(err)) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new ActionRequiredError(
        `the API server rejects the manifests (dry run, nothing changed): ${message}`,
        {
          hint: applyFailureHint(message, namespace, deploymentName),
          cause: err,
        },
      );
    }
    const changed = applied.filter((a) => a.action === 'created' || a.action === 'configured').length;
    return {
      dryRun: true,
      applied,
      message: `dry run (server-side, nothing changed): ${changed} of ${applied.length} objects would change`,
    };
  }

  const outcome = await runWithLockAndRecord(
    env,
    {
      kind: 'deploy',
      namespace,
      environment: input.environment,
      deployment: deploymentName,
      image,
      reason: input.reason,
      historyMax: input.historyMax,
      lock: input,
    },
    async (record, phase) => {
      const live = await readDeployment(env.kube, namespace, deploymentName);
      if (live) {
        record.previousImage = templateImage(live.spec?.template);
        record.revisionBefore = deploymentRevision(live);
      }
      const toApply = annotateDeployment(objects, deploymentName, changeCause, record.id);
      env.progress?.update(`applying ${toApply.length} objects to namespace ${namespace}`);
      let applied: AppliedObject[];
      try {
        applied = await phase('apply', () => applyObjects(env.kube, toApply, { force: true }));
      } catch (err) {
        record.failureClass = 'ApplyFailed';
        record.failureMessage = err instanceof Error ? err.message : String(err);
        if (isCliError(err)) throw err;
        throw new ActionRequiredError(`applying the manifests failed: ${record.failureMessage}`, {
          hint: applyFailureHint(record.failureMessage, namespace, deploymentName),
          cause: err,
        });
      }
      const counts = new Map<string, number>();
      for (const a of applied) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
      const dep = applied.find((a) => a.kind === 'Deployment' && a.name === deploymentName);
      env.progress?.info(
        `applied ${applied.length} objects (${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')})` +
          (dep ? `; Deployment/${deploymentName} ${dep.action}` : ''),
      );

      const first = await waitAndVerify(env, record, input, 'rollout', 'verify', deploymentName);
      record.revisionAfter = first.rollout.revision;
      if (!record.digest && first.rollout.digest) record.digest = first.rollout.digest;
      if (first.verify) record.verify = first.verify;
      if (first.rollout.ok && first.verify?.passed) {
        record.result = 'succeeded';
        return {
          record,
          applied,
          rollout: first.rollout,
          message: `deployed ${image} to ${namespace} (revision ${first.rollout.revision ?? '?'}); rolled out and verified`,
        };
      }

      // The new version failed: say why, then restore the last good one.
      record.failureDetectedAt = new Date(now()).toISOString();
      record.failureClass = first.rollout.ok
        ? 'VerifyFailed'
        : (first.rollout.failure?.failureClass ?? 'Timeout');
      record.failureMessage = first.rollout.ok
        ? `verification failed after a clean rollout: ${first.verify?.failedChecks.join('; ')}`
        : (first.rollout.failure?.message ?? first.rollout.status.message);
      const failureText = `${record.failureClass}: ${record.failureMessage}`;

      if (input.rollback === false) {
        record.result = 'failed';
        return {
          record,
          applied,
          rollout: first.rollout,
          message: `deploy of ${image} failed (${failureText}); automatic rollback is disabled (--no-rollback), so the failed version stays`,
          nextSteps: [
            `roll back: mobius-deploy rollback -n ${namespace} --reason "${record.failureClass}"`,
            `investigate: mobius-deploy status -n ${namespace}; mobius-deploy logs -n ${namespace} --previous`,
          ],
        };
      }

      const restore = await phase('rollback', () =>
        autoRollback(env, record, input, deploymentName, image, failureText),
      );
      return { ...restore, applied, rollout: first.rollout };
    },
  );
  // A production deploy that ends failed (exit 4) opens a level-2 incident; never masks the result.
  if (outcome.record?.result === 'failed') {
    const { openIncidentForFailedDeploy } = await import('../../incidents/auto.js');
    const auto = await openIncidentForFailedDeploy(env.ledger, outcome.record, now());
    if (auto.note) outcome.nextSteps = [...(outcome.nextSteps ?? []), auto.note];
  }
  return outcome;
}

async function autoRollback(
  env: DeployEnvironment,
  record: DeploymentRecord,
  input: DeployInput,
  deploymentName: string,
  image: string,
  failureText: string,
): Promise<Omit<DeployResult, 'applied' | 'rollout'>> {
  const { namespace } = input;
  const now = env.now ?? Date.now;
  const investigate = `investigate: mobius-deploy status -n ${namespace}; mobius-deploy logs -n ${namespace} --previous`;
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
        `compare what changed: mobius-deploy deploy -n ${namespace} --dry-run with the previous tag`,
        'revert the configuration change and deploy again',
      ],
    };
  }
  const replicaSets = await listOwnedReplicaSets(env.kube, namespace, deployment);
  const good = await env.ledger.lastVerifiedGood({
    namespace,
    deployment: deploymentName,
    excludeId: record.id,
    excludeImage: image,
  });
  const goodRevision = good?.image ? findRevisionForImage(deployment, replicaSets, good.image) : undefined;
  let target: RollbackTarget;
  try {
    target = findRollbackTarget(deployment, replicaSets, goodRevision);
  } catch (err) {
    record.result = 'failed';
    return {
      record,
      message: `deploy of ${image} failed (${failureText}); no earlier revision to roll back to (${(err as Error).message})`,
      nextSteps: [investigate, 'deploy a known-good image with mobius-deploy deploy --image-tag <tag>'],
    };
  }
  const via = goodRevision !== undefined ? `last verified-good deploy ${good?.id}` : 'previous revision';
  record.rollback = {
    reason: failureText,
    toRevision: target.revision,
    toImage: target.image,
    ...(goodRevision !== undefined && good ? { toRecordId: good.id } : {}),
  };
  if (target.unchanged) {
    record.result = 'failed';
    record.rollback.result = 'failed';
    record.rollback.failureMessage = 'the live template already equals the rollback target';
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
      `then roll back by hand to a revision you trust: mobius-deploy history -n ${namespace}; mobius-deploy rollback -n ${namespace} --to-revision N`,
      'and open a level 2 incident if users are affected',
    ],
  };
}

export interface DeployEnvironmentOptions {
  namespace: string;
  /** Keep the ledger in this directory (file driver) instead of ConfigMaps in the namespace. */
  ledgerDir?: string;
  provenance?: ProvenanceFlags;
  progress?: ProgressSink;
  now?: () => number;
  handleSignals?: boolean;
  /** Settings passed through to actions/verify.ts's runVerify. */
  verify?: {
    timeoutMs?: number;
    smokeTimeoutMs?: number;
    restartWindowMs?: number;
    apiToken?: string;
    apiTokenSecret?: string;
    apiTokenKey?: string;
    workerPort?: number;
  };
}

/**
 * Builds the DeployEnvironment the CLI uses: the ledger (ConfigMaps in the namespace, or files with
 * --ledger-dir) and the Lease API over the fast JSON transport, verify through actions/verify.ts,
 * and provenance from flags, CI variables and the OS.
 */
export async function createDeployEnvironment(
  kube: KubeClients,
  options: DeployEnvironmentOptions,
): Promise<DeployEnvironment> {
  const ledgerMod = await import('../../ledger/index.js');
  const { leaseApiFromTransport } = await import('../../kube/lease-lock.js');
  const ctx = await ledgerMod.processProvenanceContext();
  const provenance = ledgerMod.resolveProvenance(options.provenance ?? {}, ctx);
  const v = options.verify ?? {};
  const verify: VerifyRunner = async ({ namespace, deployment, smoke }) => {
    const { runVerify } = await import('../verify/run.js');
    return runVerify(kube, {
      namespace,
      deployment,
      smoke,
      timeoutMs: v.timeoutMs ?? 5000,
      smokeTimeoutMs: v.smokeTimeoutMs ?? 60_000,
      restartWindowMs: v.restartWindowMs ?? 10 * 60_000,
      apiToken: v.apiToken,
      apiTokenSecret: v.apiTokenSecret,
      apiTokenKey: v.apiTokenKey ?? 'PREVIEW_API_TOKEN',
      workerPort: v.workerPort ?? 3000,
      now: options.now,
    });
  };
  return {
    kube,
    ledger: ledgerMod.openLedger({
      namespace: options.namespace,
      transport: kube,
      ledgerDir: options.ledgerDir,
    }),
    leases: leaseApiFromTransport(kube),
    verify,
    provenance,
    host: `${ctx.user}@${ctx.host}`,
    progress: options.progress,
    now: options.now,
    handleSignals: options.handleSignals,
  };
}

/** What a person should do about an apply the API server rejected. */
export function applyFailureHint(message: string, namespace: string, deploymentName: string): string {
  if (/spec\.selector.*field is immutable/s.test(message)) {
    return (
      `The live Deployment ${deploymentName} was created with a different label selector, and spec.selector cannot ` +
      `change. It was not created by mobius-deploy from these manifests: during a maintenance window delete it ` +
      `(kubectl delete deployment ${deploymentName} -n ${namespace}) and deploy again.`
    );
  }
  return (
    'Nothing was rolled out if the Deployment was not reached; fix the manifest or the cluster state and deploy ' +
    'again. `mobius-deploy deploy --dry-run` shows what the server rejects.'
  );
}
