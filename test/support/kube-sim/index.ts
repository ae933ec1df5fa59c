/**
 * kube-sim: a Kubernetes API server simulator for tests.
 *
 * A real HTTP server (node:http on 127.0.0.1) that `@kubernetes/client-node` and `kubectl` talk to
 * through a generated kubeconfig (token auth, plain http). It stores objects like the API server
 * (resourceVersion, generation, optimistic concurrency, selectors, watch, all PATCH types,
 * server-side apply, dry runs, cascading deletes), runs a deployment controller, a ReplicaSet
 * controller and a kubelet whose containers behave per image (ready, crashloop, imagepull,
 * oomkilled, pending, createconfigerror, readiness-failing), serves pod logs, pod metrics,
 * the pod/service proxy, and lets a test deny RBAC verbs and inject faults.
 *
 * @example
 *   const sim = await startKubeSim();
 *   await sim.seedDeployment({ namespace: 'production', name: 'preview-worker', replicas: 3 });
 *   const kc = sim.kubeConfig();            // a @kubernetes/client-node KubeConfig
 *   spawn('node', ['cli/mobius-deploy.js', 'status', '-n', 'production'], { env: { ...process.env, ...sim.env() } });
 *   await sim.close();
 *
 * See README.md in this folder for the full guide.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as toYaml } from 'yaml';
import { Api } from './api.js';
import { type BehaviorKind, type ImageBehavior, normalizeBehavior } from './behaviors.js';
import { Controllers, deploymentComplete, NODE_NAMES, nodeIp, REVISION } from './controller/index.js';
import { type EventInput, EventRecorder } from './events.js';
import {
  LogBook,
  type LogGenerator,
  type LogGeneratorOptions,
  type LogLine,
  workerLogGenerator,
} from './logs.js';
import { deepEqual } from './patch.js';
import { findResource, resolveResource } from './resources.js';
import { parseLabelSelector } from './selectors.js';
import {
  type ContainerUsage,
  type DenyRule,
  type FaultRule,
  type ServerState,
  SimServer,
} from './server/index.js';
import type { KObj } from './status.js';
import { Store, specPart } from './store.js';

export type { BehaviorKind, ImageBehavior } from './behaviors.js';
export { deploymentComplete, REVISION } from './controller/index.js';
export type { EventInput } from './events.js';
export type { LogGenerator, LogGeneratorOptions, LogLine } from './logs.js';
export { workerLogGenerator } from './logs.js';
export type { ContainerUsage, DenyRule, FaultRule } from './server/index.js';
export type { Json, KObj } from './status.js';

/** Options of {@link startKubeSim}. */
export interface KubeSimOptions {
  /** Behavior of every image without its own (default `ready`). */
  scenario?: BehaviorKind | ImageBehavior;
  /** Creation → Ready for `ready` pods, in ms (default 150). Other behaviors scale from it. */
  readyDelayMs?: number;
  /** Multiplies `progressDeadlineSeconds` (default 1; 0.01 makes 600 s into 6 s). */
  progressDeadlineScale?: number;
  /** Port to listen on (default 0: a free port). */
  port?: number;
  /** Bearer token the kubeconfig carries and the server requires (default random). */
  token?: string;
  /**
   * Reject requests that carry no token (default false, because kubectl never sends credentials
   * over plain http; client-node does). A wrong token is always 401.
   */
  requireToken?: boolean;
  /** User name in 403 messages (default `system:serviceaccount:ci:mobius-deployer`). */
  user?: string;
  /** Namespace of the kubeconfig's context (default `default`). */
  contextNamespace?: string;
  /**
   * How long a deleted pod stays Terminating (deletionTimestamp set, Killing event) before it is
   * gone, like the kubelet's graceful shutdown (default 0: pods vanish at once). Applies to API
   * deletes and ReplicaSet scale-downs; gracePeriodSeconds=0 deletes at once.
   */
  podTerminationMs?: number;
  /**
   * How long a deleted namespace stays Terminating (new content refused with 403) after its
   * contents are deleted, and at least until its pods are gone (default 250 ms).
   */
  namespaceTerminationMs?: number;
  /** Serve metrics.k8s.io (default true). */
  metrics?: boolean;
  /** Clock (ms since epoch) for timestamps, log times and deadlines (default Date.now). */
  now?: () => number;
  /** Directory for the kubeconfig (default a new temp dir, removed on close). */
  dir?: string;
}

