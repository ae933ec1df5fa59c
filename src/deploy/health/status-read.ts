/**
 * The worker's status snapshot: everything an operator needs about the worker Deployment, as
 * data (health/status-types.ts). Used by `status` and by `report` (infrastructure health from the
 * cluster). Never prints. The Deployment is found by kube/find-deployment.ts.
 *
 * Requests (all reads, all started at once): the Deployment (by name, else by label), Warning
 * events, HPAs, and the pods, ReplicaSets and pod metrics selected by the label the Deployment is
 * expected to select (app.kubernetes.io/name=<name>; read again with its real selector when that
 * differs); each running pod's /metrics through the pod proxy as soon as the pods are known.
 * Only the Deployment and pods are required: failures of the others (403, missing metrics API,
 * proxy errors) become notes.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.js';
import { httpStatusOf, isNotFound, KubeApiError, networkErrorCode } from '../kube/errors.js';
import { DEFAULT_DEPLOYMENT, findDeployment } from '../kube/find-deployment.js';
import { listHorizontalPodAutoscalers, listReplicaSets } from '../kube/resources/apps.js';
import { listPodMetrics, type PodMetrics } from '../kube/resources/cluster.js';
import { listEvents, listPods } from '../kube/resources/core.js';
import type { ListOf } from '../kube/resources/reader.js';
import { labelSelectorToString } from '../kube/rollout.js';
import { HTTP_PORT } from '../manifests/labels.js';
import { summarizeHpa } from './autoscaler.js';
import { summarizeEvents, type WarningEvent, workloadEvents } from './events.js';
import { computeFindings } from './findings.js';
import { readQueueFromPodList } from './queue.js';
import { computeResources } from './resources.js';
import {
  DEFAULT_EVENTS_SINCE_MS,
  DEFAULT_PROXY_TIMEOUT_MS,
  DEFAULT_QUEUE_PODS,
  DEFAULT_THRESHOLDS,
  type QueueSummary,
  type ResourcesSummary,
  type StatusResult,
  type StatusThresholds,
} from './status-types.js';
import { sortByName, summarizeDeployment, summarizePods } from './summarize.js';

export interface StatusOptions {
  namespace: string;
  deployment?: string;
  /** Fallback label selector to find the Deployment. */
  selector?: string;
  thresholds?: Partial<StatusThresholds>;
  /** Warning events from this far back (default 60 minutes). */
  eventsSinceMs?: number;
  workerPort?: number;
  proxyTimeoutMs?: number;
  /** Read the queue through the pod proxy (default true). */
  readQueue?: boolean;
  /** Pods whose /metrics answers are enough for the queue counts (default DEFAULT_QUEUE_PODS; 0: every running pod). */
  queuePods?: number;
  now?: () => number;
}

/** Optional reads: a failure becomes a note instead of failing the command. */
async function optional<T>(what: string, notes: string[], fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const status = httpStatusOf(err) ?? (err as { exitCode?: number }).exitCode;
    const name = (err as Error).name;
    if (name === 'AccessDeniedError') notes.push(`${what}: ${(err as Error).message}`);
    else if (name === 'ClusterUnreachableError') throw err;
    else
      notes.push(
        `${what} not read: ${err instanceof KubeApiError ? `HTTP ${err.statusCode} ${err.message}` : `${(err as Error).message}${status ? ` (${status})` : ''}`}`,
      );
    return undefined;
  }
}

