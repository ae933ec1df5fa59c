/**
 * The `status` action: everything an operator needs about the worker Deployment, as data.
 * Never prints. Reuse `readQueueFromPods`; the Deployment is found by kube/find-deployment.ts.
 *
 * Requests (all reads, all started at once): the Deployment (by name, else by label), Warning
 * events, HPAs, and the pods, ReplicaSets and pod metrics selected by the label the Deployment is
 * expected to select (app.kubernetes.io/name=<name>; read again with its real selector when that
 * differs); each running pod's /metrics through the pod proxy as soon as the pods are known.
 * Only the Deployment and pods are required: failures of the others (403, missing metrics API,
 * proxy errors) become notes.
 */
import type { KubeClients } from '../../kube/client.js';
import {
  httpStatusOf,
  isNotFound,
  KubeApiError,
  networkErrorCode,
  statusMessageOf,
} from '../../kube/errors.js';
import { DEFAULT_DEPLOYMENT, findDeployment } from '../../kube/find-deployment.js';
import {
  classifyPodHealth,
  type PodEventLike,
  type PodHealth,
  type PodLike,
  podStatusLabel,
} from '../../kube/pod-health.js';
import { podProxyGet } from '../../kube/pod-proxy.js';
import { tryParseQuantityNumber } from '../../kube/quantity.js';
import {
  type DeploymentLike,
  deploymentRevision,
  deploymentRolloutStatus,
  labelSelectorToString,
  type RolloutStatus,
} from '../../kube/rollout.js';
import { findSamples, parsePrometheusText, sampleValue } from '../../metrics/prom-text.js';

export interface StatusThresholds {
  /** Warn above this % of the CPU limit. */
  warnCpuPercent: number;
  /** Warn above this % of the memory limit. */
  warnMemoryPercent: number;
  /** Restarts tolerated when the last one was within restartWindowMs. */
  maxRestarts: number;
  restartWindowMs: number;
  pendingTimeoutMs: number;
  /** Warn when more jobs than this are waiting. */
  queueBacklogWarn: number;
  /** Warn when more jobs than this have failed (undefined: off). */
  queueFailedWarn?: number;
}

export const DEFAULT_THRESHOLDS: StatusThresholds = {
  warnCpuPercent: 80,
  warnMemoryPercent: 80,
  maxRestarts: 0,
  restartWindowMs: 60 * 60_000,
  pendingTimeoutMs: 5 * 60_000,
  queueBacklogWarn: 800,
};

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

