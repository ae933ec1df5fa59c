/**
 * What needs attention in a status snapshot, decided from its summaries and the thresholds: a
 * failed or unfinished rollout, replicas not ready, unhealthy pods grouped by reason, recent
 * restarts, memory or CPU near the limit, an autoscaler that cannot scale, a queue backlog. Pure.
 */
import type {
  AutoscalerSummary,
  DeploymentSummary,
  Finding,
  PodSummary,
  QueueSummary,
  ResourcesSummary,
  StatusThresholds,
} from './status-types.js';

const PROBLEM_WORDS: Record<string, string> = {
  CrashLoopBackOff: 'crash-looping',
  ImagePullBackOff: 'failing to pull their image (ImagePullBackOff)',
  ErrImagePull: 'failing to pull their image (ErrImagePull)',
  InvalidImageName: 'with an invalid image name',
  OOMKilled: 'OOMKilled (out of memory)',
  CreateContainerConfigError:
    'with a container config error (CreateContainerConfigError: missing Secret or ConfigMap?)',
  CreateContainerError: 'failing to create their container',
  RunContainerError: 'failing to start their container',
  ContainerTerminated: 'with a terminated container',
  Unschedulable: 'Unschedulable',
  ReadinessProbeFailed: 'failing their readiness probe',
  NotReady: 'not ready',
  PendingTooLong: 'Pending too long',
  Evicted: 'evicted',
  Failed: 'failed',
  Completed: 'exited',
};

/** Decide what needs attention. Pure. */
export function computeFindings(
  dep: DeploymentSummary,
  pods: PodSummary[],
  resources: ResourcesSummary,
  autoscaler: AutoscalerSummary | null,
  queue: QueueSummary | null,
  th: StatusThresholds,
  now: number,
): Finding[] {
  const findings: Finding[] = [];
  const r = dep.rollout;
  if (r.phase === 'failed')
    findings.push({ severity: 'critical', code: 'rollout-failed', message: `rollout failed: ${r.message}` });
  else if (r.phase === 'paused')
    findings.push({ severity: 'warning', code: 'rollout-paused', message: `rollout paused: ${r.message}` });
  else if (!r.done)
    findings.push({
      severity: 'warning',
      code: 'rollout-in-progress',
      message: `rollout not complete: ${r.message}`,
    });

  if (dep.replicas.ready < dep.replicas.desired) {
    findings.push({
      severity: dep.replicas.ready === 0 && dep.replicas.desired > 0 ? 'critical' : 'warning',
      code: 'replicas-not-ready',
      message: `${dep.replicas.ready} of ${dep.replicas.desired} desired replicas are ready`,
    });
  }

  const byReason = new Map<string, PodSummary[]>();
  for (const p of pods) {
    if (p.health.state !== 'unhealthy' || !p.health.reason) continue;
    const list = byReason.get(p.health.reason) ?? [];
    list.push(p);
    byReason.set(p.health.reason, list);
  }
  for (const [reason, list] of byReason) {
    const sample = list[0].health;
    const detail = sample.message ? `: ${sample.message}` : '';
    const names = list.map((p) => p.name);
    const shown =
      names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
    findings.push({
      severity: 'critical',
      code: `pods-${reason.toLowerCase()}`,
      message: `${list.length} pod${list.length === 1 ? '' : 's'} ${PROBLEM_WORDS[reason] ?? reason} (${shown})${detail}`,
      pods: names,
    });
  }

  for (const p of pods) {
    if (p.health.state === 'unhealthy') continue; // already reported with its reason
    if (
      p.restarts > th.maxRestarts &&
      p.lastRestartAt &&
      now - Date.parse(p.lastRestartAt) <= th.restartWindowMs
    ) {
      const t = p.health.lastTermination;
      const why = t
        ? ` (last: ${[t.reason, t.exitCode !== undefined ? `exit code ${t.exitCode}` : undefined].filter(Boolean).join(', ')}${t.message ? `: ${t.message}` : ''})`
        : '';
      findings.push({
        severity: 'warning',
        code: 'pod-restarts',
        message: `pod ${p.name} restarted ${p.restarts} time${p.restarts === 1 ? '' : 's'}, the last ${Math.round((now - Date.parse(p.lastRestartAt)) / 60_000)}m ago${why}`,
        pods: [p.name],
      });
    }
  }

  for (const pr of resources.pods) {
    if (pr.memory.pctOfLimit !== undefined && pr.memory.pctOfLimit > th.warnMemoryPercent) {
      findings.push({
        severity: pr.memory.pctOfLimit >= 95 ? 'critical' : 'warning',
        code: 'memory-near-limit',
        message: `pod ${pr.pod} memory at ${Math.round(pr.memory.pctOfLimit)}% of limit`,
        pods: [pr.pod],
      });
    }
    if (pr.cpu.pctOfLimit !== undefined && pr.cpu.pctOfLimit > th.warnCpuPercent) {
      findings.push({
        severity: 'warning',
        code: 'cpu-near-limit',
        message: `pod ${pr.pod} CPU at ${Math.round(pr.cpu.pctOfLimit)}% of limit (throttling likely)`,
        pods: [pr.pod],
      });
    }
  }

  if (autoscaler) {
    for (const [type, code, what] of [
      ['ScalingActive', 'hpa-inactive', 'cannot scale'],
      ['AbleToScale', 'hpa-unable', 'not able to scale'],
    ] as const) {
      const cond = autoscaler.conditions.find((c) => c.type === type);
      if (cond?.status === 'False')
        findings.push({
          severity: 'warning',
          code,
          message: `autoscaler ${autoscaler.name} ${what}: ${cond.reason ?? ''} ${cond.message ?? ''}`.trim(),
        });
    }
    if (
      autoscaler.desiredReplicas !== undefined &&
      autoscaler.desiredReplicas >= autoscaler.maxReplicas &&
      autoscaler.conditions.some(
        (c) => c.type === 'ScalingLimited' && c.status === 'True' && c.reason === 'TooManyReplicas',
      )
    ) {
      findings.push({
        severity: 'warning',
        code: 'hpa-at-max',
        message: `autoscaler ${autoscaler.name} is at its maximum of ${autoscaler.maxReplicas} replicas and wants more`,
      });
    }
  }

  if (queue?.available) {
    if (queue.waiting !== undefined && queue.waiting > th.queueBacklogWarn) {
      findings.push({
        severity: 'warning',
        code: 'queue-backlog',
        message: `${queue.waiting} jobs waiting in the queue (warn above ${th.queueBacklogWarn})`,
      });
    }
    if (th.queueFailedWarn !== undefined && queue.failed !== undefined && queue.failed > th.queueFailedWarn) {
      findings.push({
        severity: 'warning',
        code: 'queue-failed',
        message: `${queue.failed} failed jobs in the queue (warn above ${th.queueFailedWarn})`,
      });
    }
  }
  return findings;
}