/** Read the worker's status snapshot (the requests and their order: the header comment). */
export async function readStatus(clients: KubeClients, options: StatusOptions): Promise<StatusResult> {
  const now = (options.now ?? Date.now)();
  const th: StatusThresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const ns = options.namespace;
  const notes: string[] = [];
  const eventsSince = now - (options.eventsSinceMs ?? DEFAULT_EVENTS_SINCE_MS);

  // One round trip before the queue read: every read starts together with the Deployment's.
  // The Deployment's read goes first: it is the one the rest waits for (an API server, like the
  // simulator, may answer a connection's requests in the order they came).
  const deploymentP: Promise<V1Deployment> = findDeployment(
    clients,
    ns,
    options.deployment,
    options.selector,
  );
  // Handled below; if another read fails first, this rejection must not go unhandled meanwhile.
  deploymentP.catch(() => {});
  // The selector-based reads (pods, ReplicaSets, pod metrics) use the selector the Deployment most
  // likely has (our manifests' label, app.kubernetes.io/name=<deployment>); when its real selector
  // differs, they are issued again with it and the guesses are discarded. Nothing is cached.
  const guessSelector = `app.kubernetes.io/name=${options.deployment ?? DEFAULT_DEPLOYMENT}`;
  const readPods = (labelSelector: string) => listPods(clients, ns, { labelSelector });
  const readReplicaSets = (labelSelector: string, noteList: string[]) =>
    optional('ReplicaSets', noteList, () => listReplicaSets(clients, ns, { labelSelector }));
  const readPodMetrics = async (
    labelSelector: string,
    noteList: string[],
  ): Promise<ListOf<PodMetrics> | undefined> => {
    try {
      return await listPodMetrics(
        clients,
        ns,
        { labelSelector },
        {
          attempts: 2,
          shouldRetry: (err) => {
            const s = httpStatusOf(err);
            return s === undefined
              ? networkErrorCode(err) === 'ECONNRESET'
              : s === 429 || s === 500 || s === 502 || s === 504;
          },
        },
      );
    } catch (err) {
      const s = httpStatusOf(err);
      if (s === 404 || s === 503 || s === 500 || s === 502 || s === 504) return undefined;
      if ((err as Error).name === 'AccessDeniedError') {
        noteList.push(`resource use not shown: ${(err as Error).message}`);
        return { items: [] };
      }
      throw err;
    }
  };
  // The speculative reads' notes go to their own list, kept only when the guess was right.
  const guessNotes: string[] = [];
  const guessed = {
    pods: readPods(guessSelector),
    replicaSets: readReplicaSets(guessSelector, guessNotes),
    podMetrics: readPodMetrics(guessSelector, guessNotes),
  };
  // Awaited below only when the guess was right; a rejection must never go unhandled.
  for (const p of Object.values(guessed)) p.catch(() => {});
  // The queue read (one /metrics per running pod) starts as soon as the pods are known and the
  // Deployment has confirmed the selector (never proxy to pods that are not its own).
  const readQueue = (podsP: Promise<ListOf<V1Pod>>): Promise<QueueSummary | null> =>
    options.readQueue === false
      ? Promise.resolve(null)
      : podsP.then((list) =>
          readQueueFromPodList(
            clients,
            ns,
            list.items,
            options.workerPort ?? HTTP_PORT,
            options.proxyTimeoutMs ?? DEFAULT_PROXY_TIMEOUT_MS,
            options.queuePods ?? DEFAULT_QUEUE_PODS,
          ),
        );
  const eventsP = optional(
    'Events',
    notes,
    (): Promise<ListOf<WarningEvent>> => listEvents(clients, ns, { fieldSelector: 'type=Warning' }),
  );
  const hpasP = optional('HorizontalPodAutoscalers', notes, async () => {
    try {
      return await listHorizontalPodAutoscalers(clients, ns);
    } catch (err) {
      if (isNotFound(err)) return { items: [] };
      throw err;
    }
  });
  // Mark the early reads handled now: if the Deployment read fails first, their rejections
  // (the same unreachable cluster) must not crash the process as unhandled.
  eventsP.catch(() => {});
  hpasP.catch(() => {});
  const deployment = await deploymentP;
  const depName = deployment.metadata!.name!;
  const selector = labelSelectorToString(deployment.spec?.selector);

  const guessRight = selector === guessSelector;
  const podsP = guessRight ? guessed.pods : readPods(selector);
  const queueP = readQueue(podsP);
  queueP.catch(() => {}); // a pods failure is reported by the Promise.all below
  const [podList, rsList, eventList, hpaList, metricsList] = await Promise.all([
    podsP,
    guessRight ? guessed.replicaSets : readReplicaSets(selector, notes),
    eventsP,
    hpasP,
    guessRight ? guessed.podMetrics : readPodMetrics(selector, notes),
  ]);
  if (guessRight) notes.push(...guessNotes);

  const pods = sortByName(podList.items);
  const relevantEvents = workloadEvents(
    eventList?.items ?? [],
    depName,
    rsList?.items ?? [],
    pods,
    eventsSince,
  );

  const depSummary = summarizeDeployment(deployment);
  const podSummaries = summarizePods(pods, relevantEvents, now, th.pendingTimeoutMs);

  const resources: ResourcesSummary = metricsList
    ? { available: true, pods: computeResources(pods, metricsList.items ?? []) }
    : {
        available: false,
        note: 'metrics API (metrics.k8s.io) not available: resource use not shown',
        pods: [],
      };
  if (!resources.available && resources.note) notes.push(resources.note);

  const hpa = (hpaList?.items ?? []).find(
    (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === depName,
  );
  const autoscaler = hpa ? summarizeHpa(hpa) : null;

  // A queue that cannot be read says why in its own section (queue.note), not again as a note.
  const queue = await queueP;

  const events = summarizeEvents(relevantEvents);

  const findings = computeFindings(depSummary, podSummaries, resources, autoscaler, queue, th, now);
  return {
    kind: 'StatusResult',
    namespace: ns,
    context: clients.target.context,
    server: clients.target.server,
    generatedAt: new Date(now).toISOString(),
    healthy: findings.length === 0,
    deployment: depSummary,
    pods: podSummaries,
    resources,
    autoscaler,
    queue,
    events,
    findings,
    notes,
    thresholds: th,
  };
}
