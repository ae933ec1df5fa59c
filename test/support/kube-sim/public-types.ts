/**
 * The public face of kube-sim: the options of startKubeSim and seedDeployment, and the KubeSim
 * handle a test drives the simulated cluster with (index.ts builds it).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { BehaviorKind, ImageBehavior } from './behaviors.js';
import type { EventInput } from './events.js';
import type { LogGenerator, LogGeneratorOptions, LogLine } from './logs.js';
import type { ContainerUsage, DenyRule, FaultRule, ServerState } from './server/index.js';
import type { KObj } from './status.js';

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
  /** Namespace of the kubeconfig's context (default: none, so the CLI falls back to its own default). */
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
