/**
 * What needs attention in a status snapshot, decided from its summaries and the thresholds: a
 * failed or unfinished rollout, replicas not ready, unhealthy pods grouped by reason, recent
 * restarts, memory or CPU near the limit, an autoscaler that cannot scale, a queue backlog. Each
 * message names the threshold it crossed, and each finding the docs/RUNBOOKS.md section to open. Pure.
 */

import { humanDuration } from '../output/duration.js';
import { plural, pluralWord } from '../output/plural.js';
import type {
  AutoscalerSummary,
  DeploymentSummary,
  Finding,
  PodSummary,
  QueueSummary,
  ResourcesSummary,
  StatusThresholds,
} from './status-types.js';

/** What a pod with this reason is doing, for one pod (`its`) or several (`their`). */
const PROBLEM_WORDS: Record<string, (its: string) => string> = {
  CrashLoopBackOff: () => 'crash-looping',
  ImagePullBackOff: (its) => `failing to pull ${its} image (ImagePullBackOff)`,
  ErrImagePull: (its) => `failing to pull ${its} image (ErrImagePull)`,
  InvalidImageName: () => 'with an invalid image name',
  OOMKilled: () => 'OOMKilled (out of memory)',
  CreateContainerConfigError: () =>
    'with a container config error (CreateContainerConfigError: missing Secret or ConfigMap?)',
  CreateContainerError: (its) => `failing to create ${its} container`,
  RunContainerError: (its) => `failing to start ${its} container`,
  ContainerTerminated: () => 'with a terminated container',
  Unschedulable: () => 'Unschedulable',
  ReadinessProbeFailed: (its) => `failing ${its} readiness probe`,
  NotReady: () => 'not ready',
  PendingTooLong: () => 'Pending too long',
  Evicted: () => 'evicted',
  Failed: () => 'failed',
  Completed: () => 'exited',
};

/** The pod reasons a finding can name (its code is `pods-<reason in lower case>`). */
export const POD_PROBLEM_REASONS = Object.keys(PROBLEM_WORDS);

/** The section of docs/RUNBOOKS.md each finding code points at (the anchor GitHub gives the heading). */
const RUNBOOK_ANCHORS: Record<string, string> = {
  'rollout-failed': 'a-rollout-that-does-not-finish',
  'rollout-paused': 'a-rollout-that-does-not-finish',
  'rollout-in-progress': 'a-rollout-that-does-not-finish',
  'replicas-not-ready': 'previewworkerdown',
  'pods-crashloopbackoff': 'previewworkercrashlooping',
  'pods-containerterminated': 'previewworkercrashlooping',
  'pods-completed': 'previewworkercrashlooping',
  'pods-failed': 'previewworkercrashlooping',
  'pod-restarts': 'previewworkercrashlooping',
  'pods-oomkilled': 'previewworkermemorynearlimit',
  'memory-near-limit': 'previewworkermemorynearlimit',
  'pods-imagepullbackoff': 'pods-that-cannot-pull-or-start-their-image',
  'pods-errimagepull': 'pods-that-cannot-pull-or-start-their-image',
  'pods-invalidimagename': 'pods-that-cannot-pull-or-start-their-image',
  'pods-createcontainerconfigerror': 'pods-that-cannot-pull-or-start-their-image',
  'pods-createcontainererror': 'pods-that-cannot-pull-or-start-their-image',
  'pods-runcontainererror': 'pods-that-cannot-pull-or-start-their-image',
  'pods-unschedulable': 'pods-pending-or-evicted',
  'pods-pendingtoolong': 'pods-pending-or-evicted',
  'pods-evicted': 'pods-pending-or-evicted',
  'pods-readinessprobefailed': 'previewworkerdown',
  'pods-notready': 'previewworkerdown',
  'cpu-near-limit': 'cpu-near-the-limit-or-an-autoscaler-that-cannot-scale',
  'hpa-inactive': 'cpu-near-the-limit-or-an-autoscaler-that-cannot-scale',
  'hpa-unable': 'cpu-near-the-limit-or-an-autoscaler-that-cannot-scale',
  'hpa-at-max': 'cpu-near-the-limit-or-an-autoscaler-that-cannot-scale',
  'queue-backlog': 'previewworkerqueuebackloghigh',
  'queue-failed': 'previewworkerjobfailureratio',
};

