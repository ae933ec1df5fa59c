/**
 * `logs`: the log lines of every pod of a Deployment (found through its spec.selector, not by
 * name), filtered, and either handed to the caller line by line (merged by time when not
 * following) or mined into templates (`--patterns`). Never prints: results and callbacks only.
 *
 * Every log request asks the API server for timestamps, so plain lines have a time too (to merge
 * pods in order, to mine first/last seen, and to resume a cut stream with sinceTime without
 * repeating lines); they are shown only with --timestamps.
 *
 * Follow mode lists the pods, watches them by the same selector (new pods of a rollout are picked
 * up, deleted ones dropped), and reconnects each cut log stream with backoff from the time of the
 * last line it delivered. It runs until `signal` aborts (Ctrl-C).
 */

import type { V1Deployment, V1LabelSelector, V1Pod, V1PodList } from '@kubernetes/client-node';
import { ClusterUnreachableError, UnhealthyError, UsageError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import { httpStatusOf, isNotFound, KubeApiError, statusOf } from '../../kube/errors.js';
import {
  kubeTimeKey,
  type PodLogQuery,
  type StreamEnd,
  streamPodLog,
  watchCollection,
} from '../../kube/log-stream.js';
import { getDeployment } from '../../kube/resources/apps.js';
import { listPods as listPodsIn } from '../../kube/resources/core.js';
import { collectionPath } from '../../kube/resources/paths.js';
import { labelSelectorToString } from '../../kube/rollout.js';
import { ERROR_LEVEL, type LogRecord, parseKubeTime, parseLogLine } from '../../patterns/log-record.js';
import { LogTemplateMiner, type MinerOptions, type TemplateSummary } from '../../patterns/log-templates.js';
import { sleep } from '../../util/sleep.js';

export interface LogsRequest {
  namespace: string;
  deployment: string;
  container?: string;
  /** Lines per pod from the end; undefined = all. */
  tail?: number;
  sinceSeconds?: number;
  follow?: boolean;
  previous?: boolean;
  grep?: RegExp;
  exclude?: RegExp;
  /** Keep lines at or above this pino level; lines without a level are kept. */
  minLevel?: number;
  signal?: AbortSignal;
  /** Reconnect backoff (follow mode). */
  backoff?: { initialMs: number; maxMs: number };
}

export interface LogLineEvent {
  pod: string;
  container: string;
  record: LogRecord;
}

export type LogsNoteKind =
  | 'no-previous'
  | 'container-missing'
  | 'waiting'
  | 'pod-added'
  | 'pod-deleted'
  | 'reconnecting'
  | 'stream-error';

export interface LogsNote {
  kind: LogsNoteKind;
  pod?: string;
  message: string;
}

export interface LogsResult {
  namespace: string;
  deployment: string;
  selector: string;
  /** Every pod whose log was read (in order of first appearance). */
  pods: string[];
  /** Lines read from the API. */
  linesRead: number;
  /** Lines that passed --grep/--exclude/--level. */
  linesShown: number;
  /** Shown lines at error level or above. */
  errorLines: number;
  notes: LogsNote[];
  /** Follow mode ended by the signal. */
  interrupted: boolean;
}

export interface PatternsResult extends Omit<LogsResult, 'linesShown' | 'interrupted'> {
  /** Lines mined (after filters). */
  linesMined: number;
  templates: TemplateSummary[];
}

// ---- selector and pods -------------------------------------------------------------------

/**
 * The label selector string of a Deployment's spec.selector (matchLabels and matchExpressions),
 * expression values in the Deployment's own order.
 */
export function selectorToString(sel: V1LabelSelector | undefined): string {
  return labelSelectorToString(sel, { sortValues: false });
}

async function deploymentSelector(clients: KubeClients, namespace: string, name: string): Promise<string> {
  let dep: V1Deployment;
  try {
    dep = await getDeployment(clients, namespace, name);
  } catch (err) {
    if (isNotFound(err)) {
      throw new UnhealthyError(`Deployment ${name} not found in namespace ${namespace}.`, {
        hint: 'Check --deployment and -n/--namespace; `kubectl get deployments -n NAMESPACE` lists them.',
        cause: err,
      });
    }
    throw err;
  }
  const selector = selectorToString(dep.spec?.selector);
  if (!selector)
    throw new UnhealthyError(`Deployment ${name} has an empty spec.selector; it selects no pods.`);
  return selector;
}

async function listPods(clients: KubeClients, namespace: string, selector: string): Promise<V1PodList> {
  return (await listPodsIn(clients, namespace, { labelSelector: selector })) as V1PodList;
}

function byName(a: V1Pod, b: V1Pod): number {
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The container to read: --container, else kubectl's default-container annotation, else the first. */
function containerOf(pod: V1Pod, wanted: string | undefined): string | undefined {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (wanted) return names.includes(wanted) ? wanted : undefined;
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  return names[0];
}

function containerStatus(pod: V1Pod, container: string) {
  return pod.status?.containerStatuses?.find((s) => s.name === container);
}

/** A container that has started (running or terminated) has a log to read. */
function containerStarted(pod: V1Pod, container: string): boolean {
  const s = containerStatus(pod, container);
  return Boolean(s?.state?.running || s?.state?.terminated || s?.lastState?.terminated);
}

function noPodsError(deployment: string, namespace: string, selector: string): UnhealthyError {
  return new UnhealthyError(
    `No pods of deployment ${deployment} in namespace ${namespace} (selector ${selector}).`,
    {
      hint: 'The Deployment may be scaled to 0 or its pods not created yet: see `mobius-deploy status`.',
    },
  );
}

/** Whether a log request failed because there is nothing to read yet or any more (not a failure). */
function benignLogError(err: unknown): 'no-previous' | 'waiting' | 'gone' | undefined {
  const status = httpStatusOf(err);
  const message = statusOf(err)?.message ?? (err instanceof Error ? err.message : '');
  if (status === 404) return 'gone';
  if (status === 400) {
    if (/previous terminated container/i.test(message)) return 'no-previous';
    return 'waiting';
  }
  return undefined;
}

// ---- filtering -----------------------------------------------------------------------------

function makeFilter(req: LogsRequest): (r: LogRecord) => boolean {
  const { grep, exclude, minLevel } = req;
  return (r) => {
    if (minLevel !== undefined && r.level !== undefined && r.level < minLevel) return false;
    if (grep && !grep.test(r.raw)) return false;
    if (exclude?.test(r.raw)) return false;
    return true;
  };
}

function sortKey(r: LogRecord): number {
  return r.time ?? 0;
}

// ---- one-shot read -------------------------------------------------------------------------

/** How often the pod list is polled in follow mode when watching pods is not allowed. */
const POLL_INTERVAL_MS = 5000;

/** A one-shot read that gets no data for this long is given up (noted as incomplete). */
const ONE_SHOT_IDLE_TIMEOUT_MS = 30_000;

interface Target {
  pod: string;
  container: string;
}

async function resolveTargets(
  clients: KubeClients,
  req: LogsRequest,
  notes: LogsNote[],
): Promise<{ selector: string; targets: Target[] }> {
  const selector = await deploymentSelector(clients, req.namespace, req.deployment);
  const list = await listPods(clients, req.namespace, selector);
  const pods = (list.items ?? []).slice().sort(byName);
  if (pods.length === 0) throw noPodsError(req.deployment, req.namespace, selector);
  const targets: Target[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const container = containerOf(pod, req.container);
    if (!container) {
      const names = (pod.spec?.containers ?? []).map((c) => c.name).join(', ');
      notes.push({
        kind: 'container-missing',
        pod: name,
        message: `pod ${name} has no container ${req.container} (it has: ${names})`,
      });
      continue;
    }
    if (req.previous && !containerStatus(pod, container)?.lastState?.terminated) {
      const restarts = containerStatus(pod, container)?.restartCount ?? 0;
      notes.push({
        kind: 'no-previous',
        pod: name,
        message: `pod ${name} has no previous terminated container ${container} (restarts: ${restarts})`,
      });
      continue;
    }
    targets.push({ pod: name, container });
  }
  if (targets.length === 0 && req.container && notes.every((n) => n.kind === 'container-missing')) {
    throw new UsageError(`No pod of deployment ${req.deployment} has a container named ${req.container}.`, {
      hint: 'Leave out --container to read the default container, or name one of the containers listed above.',
    });
  }
  return { selector, targets };
}

async function readTarget(
  clients: KubeClients,
  req: LogsRequest,
  t: Target,
  notes: LogsNote[],
  onRecord: (r: LogRecord) => void,
): Promise<void> {
  const query: PodLogQuery = {
    container: t.container,
    previous: req.previous,
    tailLines: req.tail,
    sinceSeconds: req.sinceSeconds,
    timestamps: true,
  };
  try {
    let lines = 0;
    // Failures before the first byte (429, 5xx, a dropped connection) are retried with backoff;
    // nothing was delivered yet, so a retry cannot repeat lines.
    const end = await clients.retry(() =>
      streamPodLog(
        clients,
        req.namespace,
        t.pod,
        query,
        (line) => {
          lines++;
          onRecord(parseLogLine(line, { kubeTimestamps: true }));
        },
        req.signal,
        { idleTimeoutMs: ONE_SHOT_IDLE_TIMEOUT_MS },
      ),
    );
    if (end.reason === 'error') {
      notes.push({
        kind: 'stream-error',
        pod: t.pod,
        message: `the log of ${t.pod} was cut after ${lines} line(s) (${end.error?.message ?? 'connection lost'}); it may be incomplete`,
      });
    }
  } catch (err) {
    const benign = benignLogError(err);
    if (benign === 'no-previous') {
      notes.push({
        kind: 'no-previous',
        pod: t.pod,
        message: `pod ${t.pod} has no previous terminated container ${t.container}`,
      });
      return;
    }
    if (benign === 'waiting') {
      notes.push({
        kind: 'waiting',
        pod: t.pod,
        message: `pod ${t.pod}: ${statusOf(err)?.message ?? 'container has not started'}`,
      });
      return;
    }
    if (benign === 'gone') {
      notes.push({
        kind: 'pod-deleted',
        pod: t.pod,
        message: `pod ${t.pod} was deleted before its log was read`,
      });
      return;
    }
    throw mapLogError(clients, err, req.namespace, t.pod);
  }
}

function mapLogError(clients: KubeClients, err: unknown, namespace: string, pod?: string): Error {
  const mapped =
    err instanceof KubeApiError
      ? clients.mapError(err, { verb: 'get', resource: 'pods/log', namespace })
      : clients.mapError(err);
  if (mapped instanceof KubeApiError) {
    // The API server kept failing (5xx/429 after retries, or an unexpected status).
    return new ClusterUnreachableError(
      `The API server failed to return the log of pod ${pod ?? '?'} (HTTP ${mapped.statusCode}: ${mapped.message}).`,
      { hint: 'Try again; if it persists, check the API server and the node the pod runs on.', cause: err },
    );
  }
  return mapped;
}

/** Read every pod's log once and deliver the filtered lines merged in time order. */
export async function readDeploymentLogs(
  clients: KubeClients,
  req: LogsRequest,
  onLine: (event: LogLineEvent) => void,
): Promise<LogsResult> {
  const notes: LogsNote[] = [];
  const { selector, targets } = await resolveTargets(clients, req, notes);
  const keep = makeFilter(req);
  const collected: LogLineEvent[] = [];
  let linesRead = 0;
  await Promise.all(
    targets.map((t) =>
      readTarget(clients, req, t, notes, (record) => {
        linesRead++;
        if (keep(record)) collected.push({ pod: t.pod, container: t.container, record });
      }),
    ),
  );
  // Stable sort: lines of one pod keep their order; pods interleave by time.
  collected.sort((a, b) => sortKey(a.record) - sortKey(b.record));
  let errorLines = 0;
  for (const e of collected) {
    if ((e.record.level ?? 0) >= ERROR_LEVEL) errorLines++;
    onLine(e);
  }
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: targets.map((t) => t.pod),
    linesRead,
    linesShown: collected.length,
    errorLines,
    notes,
    interrupted: false,
  };
}

/** Read every pod's log once and mine the filtered lines into templates. */
export async function mineDeploymentLogPatterns(
  clients: KubeClients,
  req: LogsRequest,
  minerOptions: MinerOptions = {},
): Promise<PatternsResult> {
  const notes: LogsNote[] = [];
  const { selector, targets } = await resolveTargets(clients, req, notes);
  const keep = makeFilter(req);
  const miner = new LogTemplateMiner(minerOptions);
  let linesRead = 0;
  let errorLines = 0;
  await Promise.all(
    targets.map((t) =>
      readTarget(clients, req, t, notes, (record) => {
        linesRead++;
        if (!keep(record)) return;
        if ((record.level ?? 0) >= ERROR_LEVEL) errorLines++;
        miner.addRecord(record, t.pod);
      }),
    ),
  );
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: targets.map((t) => t.pod),
    linesRead,
    linesMined: miner.lines,
    errorLines,
    templates: miner.templates(),
    notes,
  };
}

