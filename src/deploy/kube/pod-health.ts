/**
 * Why a pod is (not) healthy, from its status the way an operator reads `kubectl describe pod`:
 * waiting reasons (CrashLoopBackOff, ImagePullBackOff, ErrImagePull, CreateContainerConfigError…),
 * the last termination (OOMKilled, exit code, message), scheduling (Unschedulable), readiness
 * probes failing (Running but not Ready, with Unhealthy events), Pending too long, Terminating.
 * Pure: time and events are passed in. Reused by status, verify and deploy's rollout watch.
 */

interface ContainerStateLike {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string | Date };
  terminated?: {
    reason?: string;
    message?: string;
    exitCode?: number;
    finishedAt?: string | Date;
    startedAt?: string | Date;
    signal?: number;
  };
}

export interface ContainerStatusLike {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  image?: string;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

/** The parts of core/v1 Pod this module reads. */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string }>;
  };
  spec?: {
    nodeName?: string;
    containers?: Array<{
      name: string;
      image?: string;
      resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: string | Date;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string | Date;
    }>;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

/** The parts of an Event this module reads (core/v1 or events.k8s.io/v1 normalised). */
export interface PodEventLike {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
  count?: number;
}

export type PodHealthState = 'healthy' | 'progressing' | 'unhealthy';

export type PodProblem =
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'InvalidImageName'
  | 'OOMKilled'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError'
  | 'ContainerTerminated'
  | 'Unschedulable'
  | 'ReadinessProbeFailed'
  | 'NotReady'
  | 'PendingTooLong'
  | 'Pending'
  | 'ContainerCreating'
  | 'Terminating'
  | 'Evicted'
  | 'Failed'
  | 'Completed';

export interface LastTermination {
  container: string;
  reason?: string;
  exitCode?: number;
  message?: string;
  finishedAt?: string;
}

export interface PodHealth {
  state: PodHealthState;
  /** Set unless healthy. */
  reason?: PodProblem;
  /** One line explaining the reason (waiting message, condition message, probe event). */
  message?: string;
  container?: string;
  ready: boolean;
  readyContainers: number;
  totalContainers: number;
  restarts: number;
  /** When the most recent container restart happened (lastState.terminated.finishedAt). */
  lastRestartAt?: string;
  /** The most recent termination of any container (reason, exit code, message). */
  lastTermination?: LastTermination;
}

export interface ClassifyOptions {
  now: number;
  /** Warning events about this pod (others are ignored). */
  events?: PodEventLike[];
  /** A pod Pending (unscheduled or creating) longer than this is unhealthy. Default 5 minutes. */
  pendingTimeoutMs?: number;
  /** A Running pod not Ready for less than this is still starting. Default 60 s. */
  startupGraceMs?: number;
}

/** Waiting reasons that mean the container cannot run without a fix. */
export const FATAL_WAITING: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

const toIso = (t: string | Date | undefined): string | undefined =>
  t === undefined ? undefined : t instanceof Date ? t.toISOString() : t;
const toMs = (t: string | Date | undefined): number | undefined => {
  if (t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
};

function termination(
  c: ContainerStatusLike,
  from: ContainerStateLike | undefined,
): LastTermination | undefined {
  const t = from?.terminated;
  if (!t) return undefined;
  return {
    container: c.name,
    reason: t.reason,
    exitCode: t.exitCode,
    message: t.message?.trim() || undefined,
    finishedAt: toIso(t.finishedAt),
  };
}

function describeTermination(t: LastTermination | undefined): string {
  if (!t) return '';
  const bits = [
    t.reason ?? 'terminated',
    t.exitCode !== undefined ? `exit code ${t.exitCode}` : undefined,
  ].filter(Boolean);
  return `last terminated: ${bits.join(', ')}${t.message ? `: ${t.message}` : ''}`;
}

/** Classify one pod. */
export function classifyPodHealth(pod: PodLike, options: ClassifyOptions): PodHealth {
  const now = options.now;
  const pendingTimeout = options.pendingTimeoutMs ?? 5 * 60_000;
  const grace = options.startupGraceMs ?? 60_000;
  const st = pod.status ?? {};
  const containers = st.containerStatuses ?? [];
  const specCount = pod.spec?.containers?.length ?? containers.length;
  const readyContainers = containers.filter((c) => c.ready).length;
  const totalContainers = Math.max(specCount, containers.length);
  const restarts = containers.reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
  const readyCond = st.conditions?.find((c) => c.type === 'Ready');
  const ready = readyCond
    ? readyCond.status === 'True'
    : totalContainers > 0 && readyContainers === totalContainers;

  // Most recent termination across containers (current terminated state or lastState).
  let lastTermination: LastTermination | undefined;
  let lastRestartAt: string | undefined;
  for (const c of containers) {
    for (const t of [termination(c, c.state), termination(c, c.lastState)]) {
      if (!t) continue;
      if (!lastTermination || (toMs(t.finishedAt) ?? 0) > (toMs(lastTermination.finishedAt) ?? 0))
        lastTermination = t;
    }
    const lt = c.lastState?.terminated?.finishedAt;
    if (lt && (c.restartCount ?? 0) > 0 && (!lastRestartAt || (toMs(lt) ?? 0) > (toMs(lastRestartAt) ?? 0)))
      lastRestartAt = toIso(lt);
  }
  const base = { ready, readyContainers, totalContainers, restarts, lastRestartAt, lastTermination };
  const result = (
    state: PodHealthState,
    reason?: PodProblem,
    message?: string,
    container?: string,
  ): PodHealth => ({
    ...base,
    state,
    reason,
    message,
    container,
  });

  if (pod.metadata?.deletionTimestamp) {
    return result(
      'progressing',
      'Terminating',
      `deletion requested at ${toIso(pod.metadata.deletionTimestamp)}`,
    );
  }
  if (st.phase === 'Failed') {
    const reason: PodProblem = st.reason === 'Evicted' ? 'Evicted' : 'Failed';
    return result('unhealthy', reason, st.message ?? st.reason);
  }
  if (st.phase === 'Succeeded')
    return result('unhealthy', 'Completed', 'the pod exited; a Deployment pod should keep running');

  // Containers that cannot run (init containers first: they block the rest).
  for (const c of [...(st.initContainerStatuses ?? []), ...containers]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
      const last = termination(c, c.lastState);
      if (waiting.reason === 'CrashLoopBackOff' && last?.reason === 'OOMKilled') {
        return result(
          'unhealthy',
          'OOMKilled',
          `container ${c.name} was OOMKilled (memory limit reached) and is in CrashLoopBackOff; ${describeTermination(last)}`,
          c.name,
        );
      }
      const detail =
        waiting.reason === 'CrashLoopBackOff' ? describeTermination(last) : (waiting.message ?? '');
      return result(
        'unhealthy',
        waiting.reason as PodProblem,
        `container ${c.name}: ${waiting.reason}${detail ? `; ${detail}` : ''}`,
        c.name,
      );
    }
    const term = c.state?.terminated;
    if (term && !(st.initContainerStatuses ?? []).includes(c)) {
      const t = termination(c, c.state);
      if (term.reason === 'OOMKilled')
        return result(
          'unhealthy',
          'OOMKilled',
          `container ${c.name} was OOMKilled; ${describeTermination(t)}`,
          c.name,
        );
      if (term.reason !== 'Completed' || term.exitCode !== 0) {
        return result(
          'unhealthy',
          'ContainerTerminated',
          `container ${c.name} terminated; ${describeTermination(t)}`,
          c.name,
        );
      }
    }
  }

  if (st.phase === 'Pending' || st.phase === undefined) {
    const scheduled = st.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      return result('unhealthy', 'Unschedulable', scheduled.message ?? 'no node can run this pod');
    }
    const since = toMs(pod.metadata?.creationTimestamp) ?? now;
    const waitingReason = containers.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
    if (now - since > pendingTimeout) {
      return result(
        'unhealthy',
        'PendingTooLong',
        `Pending for ${Math.round((now - since) / 60_000)}m${waitingReason ? ` (${waitingReason})` : ''}`,
      );
    }
    return result(
      'progressing',
      waitingReason === 'ContainerCreating' ? 'ContainerCreating' : 'Pending',
      waitingReason,
    );
  }

  if (!ready) {
    const name = pod.metadata?.name;
    const probe = (options.events ?? [])
      .filter(
        (e) =>
          e.type === 'Warning' &&
          e.reason === 'Unhealthy' &&
          (!e.involvedObject?.name || e.involvedObject.name === name) &&
          /readiness|liveness|startup/i.test(e.message ?? ''),
      )
      .sort(
        (a, b) => (toMs(b.lastTimestamp ?? b.eventTime) ?? 0) - (toMs(a.lastTimestamp ?? a.eventTime) ?? 0),
      )[0];
    if (probe) return result('unhealthy', 'ReadinessProbeFailed', probe.message?.trim());
    const runningSince = Math.max(
      ...containers.map((c) => toMs(c.state?.running?.startedAt) ?? 0),
      toMs(st.startTime) ?? 0,
    );
    const notReady = containers.filter((c) => !c.ready).map((c) => c.name);
    const msg = `containers not ready: ${notReady.join(', ') || '(unknown)'}`;
    if (runningSince > 0 && now - runningSince < grace)
      return result('progressing', 'NotReady', `${msg} (starting)`);
    return result('unhealthy', 'NotReady', msg);
  }
  return result('healthy');
}

/** A short label for a pod's STATUS column, like kubectl's (CrashLoopBackOff, Running, Pending…). */
export function podStatusLabel(pod: PodLike, health: PodHealth): string {
  if (health.reason === 'Terminating') return 'Terminating';
  if (health.reason === 'OOMKilled') return 'OOMKilled';
  if (
    health.reason &&
    health.reason !== 'NotReady' &&
    health.reason !== 'ReadinessProbeFailed' &&
    health.reason !== 'PendingTooLong'
  ) {
    return health.reason;
  }
  return pod.status?.phase ?? 'Unknown';
}
