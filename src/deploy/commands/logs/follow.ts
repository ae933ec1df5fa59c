/**
 * `logs --follow`: list the Deployment's pods, follow each one's log (follow-pod.ts), and watch the
 * pods by the same selector, so new pods of a rollout are picked up and deleted ones dropped; when
 * watching is not allowed, the pod list is polled. Runs until `signal` aborts (Ctrl-C). Never
 * prints: lines and notes go to the callbacks.
 */
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import type { KubeClients } from '../../kube/client.js';
import { backoffDelay, httpStatusOf } from '../../kube/errors.js';
import { type StreamEnd, watchCollection } from '../../kube/log-stream.js';
import { collectionPath } from '../../kube/resources/paths.js';
import { sleep } from '../../util/sleep.js';
import { makeFilter } from './filter.js';
import { DEFAULT_GIVE_UP_AFTER_MS, trackApiOutage } from './follow-outage.js';
import { type FollowShared, followPod, type PodFollower } from './follow-pod.js';
import {
  byName,
  containerOf,
  containerStarted,
  deploymentSelector,
  listPods,
  noPodsError,
} from './targets.js';
import type { LogLineEvent, LogsNote, LogsRequest, LogsResult } from './types.js';

/** How often the pod list is polled in follow mode when watching pods is not allowed. */
const POLL_INTERVAL_MS = 5000;

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
  const backoff = req.backoff ?? { baseDelayMs: 250, maxDelayMs: 5000 };
  const notes: LogsNote[] = [];
  const note = (n: LogsNote) => {
    notes.push(n);
    onNote(n);
  };
  const followers = new Map<string, PodFollower>();
  const seenPods: string[] = [];
  let fatal: Error | undefined;

  const fail = (err: Error) => {
    fatal ??= err;
    stop.abort();
  };
  const outage = trackApiOutage({
    server: clients.target.server,
    giveUpAfterMs: req.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS,
    note,
    fail,
  });
  const shared: FollowShared = {
    outage,
    clients,
    req,
    signal,
    backoff,
    keep: makeFilter(req),
    counts: { linesRead: 0, linesShown: 0, errorLines: 0 },
    onLine,
    note,
    fail,
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
    f.done = followPod(shared, f, initial);
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
            outage.reached();
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
        outage.failed(err);
        end = { reason: 'error', error: err as Error };
      }
    }
    if (signal.aborted) break;
    const delay = pollOnly ? POLL_INTERVAL_MS : backoffDelay(watchAttempt, backoff);
    watchAttempt++;
    await sleep(delay, signal);
    if (signal.aborted) break;
    // Re-list to catch up with whatever happened while the watch was down.
    try {
      const again = await listPods(clients, req.namespace, selector);
      outage.reached();
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
      if (!outage.failed(err) && end.reason === 'error') {
        note({ kind: 'stream-error', message: `watching pods failed (${(err as Error).message}); retrying` });
      }
    }
  }

  outer?.removeEventListener('abort', onOuterAbort);
  outage.close();
  stop.abort();
  await Promise.all([...followers.values()].map((f) => f.done));
  if (fatal) throw fatal;
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: seenPods,
    linesRead: shared.counts.linesRead,
    linesShown: shared.counts.linesShown,
    errorLines: shared.counts.errorLines,
    notes,
    interrupted: outer?.aborted ?? false,
  };
}