/** Options of {@link KubeSim.seedDeployment}. */
export interface SeedDeploymentOptions {
  namespace?: string;
  name?: string;
  image?: string;
  replicas?: number;
  /** Extra labels on the Deployment and its pods (app.kubernetes.io/name=<name> is always set). */
  labels?: Record<string, string>;
  /**
   * The Deployment's spec.selector.matchLabels (default `app.kubernetes.io/name=<name>`). The standalone
   * simulator passes the labels our manifests select on, so `mobius-deploy deploy` can upgrade it.
   */
  selector?: Record<string, string>;
  /** Container port (default 3000, named `http`). */
  port?: number;
  /** Container name (default `worker`). */
  containerName?: string;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  /** Also create a Service (default true) and an HPA (default true). */
  service?: boolean;
  hpa?: boolean;
  /** Wait until the rollout completes (default: true when the image behaves `ready`). */
  wait?: boolean;
  /** Extra fields merged into the container (env, resources, probes...). */
  container?: KObj;
  /** Write the worker-style JSON log lines for this image (default true unless a generator is set). */
  workerLogs?: boolean;
}

/** The result of {@link KubeSim.seedDeployment}. */
export interface SeededDeployment {
  deployment: KObj;
  service?: KObj;
  hpa?: KObj;
  pods: KObj[];
}

/** Options of {@link KubeSim.waitFor}. */
export interface WaitOptions {
  /** Default 10 000 ms. */
  timeoutMs?: number;
  /** What was awaited, for the timeout error. */
  message?: string;
}

/** A handle to an injected fault. */
export interface FaultHandle {
  /** How many requests it has hit. */
  hits(): number;
  /** Removes it. */
  clear(): void;
}

/** A running simulator. */
export interface KubeSim {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Path of the generated kubeconfig (context `kube-sim`, user token, namespace from options). */
  readonly kubeconfigPath: string;
  readonly token: string;
  /** A @kubernetes/client-node KubeConfig loaded from the kubeconfig. */
  kubeConfig(): KubeConfig;
  /** `{ KUBECONFIG: kubeconfigPath }` for child processes. */
  env(): Record<string, string>;
  /** Stops controllers, ends open streams, closes the server and removes the temp dir. */
  close(): Promise<void>;

  // -- objects (resource is a plural, kind or short name: 'pods', 'Deployment', 'deploy', 'apps/deployments')
  /** A copy of an object, or undefined. */
  get(resource: string, namespace: string | undefined, name: string): KObj | undefined;
  /** Copies of the objects of a resource (in a namespace when given), optionally by label selector. */
  list(resource: string, namespace?: string, opts?: { labelSelector?: string }): KObj[];
  /** Creates through the API path (defaults, validation, managedFields). Throws StatusError. */
  create(obj: KObj): KObj;
  /** Creates or replaces an object directly in the store (no validation; status kept as given). */
  put(obj: KObj): KObj;
  /**
   * Edits an object directly (read-modify-write, no validation): bumps resourceVersion, and
   * metadata.generation when anything outside metadata/status changed, like the API server.
   */
  mutate(
    resource: string,
    namespace: string | undefined,
    name: string,
    fn: (o: KObj) => void,
  ): KObj | undefined;
  /** Deletes like the API (children follow). */
  delete(resource: string, namespace: string | undefined, name: string): void;
  /** The current global resourceVersion. */
  resourceVersion(): string;

