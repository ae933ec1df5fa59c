/**
 * How the Deployment runs the worker's container, read from the objects `mobius-deploy render --env
 * <env>` prints (src/deploy/manifests/render.ts), and the `podman run` arguments that run it the same
 * way. Nothing here is a second copy of the manifest: a field the Deployment sets and this file does
 * not understand (a new volume type, a capability added back, an env source) is an error, so the test
 * breaks when the two drift apart.
 */
import type { V1ConfigMap, V1Container, V1Deployment, V1Probe, V1Volume } from '@kubernetes/client-node';
import { parseQuantityNumber } from '../../src/deploy/kube/quantity.js';
import type { ManifestObject } from '../../src/deploy/manifests/index.js';

export class DeploymentShapeError extends Error {}

export interface ProbeSpec {
  path: string;
  /** the container port the probe's (named) port resolves to */
  port: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export interface ContainerRunSpec {
  /** runAsUser:runAsGroup */
  user: string;
  runAsNonRoot: boolean;
  /** fsGroup: a supplementary group of the process, and the group that owns the data volume */
  fsGroup?: number;
  readOnlyRootFilesystem: boolean;
  allowPrivilegeEscalation: boolean;
  capDrop: string[];
  seccomp: string;
  /** the environment the container sees, secrets filled in from `secrets` */
  env: Record<string, string>;
  containerPort: number;
  probes: { startup: ProbeSpec; liveness: ProbeSpec; readiness: ProbeSpec };
  /** emptyDir volumes: a tmpfs of the emptyDir's sizeLimit */
  tmpfs: { path: string; sizeBytes: number }[];
  /** persistentVolumeClaim volumes: a host directory */
  volumes: { path: string; claim: string }[];
  memoryLimitBytes?: number;
  cpuLimit?: number;
  terminationGracePeriodSeconds: number;
}

function fail(message: string): never {
  throw new DeploymentShapeError(`the rendered Deployment: ${message}`);
}

function probe(p: V1Probe | undefined, which: string, ports: Map<string, number>): ProbeSpec {
  const get = p?.httpGet;
  if (!p || !get?.path) fail(`the container has no httpGet ${which}Probe`);
  const port = typeof get.port === 'number' ? get.port : (ports.get(String(get.port)) ?? Number(get.port));
  if (!Number.isInteger(port)) fail(`the ${which}Probe's port ${get.port} is not a container port`);
  return {
    path: get.path,
    port,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

function environment(
  container: V1Container,
  objects: ManifestObject[],
  secrets: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    if (!name || from.secretRef) fail('envFrom other than a configMapRef');
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as
      | V1ConfigMap
      | undefined;
    if (!cm) fail(`envFrom names ConfigMap ${name}, which the render does not hold`);
    Object.assign(env, cm.data ?? {});
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
      const value = secrets[ref];
      if (value === undefined)
        fail(`env ${e.name} comes from Secret key ${ref}, which the test has no value for`);
      env[e.name] = value;
    } else fail(`env ${e.name} has a source the test cannot reproduce`);
  }
  return env;
}

function volumes(container: V1Container, podVolumes: V1Volume[]) {
  const tmpfs: ContainerRunSpec['tmpfs'] = [];
  const claims: ContainerRunSpec['volumes'] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = podVolumes.find((v) => v.name === mount.name);
    if (!volume) fail(`volumeMount ${mount.name} has no volume`);
    if (mount.readOnly || mount.subPath)
      fail(`volumeMount ${mount.name}: readOnly/subPath are not reproduced`);
    if (volume.emptyDir) {
      const size = volume.emptyDir.sizeLimit;
      if (!size) fail(`emptyDir ${volume.name} has no sizeLimit`);
      tmpfs.push({ path: mount.mountPath, sizeBytes: parseQuantityNumber(size) });
    } else if (volume.persistentVolumeClaim) {
      claims.push({ path: mount.mountPath, claim: volume.persistentVolumeClaim.claimName });
    } else fail(`volume ${volume.name} is neither an emptyDir nor a persistentVolumeClaim`);
  }
  return { tmpfs, claims };
}

