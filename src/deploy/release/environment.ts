import { API_TOKEN_ENV, WORKER_PORT } from '../../contract/http.js';
import type { ApplyTransport } from '../kube/apply.js';
import type { KubeClients } from '../kube/client.js';
import type { LeaseApi } from '../kube/lease-lock.js';
import type { RolloutReader } from '../kube/rollout-watch.js';
import type { DeploymentRecord, Ledger, Provenance, ProvenanceFlags } from '../ledger/index.js';

export interface VerifyCheckLike {
  name: string;
  status: string;
  evidence?: string;
}

/** Runs the verify checklist (health/verify.ts's runVerify) against the namespace. */
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
  /**
   * The options that reach this run's target, for the commands hints name: `cluster` for those that
   * read the cluster (status, logs: -n, --context, --kubeconfig), `ledger` for those that also read
   * the ledger (history, rollback: --ledger-dir too). Default `-n <namespace>`.
   */
  hintTargets?: HintTargets;
}

export interface HintTargets {
  cluster: string;
  ledger: string;
}

/** The hint targets of an environment, `-n <namespace>` when it names none. */
export function hintTargetsOf(env: Pick<DeployEnvironment, 'hintTargets'>, namespace: string): HintTargets {
  return env.hintTargets ?? { cluster: `-n ${namespace}`, ledger: `-n ${namespace}` };
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

export interface DeployEnvironmentOptions {
  namespace: string;
  /** Keep the ledger in this directory (file driver) instead of ConfigMaps in the namespace. */
  ledgerDir?: string;
  provenance?: ProvenanceFlags;
  progress?: ProgressSink;
  now?: () => number;
  handleSignals?: boolean;
  hintTargets?: HintTargets;
  /** Settings passed through to health/verify.ts's runVerify. */
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
 * --ledger-dir) and the Lease API over the fast JSON transport, verify through health/verify.ts,
 * and provenance from flags, CI variables and the OS.
 */
export async function createDeployEnvironment(
  kube: KubeClients,
  options: DeployEnvironmentOptions,
): Promise<DeployEnvironment> {
  const ledgerMod = await import('../ledger/index.js');
  const { leaseApiFromTransport } = await import('../kube/lease-lock.js');
  const ctx = await ledgerMod.processProvenanceContext();
  const provenance = ledgerMod.resolveProvenance(options.provenance ?? {}, ctx);
  const v = options.verify ?? {};
  const verify: VerifyRunner = async ({ namespace, deployment, smoke }) => {
    const { runVerify } = await import('../health/verify.js');
    return runVerify(kube, {
      namespace,
      deployment,
      smoke,
      timeoutMs: v.timeoutMs ?? 5000,
      smokeTimeoutMs: v.smokeTimeoutMs ?? 60_000,
      restartWindowMs: v.restartWindowMs ?? 10 * 60_000,
      apiToken: v.apiToken,
      apiTokenSecret: v.apiTokenSecret,
      apiTokenKey: v.apiTokenKey ?? API_TOKEN_ENV,
      workerPort: v.workerPort ?? WORKER_PORT,
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
    hintTargets: options.hintTargets,
    handleSignals: options.handleSignals,
  };
}

/** What a person should do about an apply the API server rejected. */
