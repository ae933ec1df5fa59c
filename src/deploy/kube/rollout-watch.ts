/**
 * Waiting for a Deployment rollout, failing fast when a new pod cannot become healthy.
 *
 * The done/not-done decision is `kubectl rollout status`'s (kube/rollout.ts); each pod's state is
 * classified by kube/pod-health.ts. Only pods of the new ReplicaSet (the one whose revision equals
 * the Deployment's) count: an old pod failing does not fail a new rollout. A rollout fails when
 * - a new pod is in CrashLoopBackOff (or OOMKilled) with more than `maxRestarts` restarts, or has
 *   been crash-looping for the grace period;
 * - a new pod has been ImagePullBackOff / ErrImagePull / InvalidImageName / CreateContainerConfigError
 *   / CreateContainerError / RunContainerError / Unschedulable for the grace period (these are
 *   sometimes transient: a registry hiccup, a node being added);
 * - the Deployment reports ProgressDeadlineExceeded, or `timeoutMs` passes.
 * On failure the failing pod's last termination and its last `logLines` log lines are collected.
 */

import { formatDuration } from '../output/duration.js';
import { plural } from '../output/plural.js';
import { sleep as pause } from '../util/sleep.js';
import type { KubeRequest, KubeResponse } from './client.js';
import {
  classifyPodHealth,
  FATAL_WAITING,
  type LastTermination,
  type PodLike,
  type PodProblem,
} from './pod-health.js';
import { deploymentPath } from './resources/apps.js';
import {
  type DeploymentLike,
  deploymentRevision,
  deploymentRolloutStatus,
  labelSelectorToString,
  REVISION_ANNOTATION,
  type RolloutStatus,
} from './rollout.js';

/** What the watcher needs from the cluster client (`KubeClients` satisfies it). */
export interface RolloutReader {
  getJson<T>(path: string, query?: KubeRequest['query']): Promise<T>;
  request(req: KubeRequest): Promise<KubeResponse>;
}

export interface DeploymentObject extends DeploymentLike {
  metadata?: DeploymentLike['metadata'] & { uid?: string; namespace?: string; resourceVersion?: string };
  spec?: DeploymentLike['spec'] & {
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { containers?: { name: string; image?: string }[] };
    };
  };
}

