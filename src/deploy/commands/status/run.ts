/**
 * The `status` action: the command's options → the worker's status snapshot
 * (health/status-read.ts) → the result, and exit 1 when anything needs attention. Never prints.
 */
import { readStatus } from '../../health/status-read.js';
import type { StatusResult } from '../../health/status-types.js';
import type { KubeClients } from '../../kube/client.js';

/** The flags of `mobius-deploy status` (command.ts). */
export interface StatusCommandOptions {
  deployment: string;
  selector: string;
  warnCpu: number;
  warnMemory: number;
  maxRestarts: number;
  restartWindow: number;
  eventsSince: number;
  pendingTimeout: number;
  queueBacklogWarn: number;
  queueFailedWarn?: number;
  port: number;
  proxyTimeout: number;
  queue: boolean;
  queuePods: number;
}

export interface StatusRun {
  result: StatusResult;
  /** 0 when healthy, 1 when anything needs attention. */
  exitCode: 0 | 1;
}

export async function runStatus(
  clients: KubeClients,
  namespace: string,
  opts: StatusCommandOptions,
  now?: () => number,
): Promise<StatusRun> {
  const result = await readStatus(clients, {
    namespace,
    deployment: opts.deployment,
    selector: opts.selector,
    thresholds: {
      warnCpuPercent: opts.warnCpu,
      warnMemoryPercent: opts.warnMemory,
      maxRestarts: opts.maxRestarts,
      restartWindowMs: opts.restartWindow,
      pendingTimeoutMs: opts.pendingTimeout,
      queueBacklogWarn: opts.queueBacklogWarn,
      queueFailedWarn: opts.queueFailedWarn,
    },
    eventsSinceMs: opts.eventsSince,
    workerPort: opts.port,
    proxyTimeoutMs: opts.proxyTimeout,
    readQueue: opts.queue,
    queuePods: opts.queuePods,
    now,
  });
  return { result, exitCode: result.healthy ? 0 : 1 };
}