export interface ConditionSummary {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface DeploymentSummary {
  name: string;
  images: string[];
  revision?: number;
  generation?: number;
  observedGeneration?: number;
  paused: boolean;
  selector: string;
  replicas: {
    desired: number;
    current: number;
    updated: number;
    ready: number;
    available: number;
    unavailable: number;
  };
  rollout: RolloutStatus;
  conditions: ConditionSummary[];
  createdAt?: string;
}

export interface PodSummary {
  name: string;
  phase: string;
  /** STATUS column: the problem when there is one, else the phase. */
  status: string;
  ready: string;
  restarts: number;
  lastRestartAt?: string;
  createdAt?: string;
  node?: string;
  images: string[];
  revision?: string;
  health: PodHealth;
}

export interface ResourceFigure {
  usage: number;
  request?: number;
  limit?: number;
  /** Percent of the request (undefined without a request). */
  pctOfRequest?: number;
  /** Percent of the limit (undefined without a limit). */
  pctOfLimit?: number;
}

export interface PodResources {
  pod: string;
  /** CPU in cores. */
  cpu: ResourceFigure;
  /** Memory in bytes. */
  memory: ResourceFigure;
  containers: Array<{ name: string; cpu: ResourceFigure; memory: ResourceFigure }>;
}

export interface ResourcesSummary {
  available: boolean;
  note?: string;
  pods: PodResources[];
}

export interface AutoscalerSummary {
  name: string;
  minReplicas?: number;
  maxReplicas: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  metrics: Array<{ name: string; current?: string; target?: string }>;
  conditions: ConditionSummary[];
}

/**
 * Pods whose /metrics status reads for the queue by default. The queue gauges describe the one
 * shared Redis queue, so every worker reports the same counts: a few answers are enough, and a
 * 50-pod Deployment does not cost 50 proxied requests through the API server on every `status`.
 */
export const DEFAULT_QUEUE_PODS = 3;

export interface QueueSummary {
  available: boolean;
  waiting?: number;
  active?: number;
  failed?: number;
  delayed?: number;
  completed?: number;
  /** Every preview_worker_queue_jobs{state} value reported. */
  byState: Record<string, number>;
  /** Sum of preview_worker_active_jobs over the pods that answered (every worker only with all pods asked). */
  activeInWorkers?: number;
  /**
   * Workers connected to the queue: running pods whose worker reports ready (the Ready condition,
   * from the worker's /readyz: the BullMQ worker runs and Redis answers), counted from the pod
   * list. Without the pod list (readQueueFromPods alone), the pods whose /metrics answered.
   */
  workers: number;
  /** Running pods (the candidates for the /metrics read). */
  podsRunning: number;
  /** Pods whose /metrics was requested: up to --queue-pods (default 3), more when some fail. */
  podsAsked: number;
  /** Pods whose /metrics answered (the queue counts are the largest value any of them reported). */
  podsAnswered: number;
  errors: Array<{ pod: string; error: string }>;
  note?: string;
}

export interface EventSummary {
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
  lastSeen?: string;
}

export interface Finding {
  severity: 'critical' | 'warning';
  /** Stable identifier for scripts: rollout-failed, pods-crashloop, memory-limit, ... */
  code: string;
  message: string;
  pods?: string[];
}

export interface StatusResult {
  kind: 'StatusResult';
  namespace: string;
  context?: string;
  server?: string;
  generatedAt: string;
  healthy: boolean;
  deployment: DeploymentSummary;
  pods: PodSummary[];
  resources: ResourcesSummary;
  autoscaler: AutoscalerSummary | null;
  queue: QueueSummary | null;
  events: EventSummary[];
  findings: Finding[];
  /** Things that could not be read (not failures of the workload). */
  notes: string[];
  thresholds: StatusThresholds;
}

// biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
type Json = any;
interface KList<T> {
  items: T[];
}

const toIso = (t: unknown): string | undefined =>
  typeof t === 'string' ? t : t instanceof Date ? t.toISOString() : undefined;

function conditions(list: Json[] | undefined): ConditionSummary[] {
  return (list ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime: toIso(c.lastTransitionTime),
  }));
}

const enc = encodeURIComponent;