export interface ReplicaSetObject {
  metadata?: {
    name?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[];
  };
  spec?: {
    replicas?: number;
    template?: Record<string, unknown> & { spec?: { containers?: { name?: string; image?: string }[] } };
  };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

/** Failure classes the watcher reports (a subset of the ledger's FailureClass). */
export type RolloutFailureClass =
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'InvalidImageName'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError'
  | 'OOMKilled'
  | 'Unschedulable'
  | 'ProgressDeadlineExceeded'
  | 'Timeout';

export interface PodSummary {
  name: string;
  phase: string;
  ready: boolean;
  restarts: number;
  /** From the new ReplicaSet. */
  isNew: boolean;
  reason?: PodProblem;
  message?: string;
}

export interface RolloutProgress {
  status: RolloutStatus;
  revision?: number;
  ready: number;
  pods: PodSummary[];
  elapsedMs: number;
}

export interface RolloutFailure {
  failureClass: RolloutFailureClass;
  message: string;
  pod?: string;
  container?: string;
  lastTermination?: LastTermination;
  /** The failing pod's last log lines (previous container when it restarted). */
  logs?: string[];
}

export interface RolloutOutcome {
  ok: boolean;
  status: RolloutStatus;
  revision?: number;
  image?: string;
  /** `sha256:…` the new pods run, from their containers' imageID (when the runtime reports one). */
  digest?: string;
  durationMs: number;
  failure?: RolloutFailure;
  pods: PodSummary[];
}

export interface RolloutWatchOptions {
  namespace: string;
  deployment: string;
  /** Overall limit (default 10 minutes). */
  timeoutMs?: number;
  /** CrashLoopBackOff with more restarts than this fails the rollout (default 2). */
  maxRestarts?: number;
  /** How long an image-pull, config or scheduling failure may last before it fails the rollout (default 30 s). */
  gracePeriodMs?: number;
  /** Log lines to collect from a failing pod (default 20; 0 for none). */
  logLines?: number;
  pollIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (progress: RolloutProgress) => void;
  signal?: AbortSignal;
}

const CRASH_CLASSES = new Set<string>(['CrashLoopBackOff', 'OOMKilled']);
/** The waiting reasons pod-health calls fatal (crashes aside) and Unschedulable: they fail after the grace period. */
const GRACE_CLASSES = new Set<string>(
  [...FATAL_WAITING, 'Unschedulable'].filter((reason) => !CRASH_CLASSES.has(reason)),
);

/** Reasons that are one failure seen in two phases (the grace clock does not restart between them). */
function graceGroup(reason: string): string {
  if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull') return 'image-pull';
  if (reason === 'CrashLoopBackOff' || reason === 'OOMKilled') return 'crash';
  return reason;
}

/** The ReplicaSets the Deployment controls (by owner reference), newest revision first. */
export async function listOwnedReplicaSets(
  reader: RolloutReader,
  namespace: string,
  deployment: DeploymentObject,
): Promise<ReplicaSetObject[]> {
  const selector = labelSelectorToString(deployment.spec?.selector);
  const list = await reader.getJson<{ items?: ReplicaSetObject[] }>(
    `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets`,
    selector ? { labelSelector: selector } : undefined,
  );
  const uid = deployment.metadata?.uid;
  return (list.items ?? [])
    .filter((rs) =>
      (rs.metadata?.ownerReferences ?? []).some(
        (o) => o.kind === 'Deployment' && (uid ? o.uid === uid : o.name === deployment.metadata?.name),
      ),
    )
    .sort((a, b) => (replicaSetRevision(b) ?? 0) - (replicaSetRevision(a) ?? 0));
}

export function replicaSetRevision(rs: ReplicaSetObject): number | undefined {
  const v = rs.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** The first container image of a pod template. */
export function templateImage(
  template: { spec?: { containers?: { image?: string }[] } } | undefined,
): string | undefined {
  return template?.spec?.containers?.[0]?.image;
}

async function readPodLogs(
  reader: RolloutReader,
  namespace: string,
  pod: string,
  container: string | undefined,
  lines: number,
  previous: boolean,
): Promise<string[] | undefined> {
  const attempt = async (prev: boolean) => {
    const res = await reader.request({
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      query: { tailLines: lines, ...(container ? { container } : {}), ...(prev ? { previous: true } : {}) },
      headers: { Accept: 'text/plain, */*' },
      attempts: 2,
    });
    if (res.statusCode !== 200) return undefined;
    const text = res.body.toString('utf8').replace(/\n$/, '');
    return text === '' ? [] : text.split('\n').slice(-lines);
  };
  try {
    if (previous) {
      const prev = await attempt(true);
      if (prev && prev.length > 0) return prev;
    }
    return await attempt(false);
  } catch {
    return undefined; // logs are evidence, never a reason to fail differently
  }
}

/** Waits for the Deployment's rollout to finish or fail. Never throws for a failed rollout. */
export async function waitForRollout(
  reader: RolloutReader,
  options: RolloutWatchOptions,
): Promise<RolloutOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? pause;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const maxRestarts = options.maxRestarts ?? 2;
  const graceMs = options.gracePeriodMs ?? 30_000;
  const logLines = options.logLines ?? 20;
  const poll = options.pollIntervalMs ?? 250;
  const { namespace } = options;
  const started = now();
  const firstSeen = new Map<string, number>();
  const podsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;

  for (;;) {
    const deployment = await reader.getJson<DeploymentObject>(deploymentPath(namespace, options.deployment));
    const status = deploymentRolloutStatus(deployment);
    const revision = deploymentRevision(deployment);
    const replicaSets = await listOwnedReplicaSets(reader, namespace, deployment);
    const newRs = replicaSets.find((rs) => revision !== undefined && replicaSetRevision(rs) === revision);
    const newHash = newRs?.metadata?.labels?.['pod-template-hash'];
    const selector = labelSelectorToString(deployment.spec?.selector);
    const podList = await reader.getJson<{ items?: PodLike[] }>(
      podsPath,
      selector ? { labelSelector: selector } : undefined,
    );
    const at = now();
    const pods: PodSummary[] = [];
    let failure: (RolloutFailure & { restarts: number }) | undefined;
    const seenKeys = new Set<string>();
    for (const pod of podList.items ?? []) {
      const name = pod.metadata?.name ?? '?';
      const isNew = newHash === undefined || pod.metadata?.labels?.['pod-template-hash'] === newHash;
      const health = classifyPodHealth(pod, { now: at });
      pods.push({
        name,
        phase: pod.status?.phase ?? 'Unknown',
        ready: health.ready,
        restarts: health.restarts,
        isNew,
        reason: health.state === 'healthy' ? undefined : health.reason,
        message: health.message,
      });
      if (!isNew || failure || !health.reason) continue;
      const reason = health.reason;
      const key = `${name}/${graceGroup(reason)}`;
      if (CRASH_CLASSES.has(reason) || GRACE_CLASSES.has(reason)) {
        seenKeys.add(key);
        if (!firstSeen.has(key)) firstSeen.set(key, at);
      }
      const lasted = at - (firstSeen.get(key) ?? at);
      const crashFail = CRASH_CLASSES.has(reason) && (health.restarts > maxRestarts || lasted >= graceMs);
      const graceFail = GRACE_CLASSES.has(reason) && lasted >= graceMs;
      if (crashFail || graceFail) {
        const why = crashFail
          ? health.restarts > maxRestarts
            ? `${plural(health.restarts, 'restart')}, more than --max-restarts ${maxRestarts}`
            : `for ${formatDuration(lasted)}`
          : `for ${formatDuration(lasted)} (grace period ${formatDuration(graceMs)})`;
        failure = {
          failureClass: reason as RolloutFailureClass,
          message: `pod ${name} ${reason} (${why}): ${failureEvidence(health.lastTermination, health.message ?? reason)}`,
          pod: name,
          container: health.container ?? health.lastTermination?.container,
          lastTermination: health.lastTermination,
          restarts: health.restarts,
        };
      }
    }
    for (const key of [...firstSeen.keys()]) if (!seenKeys.has(key)) firstSeen.delete(key);
    const ready = pods.filter((p) => p.isNew && p.ready).length;
    options.onProgress?.({ status, revision, ready, pods, elapsedMs: at - started });
    const image = templateImage(deployment.spec?.template);
    const finish = async (f: RolloutFailure & { restarts?: number }): Promise<RolloutOutcome> => {
      if (f.pod && logLines > 0) {
        f.logs = await readPodLogs(reader, namespace, f.pod, f.container, logLines, (f.restarts ?? 0) > 0);
      }
      delete f.restarts;
      return { ok: false, status, revision, image, durationMs: now() - started, failure: f, pods };
    };

    if (status.done) {
      const digest = newPodDigest(podList.items ?? [], newHash);
      return {
        ok: true,
        status,
        revision,
        image,
        durationMs: at - started,
        pods,
        ...(digest ? { digest } : {}),
      };
    }
    if (failure) return finish(failure);
    if (status.phase === 'failed') {
      // Name the pod that kept it from progressing, if one is visibly failing.
      const culprit = pods.find(
        (p) => p.isNew && p.reason && p.reason !== 'Pending' && p.reason !== 'ContainerCreating',
      );
      return finish({
        failureClass: 'ProgressDeadlineExceeded',
        message: `${status.message}${culprit ? `; pod ${culprit.name}: ${culprit.message ?? culprit.reason}` : ''}`,
        pod: culprit?.name,
        restarts: culprit?.restarts,
      });
    }
    if (at - started >= timeoutMs) {
      const culprit = pods.find((p) => p.isNew && p.reason);
      return finish({
        failureClass: 'Timeout',
        message: `rollout did not finish within ${formatDuration(timeoutMs)} (--timeout): ${status.message}${
          culprit ? `; pod ${culprit.name}: ${culprit.message ?? culprit.reason}` : ''
        }`,
        pod: culprit?.name,
        restarts: culprit?.restarts,
      });
    }
    if (options.signal?.aborted) {
      return finish({ failureClass: 'Timeout', message: 'interrupted while waiting for the rollout' });
    }
    await sleep(Math.min(poll, Math.max(1, timeoutMs - (at - started))));
  }
}

/** The image digest a ready pod of the new ReplicaSet runs (containerStatuses[0].imageID). */
function newPodDigest(pods: PodLike[], hash: string | undefined): string | undefined {
  for (const pod of pods) {
    if (hash && pod.metadata?.labels?.['pod-template-hash'] !== hash) continue;
    const id = (pod.status?.containerStatuses?.[0] as { imageID?: string } | undefined)?.imageID;
    const m = id ? /@(sha256:[a-f0-9]{64})$/.exec(id) : null;
    if (m) return m[1];
  }
  return undefined;
}

/** The most evidence a failure message carries: the rest is in lastTermination (and the view). */
export const EVIDENCE_CHARS = 120;

/** The first non-empty line of `text`, at most `max` characters; "…" marks what was left out. */
export function shortEvidence(text: string, max = EVIDENCE_CHARS): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const first = (lines[0] ?? '').trim().replace(/\s+/g, ' ');
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return lines.length > 1 ? `${first} …` : first;
}