// ---- follow --------------------------------------------------------------------------------

interface PodFollower {
  pod: string;
  container: string;
  controller: AbortController;
  /** kubeTimeKey of the last delivered line, and the lines delivered at exactly that time. */
  lastKey?: string;
  lastTime?: string;
  atLast: Set<string>;
  terminating: boolean;
  /** The follower loop finished (pod terminated or gone); kept to avoid following it twice. */
  ended: boolean;
  done: Promise<void>;
}

/**
 * Follow the logs of every pod of the Deployment until `req.signal` aborts. Lines are delivered
 * as they arrive. Rejects only for failures that stop everything (403, deployment gone, no pods
 * at the start).
 */
export async function followDeploymentLogs(
  clients: KubeClients,
  req: LogsRequest,
  onLine: (event: LogLineEvent) => void,
  onNote: (note: LogsNote) => void = () => {},
): Promise<LogsResult> {
  const stop = new AbortController();
  const outer = req.signal;
  const onOuterAbort = () => stop.abort();
  if (outer?.aborted) stop.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = stop.signal;
  const backoff = req.backoff ?? { initialMs: 250, maxMs: 5000 };
  const notes: LogsNote[] = [];
  const note = (n: LogsNote) => {
    notes.push(n);
    onNote(n);
  };
  const keep = makeFilter(req);
  const followers = new Map<string, PodFollower>();
  const seenPods: string[] = [];
  let linesRead = 0;
  let linesShown = 0;
  let errorLines = 0;
  let fatal: Error | undefined;

  const fail = (err: Error) => {
    fatal ??= err;
    stop.abort();
  };

  const selector = await deploymentSelector(clients, req.namespace, req.deployment);

  const startFollower = (pod: V1Pod, initial: boolean) => {
    const name = pod.metadata?.name ?? '';
    if (followers.has(name) || signal.aborted) return;
    const container = containerOf(pod, req.container);
    if (!container) {
      if (!notes.some((n) => n.kind === 'container-missing' && n.pod === name)) {
        note({
          kind: 'container-missing',
          pod: name,
          message: `pod ${name} has no container ${req.container}`,
        });
      }
      return;
    }
    if (!containerStarted(pod, container)) return; // a later MODIFIED event starts it
    const f: PodFollower = {
      pod: name,
      container,
      controller: new AbortController(),
      atLast: new Set(),
      terminating: Boolean(pod.metadata?.deletionTimestamp),
      ended: false,
      done: Promise.resolve(),
    };
    followers.set(name, f);
    if (!seenPods.includes(name)) seenPods.push(name);
    if (!initial) note({ kind: 'pod-added', pod: name, message: `pod ${name} started; following its log` });
    const podSignal = AbortSignal.any([signal, f.controller.signal]);
    f.done = (async () => {
      let attempt = 0;
      let first = true;
      while (!podSignal.aborted) {
        const query: PodLogQuery = { container, follow: true, timestamps: true };
        if (f.lastTime) {
          // Resume from the last line's time (millisecond precision, rounded down; lines at that
          // time that were already delivered are skipped by the check in onLine).
          const ms = parseKubeTime(f.lastTime);
          query.sinceTime = ms === undefined ? f.lastTime : new Date(ms).toISOString();
        } else if (first && initial) {
          query.tailLines = req.tail;
          query.sinceSeconds = req.sinceSeconds;
        }
        let end: StreamEnd;
        try {
          end = await streamPodLog(
            clients,
            req.namespace,
            name,
            query,
            (line) => {
              const record = parseLogLine(line, { kubeTimestamps: true });
              if (record.kubeTime !== undefined) {
                const key = kubeTimeKey(record.kubeTime);
                if (f.lastKey !== undefined && (key < f.lastKey || (key === f.lastKey && f.atLast.has(line))))
                  return;
                if (key !== f.lastKey) {
                  f.lastKey = key;
                  f.lastTime = record.kubeTime;
                  f.atLast.clear();
                }
                f.atLast.add(line);
              }
              attempt = 0;
              linesRead++;
              if (!keep(record)) return;
              linesShown++;
              if ((record.level ?? 0) >= ERROR_LEVEL) errorLines++;
              onLine({ pod: name, container, record });
            },
            podSignal,
          );
        } catch (err) {
          const benign = benignLogError(err);
          if (benign === 'gone') break;
          if (benign === 'waiting' || benign === 'no-previous') {
            // Not started yet, or crash-looping between restarts: retry quietly.
            first = false;
            const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
            attempt++;
            await sleep(delay, podSignal);
            continue;
          }
          if (benign === undefined && (httpStatusOf(err) === 403 || httpStatusOf(err) === 401)) {
            fail(mapLogError(clients, err, req.namespace));
            break;
          }
          end = { reason: 'error', error: err as Error };
        }
        first = false;
        if (end.reason === 'aborted' || podSignal.aborted) break;
        if (f.terminating && end.reason === 'eof') break;
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt);
        attempt++;
        if (end.reason === 'error') {
          note({
            kind: 'reconnecting',
            pod: name,
            message: `log stream of ${name} was cut (${end.error?.message ?? 'error'}); reconnecting in ${delay} ms`,
          });
        }
        await sleep(delay, podSignal);
      }
      // The entry stays (ended) until the pod is deleted, so later events for a terminating pod
      // do not start a second follower that would print its whole log again.
      f.ended = true;
    })();
  };

  const stopFollower = (name: string, why: string) => {
    const f = followers.get(name);
    if (!f) return;
    followers.delete(name);
    f.controller.abort();
    note({ kind: 'pod-deleted', pod: name, message: why });
  };

  // Initial list.
  let list: V1PodList;
  try {
    list = await listPods(clients, req.namespace, selector);
  } catch (err) {
    outer?.removeEventListener('abort', onOuterAbort);
    throw err;
  }
  const initialPods = (list.items ?? []).slice().sort(byName);
  if (initialPods.length === 0) {
    outer?.removeEventListener('abort', onOuterAbort);
    throw noPodsError(req.deployment, req.namespace, selector);
  }
  for (const pod of initialPods) startFollower(pod, true);
  let resourceVersion = list.metadata?.resourceVersion;

  // Watch loop: pods added, changed (container started, terminating) and deleted.
  const podsPath = collectionPath('v1', 'pods', req.namespace);
  let watchAttempt = 0;
  let pollOnly = false;
  while (!signal.aborted) {
    let end: StreamEnd = { reason: 'eof' };
    try {
      if (!pollOnly)
        end = await watchCollection<V1Pod>(
          clients,
          podsPath,
          { labelSelector: selector, resourceVersion },
          (ev) => {
            watchAttempt = 0;
            const pod = ev.object;
            const rv = pod?.metadata?.resourceVersion;
            if (ev.type === 'ERROR') {
              resourceVersion = undefined; // 410 Gone and friends: re-list
              return;
            }
            if (rv) resourceVersion = rv;
            if (ev.type === 'BOOKMARK') return;
            const name = pod.metadata?.name ?? '';
            if (ev.type === 'DELETED') {
              stopFollower(name, `pod ${name} was deleted; no longer following it`);
              return;
            }
            const f = followers.get(name);
            if (f) {
              if (pod.metadata?.deletionTimestamp) f.terminating = true;
              return;
            }
            startFollower(pod, false);
          },
          signal,
        );
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 403) {
        // Allowed to list but not to watch: poll the list instead of giving up.
        pollOnly = true;
        note({
          kind: 'stream-error',
          message: `cannot watch pods (RBAC verb watch, resource pods); polling the pod list every ${POLL_INTERVAL_MS / 1000} s instead`,
        });
      } else if (status === 401) {
        fail(clients.mapError(err));
        break;
      } else {
        end = { reason: 'error', error: err as Error };
      }
    }
    if (signal.aborted) break;
    const delay = pollOnly
      ? POLL_INTERVAL_MS
      : Math.min(backoff.maxMs, backoff.initialMs * 2 ** watchAttempt);
    watchAttempt++;
    await sleep(delay, signal);
    if (signal.aborted) break;
    // Re-list to catch up with whatever happened while the watch was down.
    try {
      const again = await listPods(clients, req.namespace, selector);
      const names = new Set((again.items ?? []).map((p) => p.metadata?.name ?? ''));
      for (const name of [...followers.keys()]) {
        if (!names.has(name)) stopFollower(name, `pod ${name} is gone; no longer following it`);
      }
      for (const pod of (again.items ?? []).slice().sort(byName)) startFollower(pod, false);
      resourceVersion = again.metadata?.resourceVersion;
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 403 || status === 401) {
        fail(clients.mapError(err));
        break;
      }
      if (end.reason === 'error') {
        note({ kind: 'stream-error', message: `watching pods failed (${(err as Error).message}); retrying` });
      }
    }
  }

  outer?.removeEventListener('abort', onOuterAbort);
  stop.abort();
  await Promise.all([...followers.values()].map((f) => f.done));
  if (fatal) throw fatal;
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: seenPods,
    linesRead,
    linesShown,
    errorLines,
    notes,
    interrupted: outer?.aborted ?? false,
  };
}
