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
import { normalizeBehavior } from './behaviors.js';
import { seedCluster } from './cluster.js';
import { Controllers, REVISION } from './controller/index.js';
import { EventRecorder } from './events.js';
import { LogBook } from './logs.js';
import { deepEqual } from './patch.js';
import type { KubeSim, KubeSimOptions, SeedDeploymentOptions } from './public-types.js';
import { findResource, resolveResource } from './resources.js';
import { createNamespace, podsOf, seedDeployment } from './seed.js';
import { parseLabelSelector } from './selectors.js';
import { type ServerState, SimServer } from './server/index.js';
import type { KObj } from './status.js';
import { Store, specPart } from './store.js';
import { makeWaitFor, waitForRollout } from './waits.js';

export type { BehaviorKind, ImageBehavior } from './behaviors.js';
export { deploymentComplete, REVISION } from './controller/index.js';
export type { EventInput } from './events.js';
export type { LogGenerator, LogGeneratorOptions, LogLine } from './logs.js';
export { workerLogGenerator } from './logs.js';
export type {
  FaultHandle,
  KubeSim,
  KubeSimOptions,
  SeedDeploymentOptions,
  SeededDeployment,
  WaitOptions,
} from './public-types.js';
export type { ContainerUsage, DenyRule, FaultRule } from './server/index.js';
export type { Json, KObj } from './status.js';

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
            ...(options.contextNamespace ? { namespace: options.contextNamespace } : {}),
          },
        },
      ],
      'current-context': 'kube-sim',
      preferences: {},
    }),
    { mode: 0o600 },
  );

  seedCluster(store);

  let closed = false;
  const waitFor = makeWaitFor(store, controllers);
  const PODS = findResource('', 'v1', 'pods')!;
  const DEPLOY = findResource('apps', 'v1', 'deployments')!;
  const RS = findResource('apps', 'v1', 'replicasets')!;

  const firstContainer = (namespace: string, pod: string): string => {
    const p = store.peek(PODS, namespace, pod);
    const c = p?.spec?.containers?.[0]?.name;
    if (!c)
      throw new Error(`kube-sim: pod ${namespace}/${pod} does not exist; pass the container name explicitly`);
    return c;
  };

  const seed = (o: SeedDeploymentOptions = {}) => seedDeployment({ store, api, controllers, waitFor }, o);

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
    createNamespace: (name, labels) => createNamespace(store, api, name, labels),
    seedDeployment: seed,
    seedPods: (count, opts = {}) => seed({ ...opts, replicas: count }),
    setDeploymentImage(namespace, name, image, container) {
      const d = store.get(DEPLOY, namespace, name);
      if (!d) throw new Error(`kube-sim: deployment ${namespace}/${name} does not exist`);
      const c = (d.spec.template.spec.containers as KObj[]).find((x) => !container || x.name === container);
      if (!c) throw new Error(`kube-sim: container ${container} not in ${name}`);
      c.image = image;
      return api.update(DEPLOY, namespace, name, d, { fieldManager: 'kube-sim' });
    },
    podsOf: (namespace, deployment) => podsOf(store, namespace, deployment),
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
    waitForRollout: (namespace, name, opts) => waitForRollout(store, waitFor, namespace, name, opts),
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
