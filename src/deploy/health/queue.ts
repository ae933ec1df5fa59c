/**
 * The queue as the workers report it: each pod's /metrics (preview_worker_queue_jobs,
 * preview_worker_active_jobs) through the API server's pod proxy, a bounded fan-out that stops
 * once enough pods answered.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { WORKER_PATH } from '../../contract/http.js';
import type { KubeClients } from '../kube/client.js';
import { httpStatusOf, networkErrorCode, statusMessageOf } from '../kube/errors.js';
import { podProxyGet } from '../kube/pod-proxy.js';
import { findSamples, parsePrometheusText, sampleValue } from '../metrics/prom-text.js';
import type { QueueSummary } from './status-types.js';
import { isPodReady, sortByName } from './summarize.js';

export interface ReadQueueOptions {
  /**
   * Stop once this many pods answered (default: all). A pod that fails is replaced by the next, so
   * one broken pod does not hide the queue.
   */
  maxPods?: number;
  /** Requests in flight at once (default 16): a bounded fan-out through the API server. */
  concurrency?: number;
  /** Ready workers counted from the pod list (QueueSummary.workers); default: pods that answered. */
  readyWorkers?: number;
}

/**
 * Read the queue as the workers report it: the pods' /metrics through the pod proxy, in the order
 * given (put ready pods first), until `maxPods` answered or every pod was asked.
 */
export async function readQueueFromPods(
  clients: KubeClients,
  namespace: string,
  podNames: string[],
  port: number,
  timeoutMs: number,
  options: ReadQueueOptions = {},
): Promise<QueueSummary> {
  const want = Math.min(
    options.maxPods !== undefined && options.maxPods > 0 ? options.maxPods : podNames.length,
    podNames.length,
  );
  const lanes = Math.max(1, Math.min(want, options.concurrency ?? 16));
  let next = 0;
  let answeredCount = 0;
  let inFlight = 0;
  const answers: Array<Awaited<ReturnType<typeof askPod>>> = [];
  const askPod = async (pod: string) => {
    try {
      const res = await podProxyGet(clients, namespace, pod, port, WORKER_PATH.metrics, timeoutMs);
      if (res.statusCode !== 200) {
        return {
          pod,
          error: `HTTP ${res.statusCode}${res.fromApiServer ? ` from the API server: ${statusMessageOf(res.body)}` : ''}`,
        };
      }
      return { pod, metrics: parsePrometheusText(res.body) };
    } catch (err) {
      const code = networkErrorCode(err);
      const status = httpStatusOf(err);
      return {
        pod,
        error: code
          ? `${code}: ${(err as Error).message}`
          : status
            ? `HTTP ${status}: ${(err as Error).message}`
            : (err as Error).message,
      };
    }
  };
  await Promise.all(
    Array.from({ length: want === 0 ? 0 : lanes }, async () => {
      // Ask another pod only while the answers so far and those on the way fall short of `want`.
      while (next < podNames.length && answeredCount + inFlight < want) {
        inFlight += 1;
        const answer = await askPod(podNames[next++]);
        inFlight -= 1;
        answers.push(answer);
        if ('metrics' in answer) answeredCount += 1;
      }
    }),
  );
  answers.sort((a, b) => podNames.indexOf(a.pod) - podNames.indexOf(b.pod));
  const ok = answers.filter(
    (a): a is { pod: string; metrics: ReturnType<typeof parsePrometheusText> } =>
      'metrics' in a && a.metrics !== undefined,
  );
  const errors = answers.filter(
    (a): a is { pod: string; error: string } => 'error' in a && typeof a.error === 'string',
  );
  const byState: Record<string, number> = {};
  let activeInWorkers: number | undefined;
  for (const a of ok) {
    // The queue gauges describe the shared Redis queue: every worker reports the same numbers
    // (up to a short cache); keep the largest. Active jobs are per process: sum them.
    for (const s of findSamples(a.metrics, 'preview_worker_queue_jobs')) {
      const state = s.labels.state ?? 'unknown';
      byState[state] = Math.max(byState[state] ?? 0, s.value);
    }
    const active = sampleValue(a.metrics, 'preview_worker_active_jobs');
    if (active !== undefined) activeInWorkers = (activeInWorkers ?? 0) + active;
  }
  const has = Object.keys(byState).length > 0;
  const pick = (...states: string[]) => (has ? states.reduce((s, k) => s + (byState[k] ?? 0), 0) : undefined);
  return {
    available: ok.length > 0 && has,
    waiting: pick('waiting', 'prioritized', 'waiting-children'),
    active: has && byState.active !== undefined ? byState.active : activeInWorkers,
    failed: has ? byState.failed : undefined,
    delayed: has ? byState.delayed : undefined,
    completed: has ? byState.completed : undefined,
    byState,
    activeInWorkers,
    workers: options.readyWorkers ?? ok.length,
    podsRunning: podNames.length,
    podsAsked: answers.length,
    podsAnswered: ok.length,
    errors,
    note:
      podNames.length === 0
        ? 'no running pods to ask'
        : ok.length === 0
          ? `no pod answered /metrics through the pod proxy (${errors[0]?.error ?? 'unknown error'})`
          : !has
            ? 'the workers report no preview_worker_queue_jobs metric'
            : undefined,
  };
}

/**
 * The queue from a Deployment's pod list: its running pods that are not terminating, ready ones
 * first (their workers run and reach Redis, so they can report the queue).
 */
export function readQueueFromPodList(
  clients: KubeClients,
  namespace: string,
  pods: V1Pod[],
  port: number,
  timeoutMs: number,
  maxPods: number,
): Promise<QueueSummary> {
  const running = sortByName(pods).filter(
    (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
  );
  const ready = running.filter(isPodReady);
  const ordered = [...ready, ...running.filter((p) => !isPodReady(p))];
  return readQueueFromPods(
    clients,
    namespace,
    ordered.map((p) => p.metadata!.name!),
    port,
    timeoutMs,
    { maxPods, readyWorkers: ready.length },
  );
}