/** Every finding code computeFindings can produce. */
export const FINDING_CODES = Object.keys(RUNBOOK_ANCHORS);

/** "docs/RUNBOOKS.md#<section>" for a finding code; undefined for a code without a section. */
export function runbookFor(code: string): string | undefined {
  const anchor = RUNBOOK_ANCHORS[code];
  return anchor ? `docs/RUNBOOKS.md#${anchor}` : undefined;
}

/**
 * The runbook section for a failed deploy or rollback's failure class (the rollout watcher's
 * classes, VerifyFailed), as for the status finding of the same cause; undefined for others.
 */
export function runbookForFailureClass(failureClass: string | undefined): string | undefined {
  if (!failureClass) return undefined;
  if (failureClass === 'ProgressDeadlineExceeded' || failureClass === 'Timeout')
    return runbookFor('rollout-failed');
  if (failureClass === 'VerifyFailed') return runbookFor('replicas-not-ready');
  return runbookFor(`pods-${failureClass.toLowerCase()}`);
}

/** Memory at or above this % of the limit is critical (above --warn-memory it is a warning). */
export const MEMORY_CRITICAL_PERCENT = 95;

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
      message: `${plural(list.length, 'pod')} ${PROBLEM_WORDS[reason]?.(pluralWord(list.length, 'its', 'their')) ?? reason} (${shown})${detail}`,
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
        message: `pod ${p.name} restarted ${plural(p.restarts, 'time')} (more than --max-restarts ${th.maxRestarts}), the last ${humanDuration(now - Date.parse(p.lastRestartAt))} ago${why}`,
        pods: [p.name],
      });
    }
  }

  for (const pr of resources.pods) {
    if (pr.memory.pctOfLimit !== undefined && pr.memory.pctOfLimit > th.warnMemoryPercent) {
      findings.push({
        severity: pr.memory.pctOfLimit >= MEMORY_CRITICAL_PERCENT ? 'critical' : 'warning',
        code: 'memory-near-limit',
        message: `pod ${pr.pod} memory at ${Math.round(pr.memory.pctOfLimit)}% of limit (warn above ${th.warnMemoryPercent}%, critical at ${MEMORY_CRITICAL_PERCENT}%)`,
        pods: [pr.pod],
      });
    }
    if (pr.cpu.pctOfLimit !== undefined && pr.cpu.pctOfLimit > th.warnCpuPercent) {
      findings.push({
        severity: 'warning',
        code: 'cpu-near-limit',
        message: `pod ${pr.pod} CPU at ${Math.round(pr.cpu.pctOfLimit)}% of limit (warn above ${th.warnCpuPercent}%; throttling likely)`,
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
        message: `autoscaler ${autoscaler.name} is at its maximum of ${plural(autoscaler.maxReplicas, 'replica')} and wants more`,
      });
    }
  }

  if (queue?.available) {
    if (queue.waiting !== undefined && queue.waiting > th.queueBacklogWarn) {
      findings.push({
        severity: 'warning',
        code: 'queue-backlog',
        message: `${plural(queue.waiting, 'job')} waiting in the queue (warn above ${th.queueBacklogWarn})`,
      });
    }
    if (th.queueFailedWarn !== undefined && queue.failed !== undefined && queue.failed > th.queueFailedWarn) {
      findings.push({
        severity: 'warning',
        code: 'queue-failed',
        message: `${plural(queue.failed, 'failed job')} in the queue (warn above ${th.queueFailedWarn})`,
      });
    }
  }
  return findings.map((f) => {
    const runbook = runbookFor(f.code);
    return runbook ? { ...f, runbook } : f;
  });
}