/** The worker container of the rendered objects, with the Secret values given as `<secret>/<key>`. */
export function runSpecFromDeployment(
  objects: ManifestObject[],
  secrets: Record<string, string>,
): ContainerRunSpec {
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as V1Deployment[];
  if (deployments.length !== 1) fail(`expected one Deployment, found ${deployments.length}`);
  const pod = deployments[0]!.spec?.template.spec;
  if (pod?.containers.length !== 1) fail('expected a pod template with exactly one container');
  if (pod.initContainers?.length) fail('init containers are not reproduced');
  const container = pod.containers[0]!;
  const sc = container.securityContext ?? {};
  const podSc = pod.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  if (runAsUser === undefined || runAsGroup === undefined) fail('runAsUser/runAsGroup are not set');
  if (sc.capabilities?.add?.length) fail(`capabilities are added back: ${sc.capabilities.add.join(', ')}`);
  if (sc.privileged) fail('the container is privileged');
  const ports = new Map<string, number>();
  for (const p of container.ports ?? []) if (p.name) ports.set(p.name, p.containerPort);
  const containerPort = container.ports?.[0]?.containerPort;
  if (!containerPort) fail('the container declares no port');
  const { tmpfs, claims } = volumes(container, pod.volumes ?? []);
  const limits = container.resources?.limits ?? {};
  return {
    user: `${runAsUser}:${runAsGroup}`,
    runAsNonRoot: (sc.runAsNonRoot ?? podSc.runAsNonRoot) === true,
    fsGroup: podSc.fsGroup,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem === true,
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation !== false,
    capDrop: sc.capabilities?.drop ?? [],
    seccomp: (sc.seccompProfile ?? podSc.seccompProfile)?.type ?? 'Unconfined',
    env: environment(container, objects, secrets),
    containerPort,
    probes: {
      startup: probe(container.startupProbe ?? container.livenessProbe, 'startup', ports),
      liveness: probe(container.livenessProbe, 'liveness', ports),
      readiness: probe(container.readinessProbe, 'readiness', ports),
    },
    tmpfs,
    volumes: claims,
    memoryLimitBytes: limits.memory ? parseQuantityNumber(limits.memory) : undefined,
    cpuLimit: limits.cpu ? parseQuantityNumber(limits.cpu) : undefined,
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
  };
}

/** How long the kubelet lets a container start before the startup probe fails it. */
export function startupBudgetSeconds(p: ProbeSpec): number {
  return p.periodSeconds * p.failureThreshold;
}

export interface RunPlacement {
  /** container name */
  name: string;
  image: string;
  /** host directory for each persistentVolumeClaim, by claim name */
  claimDirs: Record<string, string>;
  /** host port that publishes the container port on 127.0.0.1 */
  hostPort: number;
  /** variables added for the test only (a unique Redis key prefix) */
  extraEnv?: Record<string, string>;
}

/**
 * `podman run` options for this spec: the pod's user, groups and security context, its environment,
 * its volumes (tmpfs for emptyDir, a bind-mounted directory for the claim) and its limits. The
 * network is slirp4netns with the host's loopback reachable at 10.0.2.2 (where the test's Redis
 * listens) and the container port published on the host's 127.0.0.1.
 */
export function podmanRunArgs(spec: ContainerRunSpec, at: RunPlacement): string[] {
  const args = ['--name', at.name, '--hostname', at.name, '--user', spec.user];
  if (spec.fsGroup !== undefined) args.push('--group-add', String(spec.fsGroup));
  // readOnlyRootFilesystem: nothing writable but the pod's volumes (podman's own default would add
  // tmpfs on /run, /tmp and /var/tmp, which Kubernetes does not)
  if (spec.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  if (!spec.allowPrivilegeEscalation) args.push('--security-opt', 'no-new-privileges');
  for (const cap of spec.capDrop) args.push('--cap-drop', cap);
  if (spec.seccomp !== 'RuntimeDefault') args.push('--security-opt', 'seccomp=unconfined');
  for (const t of spec.tmpfs) args.push('--tmpfs', `${t.path}:rw,nosuid,nodev,size=${t.sizeBytes},mode=1777`);
  for (const v of spec.volumes) {
    const dir = at.claimDirs[v.claim];
    if (!dir) throw new DeploymentShapeError(`no host directory for the claim ${v.claim}`);
    args.push('--volume', `${dir}:${v.path}:rw`);
  }
  if (spec.memoryLimitBytes) args.push('--memory', `${spec.memoryLimitBytes}b`);
  if (spec.cpuLimit) args.push('--cpus', String(spec.cpuLimit));
  args.push('--stop-timeout', String(spec.terminationGracePeriodSeconds));
  // Kubernetes ignores the image's HEALTHCHECK (the probes replace it); podman would want systemd timers
  args.push('--no-healthcheck');
  args.push('--network', 'slirp4netns:allow_host_loopback=true');
  args.push('--publish', `127.0.0.1:${at.hostPort}:${spec.containerPort}`);
  const env = { ...spec.env, ...(at.extraEnv ?? {}) };
  for (const key of Object.keys(env).sort()) args.push('--env', `${key}=${env[key]}`);
  args.push(at.image);
  return args;
}

/** The host's loopback as a slirp4netns container reaches it. */
export const HOST_LOOPBACK_FROM_CONTAINER = '10.0.2.2';

/** A Redis URL on the host's loopback, as the container must spell it. */
export function redisUrlForContainer(hostUrl: string): string {
  const url = new URL(hostUrl);
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) url.hostname = HOST_LOOPBACK_FROM_CONTAINER;
  return url.toString().replace(/\/$/, '');
}