  // -- seeding
  /** Creates a namespace (no-op when it exists). */
  createNamespace(name: string, labels?: Record<string, string>): KObj;
  /** A worker-like Deployment (+ Service + HPA), waiting for its pods unless told not to. */
  seedDeployment(opts?: SeedDeploymentOptions): Promise<SeededDeployment>;
  /** Seeds a deployment of `count` ready pods (the 50-pod case). */
  seedPods(count: number, opts?: SeedDeploymentOptions): Promise<SeededDeployment>;
  /** Changes a deployment's image (like `kubectl set image`), bumping its generation. */
  setDeploymentImage(namespace: string, name: string, image: string, container?: string): KObj;
  /** Pods owned (through ReplicaSets) by a deployment. */
  podsOf(namespace: string, deployment: string): KObj[];
  /** ReplicaSets of a deployment, oldest revision first. */
  replicaSetsOf(namespace: string, deployment: string): KObj[];

  // -- behavior
  /** How containers of an image behave (`repo:tag`, or a prefix ending in `*`). Applies to new pods. */
  setImageBehavior(image: string, behavior: BehaviorKind | ImageBehavior): void;
  /** Behavior of images without their own. */
  setDefaultBehavior(behavior: BehaviorKind | ImageBehavior): void;
  /** Log lines a container of an image writes at start (and every intervalMs). */
  setLogGenerator(image: string, gen: LogGenerator, opts?: LogGeneratorOptions): void;
  /** Replaces a pod container's log (container default: the pod's first). `previous` sets the last terminated instance's. */
  setPodLogs(
    namespace: string,
    pod: string,
    lines: (string | LogLine)[],
    opts?: { container?: string; previous?: boolean },
  ): void;
  /** Appends lines (followers receive them at once). */
  appendPodLog(
    namespace: string,
    pod: string,
    lines: string | (string | LogLine)[],
    container?: string,
  ): void;
  /** Ends every open `follow` log stream: `destroy` (default) cuts the socket, `end` closes cleanly. */
  cutLogStreams(mode?: 'destroy' | 'end'): number;
  /** Ends every open watch stream (`destroy` cuts the socket, `end` (default) closes it as a server timeout does). */
  cutWatchStreams(mode?: 'destroy' | 'end'): number;
  /** Sets a pod's usage in metrics.k8s.io (quantities like "12345678n", "250m", "150Mi", "104857600"). */
  setPodMetrics(namespace: string, pod: string, usage: ContainerUsage | ContainerUsage[]): void;
  /** Removes metrics.k8s.io (404 and gone from discovery, like an absent metrics-server). */
  disableMetricsApi(): void;
  enableMetricsApi(): void;
  /** Where the pod proxy forwards for a pod (`*` for every pod; namespace `*` too). */
  setProxyTarget(namespace: string, podOrStar: string, baseUrl: string): void;
  clearProxyTarget(namespace: string, podOrStar: string): void;
  /** Adds an RBAC denial; returns its remover. */
  deny(rule: DenyRule): () => void;
  clearDenials(): void;
  /** Injects a fault; returns a handle. */
  injectFault(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Records an Event (aggregated like the API server). `involvedObject` may be {resource, namespace, name}. */
  addEvent(
    input: Omit<EventInput, 'involvedObject'> & {
      involvedObject: KObj | { resource: string; namespace: string; name: string };
    },
  ): KObj | undefined;
  /** Requests served so far (method, path, query, status). */
  requests(): ServerState['requestLog'];

  // -- waiting
  /** Resolves once `predicate` is true (checked after every change and every 10 ms). */
  waitFor<T>(predicate: () => T | undefined | false | null, opts?: WaitOptions): Promise<T>;
  /**
   * Resolves once the simulated cluster has settled: no reconcile pending, every pod in its
   * behavior's steady state (Ready, crash-looping, ImagePullBackOff, Pending, ...), no pod
   * terminating. A stuck rollout is settled too; wait for ProgressDeadlineExceeded with waitFor.
   */
  settled(opts?: WaitOptions): Promise<void>;
  /** Resolves once the deployment is rolled out (the same rules as `kubectl rollout status`). */
  waitForRollout(namespace: string, name: string, opts?: WaitOptions): Promise<KObj>;
}

const DEFAULT_IMAGE = 'ghcr.io/mobius/preview-worker:1.0.0';

/** Starts a simulator. */
export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const now = options.now ?? Date.now;
  const store = new Store(now);
  const api = new Api(store);
  const logs = new LogBook(now);
  const events = new EventRecorder(store, now);
  const token =
    options.token ?? `kube-sim-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const state: ServerState = {
    token,
    requireToken: options.requireToken ?? false,
    user: options.user ?? 'system:serviceaccount:ci:mobius-deployer',
    denyRules: [],
    faults: [],
    proxyTargets: new Map(),
    metrics: new Map(),
    metricsEnabled: options.metrics ?? true,
    logStreams: new Set(),
    watchStreams: new Set(),
    requestLog: [],
  };
  const controllers = new Controllers(store, logs, events, {
    readyDelayMs: options.readyDelayMs ?? 150,
    progressDeadlineScale: options.progressDeadlineScale ?? 1,
    now,
    metricsAvailable: () => state.metricsEnabled,
    podTerminationMs: options.podTerminationMs ?? 0,
    namespaceTerminationMs: options.namespaceTerminationMs ?? 250,
  });
  api.podDeleter = (pod) => controllers.terminatePod(pod);
  api.namespaceDeleter = (ns) => controllers.terminateNamespace(ns);
  if (options.scenario) controllers.setDefaultBehavior(normalizeBehavior(options.scenario));
  const sim = new SimServer(store, api, logs, state, now);
  const server: Server = createServer(sim.handle);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  sim.setHost(`127.0.0.1:${port}`);
  const ownDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const kubeconfigPath = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfigPath,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'kube-sim-user', user: { token } }],
      contexts: [
        {
          name: 'kube-sim',
          context: {
            cluster: 'kube-sim',
            user: 'kube-sim-user',
            namespace: options.contextNamespace ?? 'default',
          },
        },
      ],
      'current-context': 'kube-sim',
      preferences: {},
    }),
    { mode: 0o600 },
  );

  const NS = findResource('', 'v1', 'namespaces')!;
  const PODS = findResource('', 'v1', 'pods')!;
  const DEPLOY = findResource('apps', 'v1', 'deployments')!;
  const RS = findResource('apps', 'v1', 'replicasets')!;
  for (const ns of ['default', 'kube-system', 'kube-public']) {
    store.insert(NS, builtinNamespace(store, NS, ns));
  }
  const NODES = findResource('', 'v1', 'nodes')!;
  NODE_NAMES.forEach((name, i) => {
    const node = store.prepareCreate(
      NODES,
      {
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + i)}`,
          },
        },
        spec: { podCIDR: `10.244.${i}.0/24` },
      },
      undefined,
    );
    node.status = {
      capacity: { cpu: '4', memory: '16374584Ki', pods: '110', 'ephemeral-storage': '102350Mi' },
      allocatable: { cpu: '3920m', memory: '15220536Ki', pods: '110', 'ephemeral-storage': '94303002500' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
        },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ].map((c) => ({
        ...c,
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: node.metadata.creationTimestamp,
      })),
      addresses: [
        { type: 'InternalIP', address: nodeIp(name) },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4',
        kubeProxyVersion: 'v1.32.4',
        containerRuntimeVersion: 'containerd://1.7.24',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'kube-sim',
        kernelVersion: '6.1.0',
      },
    };
    store.insert(NODES, node);
  });
  store.insert(
    findResource('', 'v1', 'services')!,
    store.prepareCreate(
      findResource('', 'v1', 'services')!,
      {
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.1',
          clusterIPs: ['10.96.0.1'],
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          sessionAffinity: 'None',
        },
      },
      'default',
    ),
  );

  let closed = false;
  const waitFor = <T>(predicate: () => T | undefined | false | null, opts: WaitOptions = {}): Promise<T> => {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const check = () => {
        if (done) return;
        let v: T | undefined | false | null;
        try {
          v = predicate();
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        if (v) {
          finish();
          resolve(v as T);
        }
      };
      const unsub = store.subscribe(() => queueMicrotask(check));
      const unpass = controllers.onPass(check);
      const poll = setInterval(check, 10);
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(`kube-sim: timed out after ${timeoutMs} ms waiting for ${opts.message ?? 'a condition'}`),
        );
      }, timeoutMs);
      function finish() {
        done = true;
        unsub();
        unpass();
        clearInterval(poll);
        clearTimeout(timer);
      }
      check();
    });
  };

  const podsOf = (namespace: string, deployment: string): KObj[] => {
    const d = store.peek(DEPLOY, namespace, deployment);
    if (!d) return [];
    const rsUids = new Set(
      store
        .peekList(RS, namespace)
        .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r: KObj) => r.uid === d.metadata.uid))
        .map((rs) => rs.metadata.uid),
    );
    return store
      .list(PODS, namespace)
      .filter((p) => (p.metadata.ownerReferences ?? []).some((r: KObj) => rsUids.has(r.uid)));
  };

  const firstContainer = (namespace: string, pod: string): string => {
    const p = store.peek(PODS, namespace, pod);
    const c = p?.spec?.containers?.[0]?.name;
    if (!c)
      throw new Error(`kube-sim: pod ${namespace}/${pod} does not exist; pass the container name explicitly`);
    return c;
  };

  const createNamespace = (name: string, labels?: Record<string, string>): KObj => {
    const existing = store.get(NS, undefined, name);
    if (existing) return existing;
    return api.create(
      NS,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } },
      { fieldManager: 'kube-sim' },
    );
  };

  const seedDeployment = async (o: SeedDeploymentOptions = {}): Promise<SeededDeployment> => {
    const namespace = o.namespace ?? 'production';
    const name = o.name ?? 'preview-worker';
    const image = o.image ?? DEFAULT_IMAGE;
    const replicas = o.replicas ?? 3;
    const port = o.port ?? 3000;
    createNamespace(namespace);
    if (o.workerLogs !== false) controllers.setLogGenerator(image, workerLogGenerator, { initialLines: 20 });
    const selector = o.selector ?? { 'app.kubernetes.io/name': name };
    const labels = { ...selector, 'app.kubernetes.io/part-of': 'mobius', ...(o.labels ?? {}) };
    const deployment = api.create(
      DEPLOY,
      namespace,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace, labels },
        spec: {
          replicas,
          selector: { matchLabels: selector },
          ...(o.progressDeadlineSeconds !== undefined
            ? { progressDeadlineSeconds: o.progressDeadlineSeconds }
            : {}),
          ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: o.containerName ?? 'worker',
                  image,
                  ports: [{ name: 'http', containerPort: port }],
                  env: [
                    { name: 'PORT', value: String(port) },
                    { name: 'PREVIEW_QUEUE_NAME', value: 'preview-jobs' },
                  ],
                  resources: {
                    requests: { cpu: '250m', memory: '256Mi' },
                    limits: { cpu: '1', memory: '1Gi' },
                  },
                  livenessProbe: { httpGet: { path: '/livez', port: 'http' } },
                  readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
                  ...(o.container ?? {}),
                },
              ],
            },
          },
        },
      },
      { fieldManager: 'kube-sim-seed' },
    );
    let service: KObj | undefined;
    let hpa: KObj | undefined;
    if (o.service !== false && !store.peek(findResource('', 'v1', 'services')!, namespace, name)) {
      service = api.create(
        findResource('', 'v1', 'services')!,
        namespace,
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace, labels },
          spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
        },
        { fieldManager: 'kube-sim-seed' },
      );
    }
    const HPA = findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!;
    if (o.hpa !== false && !store.peek(HPA, namespace, name)) {
      hpa = api.create(
        HPA,
        namespace,
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name, namespace, labels },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
            minReplicas: Math.max(1, replicas),
            maxReplicas: Math.max(replicas * 3, 6),
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
              },
            ],
          },
        },
        { fieldManager: 'kube-sim-seed' },
      );
    }
    const wait = o.wait ?? controllers.behaviorFor(image).kind === 'ready';
    if (wait) {
      await waitForRollout(namespace, name, { timeoutMs: 15_000 + replicas * 200 });
    } else {
      await waitFor(() => podsOf(namespace, name).length >= replicas, {
        message: `${replicas} pods of ${name}`,
      });
    }
    return {
      deployment: store.get(DEPLOY, namespace, name) ?? deployment,
      service: service ? store.get(findResource('', 'v1', 'services')!, namespace, name) : undefined,
      hpa: hpa ? store.get(HPA, namespace, name) : undefined,
      pods: podsOf(namespace, name),
    };
  };

  const waitForRollout = (namespace: string, name: string, opts: WaitOptions = {}) =>
    waitFor(
      () => {
        const d = store.get(DEPLOY, namespace, name);
        return d && deploymentComplete(d) ? d : undefined;
      },
      { message: `deployment ${namespace}/${name} to roll out`, ...opts },
    );

  const handle: KubeSim = {
    url,
    port,
    kubeconfigPath,
    token,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
    env: () => ({ KUBECONFIG: kubeconfigPath }),
    async close() {
      if (closed) return;
      closed = true;
      controllers.close();
      for (const s of [...state.logStreams, ...state.watchStreams]) s.destroy();
      state.logStreams.clear();
      state.watchStreams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    get: (resource, namespace, name) => store.get(resolveResource(resource), namespace, name),
    list(resource, namespace, opts = {}) {
      const m = parseLabelSelector(opts.labelSelector);
      return store.list(resolveResource(resource), namespace).filter((o) => m(o.metadata.labels));
    },
    create(obj) {
      const r = resolveResource(
        obj.apiVersion?.includes('/') ? `${obj.apiVersion.split('/')[0]}/${obj.kind}` : obj.kind,
      );
      return api.create(r, obj.metadata?.namespace, obj, { fieldManager: 'kube-sim' });
    },
    put: (obj) => store.put(obj),
    mutate(resource, namespace, name, fn) {
      const r = resolveResource(resource);
      const before = store.peek(r, namespace, name);
      if (!before) return undefined;
      return store.mutate(r, namespace, name, (o) => {
        fn(o);
        if (before.metadata.generation !== undefined && !deepEqual(specPart(o), specPart(before))) {
          o.metadata.generation = (before.metadata.generation ?? 0) + 1;
        }
      });
    },
    delete(resource, namespace, name) {
      api.delete(resolveResource(resource), namespace, name);
    },
    resourceVersion: () => store.currentResourceVersion(),
    createNamespace,
    seedDeployment,
    seedPods: (count, opts = {}) => seedDeployment({ ...opts, replicas: count }),
    setDeploymentImage(namespace, name, image, container) {
      const d = store.get(DEPLOY, namespace, name);
      if (!d) throw new Error(`kube-sim: deployment ${namespace}/${name} does not exist`);
      const c = (d.spec.template.spec.containers as KObj[]).find((x) => !container || x.name === container);
      if (!c) throw new Error(`kube-sim: container ${container} not in ${name}`);
      c.image = image;
      return api.update(DEPLOY, namespace, name, d, { fieldManager: 'kube-sim' });
    },
    podsOf,
    replicaSetsOf(namespace, deployment) {
      const d = store.peek(DEPLOY, namespace, deployment);
      if (!d) return [];
      return store
        .list(RS, namespace)
        .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r: KObj) => r.uid === d.metadata.uid))
        .sort(
          (a, b) =>
            Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0),
        );
    },
    setImageBehavior: (image, b) => controllers.setImageBehavior(image, normalizeBehavior(b)),
    setDefaultBehavior: (b) => controllers.setDefaultBehavior(normalizeBehavior(b)),
    setLogGenerator: (image, gen, opts) => controllers.setLogGenerator(image, gen, opts),
    setPodLogs(namespace, pod, lines, opts = {}) {
      logs.set(
        namespace,
        pod,
        opts.container ?? firstContainer(namespace, pod),
        lines,
        opts.previous ?? false,
      );
    },
    appendPodLog(namespace, pod, lines, container) {
      logs.append(
        namespace,
        pod,
        container ?? firstContainer(namespace, pod),
        typeof lines === 'string' ? [lines] : lines,
      );
    },
    cutLogStreams(mode = 'destroy') {
      return cutStreams(state.logStreams, mode);
    },
    cutWatchStreams(mode = 'end') {
      return cutStreams(state.watchStreams, mode);
    },
    setPodMetrics(namespace, pod, usage) {
      state.metrics.set(`${namespace}/${pod}`, Array.isArray(usage) ? usage : [usage]);
    },
    disableMetricsApi() {
      state.metricsEnabled = false;
      controllers.kick();
    },
    enableMetricsApi() {
      state.metricsEnabled = true;
      controllers.kick();
    },
    setProxyTarget(namespace, podOrStar, baseUrl) {
      state.proxyTargets.set(namespace === '*' ? '*' : `${namespace}/${podOrStar}`, baseUrl);
    },
    clearProxyTarget(namespace, podOrStar) {
      state.proxyTargets.delete(namespace === '*' ? '*' : `${namespace}/${podOrStar}`);
    },
    deny(rule) {
      state.denyRules.push(rule);
      return () => {
        const i = state.denyRules.indexOf(rule);
        if (i >= 0) state.denyRules.splice(i, 1);
      };
    },
    clearDenials() {
      state.denyRules.length = 0;
    },
    injectFault(rule) {
      const f = { rule, remaining: rule.times ?? -1, hits: 0 };
      state.faults.push(f);
      return {
        hits: () => f.hits,
        clear() {
          const i = state.faults.indexOf(f);
          if (i >= 0) state.faults.splice(i, 1);
        },
      };
    },
    clearFaults() {
      state.faults.length = 0;
    },
    addEvent(input) {
      let io = input.involvedObject as KObj;
      if (typeof io.resource === 'string') {
        const found = store.get(resolveResource(io.resource), io.namespace, io.name);
        if (!found) throw new Error(`kube-sim: ${io.resource} ${io.namespace}/${io.name} does not exist`);
        io = found;
      }
      return events.record({ ...input, involvedObject: io });
    },
    requests: () => state.requestLog,
    waitFor,
    waitForRollout,
    async settled(opts = {}) {
      await waitFor(() => controllers.isSettled(), { message: 'the cluster to settle', ...opts });
    },
  };
  return handle;
}

/** Destroys (the socket cut) or ends (closed cleanly) every stream of the set and empties it; how many. */
function cutStreams(set: Set<{ destroy(): unknown; end(): unknown }>, mode: 'destroy' | 'end'): number {
  const streams = [...set];
  set.clear();
  for (const s of streams) {
    if (mode === 'destroy') s.destroy();
    else s.end();
  }
  return streams.length;
}

/** A namespace as the API server creates its built-in ones (default, kube-system, kube-public). */
function builtinNamespace(store: Store, r: ReturnType<typeof resolveResource>, name: string): KObj {
  const o = store.prepareCreate(r, { metadata: { name } }, undefined);
  o.metadata.labels = { 'kubernetes.io/metadata.name': name };
  o.spec = { finalizers: ['kubernetes'] };
  o.status = { phase: 'Active' };
  return o;
}
