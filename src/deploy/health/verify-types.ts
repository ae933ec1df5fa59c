/**
 * The verify checklist's vocabulary: a check (pass, fail, warn or skip, with its evidence), the
 * result `verify -o json` prints, the options of both verify modes, and how a check reaches one
 * worker (WorkerEndpoint: through the pod proxy or by URL, health/verify-transport.ts).
 */
import type { ProgressReporter } from '../output/progress.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface VerifyCheck {
  name: string;
  status: CheckStatus;
  evidence: string;
  /** The pod the check is about, when it is about one. */
  pod?: string;
  durationMs?: number;
}

export interface VerifyResult {
  kind: 'VerifyResult';
  /** True when no check failed (warn and skip do not fail). */
  passed: boolean;
  target: { namespace?: string; deployment?: string; url?: string; context?: string };
  checks: VerifyCheck[];
  summary: { pass: number; fail: number; warn: number; skip: number };
  /** The smoke job's id, when one was submitted. */
  smokeJobId?: string;
  startedAt: string;
  durationMs: number;
}

export interface CommonVerifyOptions {
  /** Timeout for each health/metrics request (default 5 s). */
  timeoutMs?: number;
  smoke?: boolean;
  /** How long the smoke job may take (default 60 s). */
  smokeTimeoutMs?: number;
  /** Bearer token for /v1 (never printed). */
  apiToken?: string;
  progress?: ProgressReporter;
  now?: () => number;
  /** Poll interval for the smoke job (default 500 ms). */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface VerifyOptions extends CommonVerifyOptions {
  namespace: string;
  deployment?: string;
  /** Service name (default: the deployment's name, else one selecting its pods). */
  service?: string;
  /** A restart within this window fails the pods check (default 10 minutes). */
  restartWindowMs?: number;
  workerPort?: number;
  /** Read the API token from this Secret when apiToken is not given. */
  apiTokenSecret?: string;
  apiTokenKey?: string;
  /** 'throw' (default): a missing namespace is NamespaceNotFoundError (exit 5); 'fail': a failed check. */
  missingNamespace?: 'throw' | 'fail';
}

export interface VerifyUrlOptions extends CommonVerifyOptions {
  url: string;
}

/** One answer of a worker, as the checks read it. */
export interface WorkerAnswer {
  statusCode: number;
  body: string;
  durationMs: number;
  /** The answer came from the API server (pod unreachable), not the worker. */
  fromApiServer?: boolean;
}

/** How the checks reach one worker: through the pod proxy or directly. */
export interface WorkerEndpoint {
  label: string;
  request(
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; timeoutMs: number },
  ): Promise<WorkerAnswer>;
}

/** The result of a list of checks: counted, passed when none failed. */
export function finishVerify(
  checks: VerifyCheck[],
  target: VerifyResult['target'],
  started: number,
  startedAt: string,
  smokeJobId?: string,
): VerifyResult {
  const summary = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return {
    kind: 'VerifyResult',
    passed: summary.fail === 0,
    target,
    checks,
    summary,
    smokeJobId,
    startedAt,
    durationMs: Math.round(performance.now() - started),
  };
}