/**
 * A failing pod's evidence for its failure message, one short line: the last termination's reason,
 * exit code and the start of its message, else the start of the pod's own message. A container's
 * termination message can be kilobytes (a stack trace); the whole of it stays in lastTermination.
 */
export function failureEvidence(t: LastTermination | undefined, podMessage: string): string {
  if (!t) return shortEvidence(podMessage);
  const bits = [t.reason ?? 'terminated', t.exitCode !== undefined ? `exit code ${t.exitCode}` : undefined];
  return `last terminated: ${bits.filter(Boolean).join(', ')}${t.message ? `: ${shortEvidence(t.message)}` : ''}`;
}

/** One line for live progress: counts and the pods that are not ready yet. */
export function describeProgress(p: RolloutProgress): string {
  const s = p.status;
  const desired = s.desired ?? '?';
  const counts = `updated ${s.updated}/${desired}, ready ${p.ready}/${desired}, available ${s.available}/${desired}`;
  const notes = p.pods
    .filter((pod) => pod.isNew && !pod.ready)
    .slice(0, 4)
    .map(
      (pod) =>
        `${pod.name} ${pod.reason ?? pod.phase}${pod.restarts ? ` (${plural(pod.restarts, 'restart')})` : ''}`,
    );
  const old = s.oldReplicas ? `, ${s.oldReplicas} old terminating` : '';
  return `rollout${p.revision ? ` revision ${p.revision}` : ''}: ${counts}${old}${notes.length ? `; ${notes.join(', ')}` : ''}`;
}