function isPodReady(pod: Json): boolean {
  return (pod.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
}

function sortByName(items: Json[]): Json[] {
  // Kubernetes names are lower-case letters, digits, '-' and '.', which sort the same by code unit
  // as by localeCompare; the first localeCompare call costs ~7 ms (ICU collator set-up) per process.
  return [...items].sort((a, b) => {
    const x = String(a.metadata?.name);
    const y = String(b.metadata?.name);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Summarise a Deployment object. */
export function summarizeDeployment(d: DeploymentLike & Json): DeploymentSummary {
  const st = d.status ?? {};
  return {
    name: d.metadata?.name,
    images: (d.spec?.template?.spec?.containers ?? []).map((c: Json) => c.image),
    revision: deploymentRevision(d),
    generation: d.metadata?.generation,
    observedGeneration: st.observedGeneration,
    paused: d.spec?.paused === true,
    selector: labelSelectorToString(d.spec?.selector),
    replicas: {
      desired: d.spec?.replicas ?? 1,
      current: st.replicas ?? 0,
      updated: st.updatedReplicas ?? 0,
      ready: st.readyReplicas ?? 0,
      available: st.availableReplicas ?? 0,
      unavailable: st.unavailableReplicas ?? 0,
    },
    rollout: deploymentRolloutStatus(d),
    conditions: conditions(st.conditions),
    createdAt: toIso(d.metadata?.creationTimestamp),
  };
}

/** Summarise pods with their health classification. */
export function summarizePods(
  pods: PodLike[],
  events: PodEventLike[],
  now: number,
  pendingTimeoutMs: number,
): PodSummary[] {
  return pods.map((pod: Json) => {
    const podEvents = events.filter(
      (e) => e.involvedObject?.kind === 'Pod' && e.involvedObject?.name === pod.metadata?.name,
    );
    const health = classifyPodHealth(pod, { now, events: podEvents, pendingTimeoutMs });
    return {
      name: pod.metadata?.name,
      phase: pod.status?.phase ?? 'Unknown',
      status: podStatusLabel(pod, health),
      ready: `${health.readyContainers}/${health.totalContainers}`,
      restarts: health.restarts,
      lastRestartAt: health.lastRestartAt,
      createdAt: toIso(pod.metadata?.creationTimestamp),
      node: pod.spec?.nodeName,
      images: (pod.spec?.containers ?? []).map((c: Json) => c.image),
      revision: pod.metadata?.labels?.['pod-template-hash'],
      health,
    };
  });
}

function pct(usage: number, of: number | undefined): number | undefined {
  if (of === undefined || of <= 0) return undefined;
  return Math.round((usage / of) * 1000) / 10;
}

function figure(usage: number, request: number | undefined, limit: number | undefined): ResourceFigure {
  return { usage, request, limit, pctOfRequest: pct(usage, request), pctOfLimit: pct(usage, limit) };
}

/** Resource use per pod from a PodMetricsList against the pods' container requests and limits. */
export function computeResources(pods: Json[], podMetrics: Json[]): PodResources[] {
  const byName = new Map(pods.map((p) => [p.metadata?.name, p]));
  const out: PodResources[] = [];
  for (const m of sortByName(podMetrics)) {
    const pod = byName.get(m.metadata?.name);
    if (!pod) continue;
    const specs = new Map((pod.spec?.containers ?? []).map((c: Json) => [c.name, c.resources ?? {}]));
    const containers = (m.containers ?? []).map((c: Json) => {
      const res: Json = specs.get(c.name) ?? {};
      return {
        name: c.name,
        cpu: figure(
          tryParseQuantityNumber(c.usage?.cpu) ?? 0,
          tryParseQuantityNumber(res.requests?.cpu),
          tryParseQuantityNumber(res.limits?.cpu),
        ),
        memory: figure(
          tryParseQuantityNumber(c.usage?.memory) ?? 0,
          tryParseQuantityNumber(res.requests?.memory),
          tryParseQuantityNumber(res.limits?.memory),
        ),
      };
    });
    const total = (key: 'cpu' | 'memory', field: 'request' | 'limit'): number | undefined => {
      // A pod total exists only when every container has the value.
      let sum = 0;
      for (const c of containers) {
        const v = c[key][field];
        if (v === undefined) return undefined;
        sum += v;
      }
      return containers.length ? sum : undefined;
    };
    const usage = (key: 'cpu' | 'memory') => containers.reduce((s: number, c: Json) => s + c[key].usage, 0);
    out.push({
      pod: m.metadata?.name,
      cpu: figure(usage('cpu'), total('cpu', 'request'), total('cpu', 'limit')),
      memory: figure(usage('memory'), total('memory', 'request'), total('memory', 'limit')),
      containers,
    });
  }
  return out;
}

function describeMetricTarget(t: Json): string | undefined {
  if (!t) return undefined;
  if (t.averageUtilization !== undefined) return `${t.averageUtilization}%`;
  if (t.averageValue !== undefined) return `${t.averageValue} (avg)`;
  if (t.value !== undefined) return String(t.value);
  return undefined;
}

/** Summarise an autoscaling/v2 HorizontalPodAutoscaler. */
export function summarizeHpa(hpa: Json): AutoscalerSummary {
  const currentByKey = new Map<string, Json>();
  for (const c of hpa.status?.currentMetrics ?? []) currentByKey.set(metricKey(c), c);
  return {
    name: hpa.metadata?.name,
    minReplicas: hpa.spec?.minReplicas ?? 1,
    maxReplicas: hpa.spec?.maxReplicas,
    currentReplicas: hpa.status?.currentReplicas,
    desiredReplicas: hpa.status?.desiredReplicas,
    metrics: (hpa.spec?.metrics ?? []).map((m: Json) => {
      const cur = currentByKey.get(metricKey(m));
      const body = m[lowerFirst(m.type)] ?? {};
      const curBody = cur?.[lowerFirst(cur.type)] ?? {};
      return {
        name: metricKey(m),
        target: describeMetricTarget(body.target),
        current: describeMetricTarget(curBody.current),
      };
    }),
    conditions: conditions(hpa.status?.conditions),
  };
}

function lowerFirst(s: string | undefined): string {
  return s ? s[0].toLowerCase() + s.slice(1) : '';
}

function metricKey(m: Json): string {
  const body = m?.[lowerFirst(m?.type)] ?? {};
  const name = body.name ?? body.metric?.name ?? '?';
  return `${String(m?.type ?? '?').toLowerCase()}/${name}`;
}

function eventTime(e: Json): number {
  const t =
    e.lastTimestamp ??
    e.eventTime ??
    e.series?.lastObservedTime ??
    e.firstTimestamp ??
    e.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

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
      const res = await podProxyGet(clients, namespace, pod, port, '/metrics', timeoutMs);
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

export async function runStatus(clients: KubeClients, options: StatusOptions): Promise<StatusResult> {
  const now = (options.now ?? Date.now)();
  const th: StatusThresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const ns = options.namespace;
  const notes: string[] = [];
  const eventsSince = now - (options.eventsSinceMs ?? 60 * 60_000);

  // One round trip before the queue read: every read starts together with the Deployment's.
  // The Deployment's read goes first: it is the one the rest waits for (an API server, like the
  // simulator, may answer a connection's requests in the order they came).
  const deploymentP: Promise<Json> = findDeployment(clients, ns, options.deployment, options.selector);
  // Handled below; if another read fails first, this rejection must not go unhandled meanwhile.
  deploymentP.catch(() => {});
  // The selector-based reads (pods, ReplicaSets, pod metrics) use the selector the Deployment most
  // likely has (our manifests' label, app.kubernetes.io/name=<deployment>); when its real selector
  // differs, they are issued again with it and the guesses are discarded. Nothing is cached.
  const guessSelector = `app.kubernetes.io/name=${options.deployment ?? DEFAULT_DEPLOYMENT}`;
  const listPods = (labelSelector: string) =>
    clients.getJson<KList<Json>>(`/api/v1/namespaces/${enc(ns)}/pods`, { labelSelector });
  const listReplicaSets = (labelSelector: string, noteList: string[]) =>
    optional('ReplicaSets', noteList, () =>
      clients.getJson<KList<Json>>(`/apis/apps/v1/namespaces/${enc(ns)}/replicasets`, { labelSelector }),
    );
  const listPodMetrics = async (
    labelSelector: string,
    noteList: string[],
  ): Promise<KList<Json> | undefined> => {
    try {
      return await clients.getJson<KList<Json>>(
        `/apis/metrics.k8s.io/v1beta1/namespaces/${enc(ns)}/pods`,
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
    pods: listPods(guessSelector),
    replicaSets: listReplicaSets(guessSelector, guessNotes),
    podMetrics: listPodMetrics(guessSelector, guessNotes),
  };
  // Awaited below only when the guess was right; a rejection must never go unhandled.
  for (const p of Object.values(guessed)) p.catch(() => {});
  // The queue read (one /metrics per running pod) starts as soon as the pods are known and the
  // Deployment has confirmed the selector (never proxy to pods that are not its own).
  const readQueue = (podsP: Promise<KList<Json>>): Promise<QueueSummary | null> =>
    options.readQueue === false
      ? Promise.resolve(null)
      : podsP.then((list) => {
          const running = sortByName(list.items).filter(
            (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
          );
          const ready = running.filter(isPodReady);
          // Ready pods first: their workers run and reach Redis, so they can report the queue.
          const ordered = [...ready, ...running.filter((p) => !isPodReady(p))];
          return readQueueFromPods(
            clients,
            ns,
            ordered.map((p) => p.metadata.name),
            options.workerPort ?? 3000,
            options.proxyTimeoutMs ?? 3000,
            { maxPods: options.queuePods ?? DEFAULT_QUEUE_PODS, readyWorkers: ready.length },
          );
        });
  const eventsP = optional('Events', notes, () =>
    clients.getJson<KList<Json>>(`/api/v1/namespaces/${enc(ns)}/events`, { fieldSelector: 'type=Warning' }),
  );
  const hpasP = optional('HorizontalPodAutoscalers', notes, async () => {
    try {
      return await clients.getJson<KList<Json>>(
        `/apis/autoscaling/v2/namespaces/${enc(ns)}/horizontalpodautoscalers`,
      );
    } catch (err) {
      if (isNotFound(err)) return { items: [] };
      throw err;
    }
  });
  // Mark the early reads handled now: if the Deployment read fails first, their rejections
  // (the same unreachable cluster) must not crash the process as unhandled.
  eventsP.catch(() => {});
  hpasP.catch(() => {});
  const deployment: Json = await deploymentP;
  const depName: string = deployment.metadata.name;
  const selector = labelSelectorToString(deployment.spec?.selector);

  const guessRight = selector === guessSelector;
  const podsP = guessRight ? guessed.pods : listPods(selector);
  const queueP = readQueue(podsP);
  queueP.catch(() => {}); // a pods failure is reported by the Promise.all below
  const [podList, rsList, eventList, hpaList, metricsList] = await Promise.all([
    podsP,
    guessRight ? guessed.replicaSets : listReplicaSets(selector, notes),
    eventsP,
    hpasP,
    guessRight ? guessed.podMetrics : listPodMetrics(selector, notes),
  ]);
  if (guessRight) notes.push(...guessNotes);

  const pods = sortByName(podList.items);
  const podNames = new Set(pods.map((p) => p.metadata?.name));
  const rsNames = new Set(
    (rsList?.items ?? [])
      .filter((rs: Json) =>
        (rs.metadata?.ownerReferences ?? []).some((o: Json) => o.kind === 'Deployment' && o.name === depName),
      )
      .map((rs: Json) => rs.metadata?.name),
  );
  const relevantEvents = (eventList?.items ?? []).filter((e: Json) => {
    const o = e.involvedObject ?? e.regarding ?? {};
    if (eventTime(e) < eventsSince) return false;
    return (
      (o.kind === 'Deployment' && o.name === depName) ||
      (o.kind === 'ReplicaSet' && rsNames.has(o.name)) ||
      (o.kind === 'Pod' && (podNames.has(o.name) || String(o.name).startsWith(`${depName}-`)))
    );
  });

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
    (h: Json) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === depName,
  );
  const autoscaler = hpa ? summarizeHpa(hpa) : null;

  const queue = await queueP;
  if (queue?.note) notes.push(`queue: ${queue.note}`);

  const events: EventSummary[] = relevantEvents
    .sort((a: Json, b: Json) => eventTime(b) - eventTime(a))
    .map((e: Json) => {
      const o = e.involvedObject ?? e.regarding ?? {};
      return {
        type: e.type,
        reason: e.reason,
        object: `${String(o.kind ?? '').toLowerCase()}/${o.name}`,
        message: String(e.message ?? e.note ?? '').trim(),
        count: e.count ?? e.series?.count ?? 1,
        lastSeen: (() => {
          const t = eventTime(e);
          return t ? new Date(t).toISOString() : undefined;
        })(),
      };
    });

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
