/**
 * Every Kubernetes object for one environment, in apply order, with common labels and stable key order.
 *
 *   const objects = buildManifests(loadEnvironment('production'), { imageTag: '1.4.2' });
 *   toYamlStream(objects)   // what `mobius-deploy render --env production` prints
 *
 * Bootstrap objects (Namespace, the deployer's ServiceAccount, Role and RoleBinding) are applied once by a
 * cluster admin; `mobius-deploy deploy` applies the application objects (buildApplicationManifests).
 * Secrets are only referenced (secretKeyRef), never rendered.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { canonicalize } from './canonical.js';
import { type Environment, EnvironmentConfigError } from './environment.js';
import { commonLabels, DEPLOYER_NAME } from './labels.js';
import { buildDeployerRole, buildDeployerRoleBinding, buildDeployerServiceAccount } from './rbac.js';
import {
  buildConfigMap,
  buildDeployment,
  buildHorizontalPodAutoscaler,
  buildNamespace,
  buildNetworkPolicy,
  buildPersistentVolumeClaim,
  buildPodDisruptionBudget,
  buildPrometheusRule,
  buildService,
  buildServiceMonitor,
  buildWorkerServiceAccount,
  imageReference,
  workerConfigData,
} from './workload.js';

export { canonicalize, toYamlDocument, toYamlStream } from './canonical.js';
export { type Environment, EnvironmentConfigError, loadEnvironment } from './environment.js';

/** A rendered object: apiVersion, kind and metadata.name/namespace always set. */
export interface ManifestObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string> } & Record<string, unknown>;
}

export interface BuildOptions {
  /** Deploy this tag of the environment's repository instead of image.tag (`--image-tag`). */
  imageTag?: string;
  /** Deploy this full image reference (`--image`), e.g. ghcr.io/o/r:1.2.3 or ...@sha256:... */
  image?: string;
}

/** The kinds in apply order: dependencies first (the namespace, then what pods reference). */
export const APPLY_ORDER = [
  'Namespace',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'Deployment',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'ServiceMonitor',
  'PrometheusRule',
] as const;

/** A bad --image or --image-tag value (a usage error, not an environment-file problem). */
export class ImageOptionError extends EnvironmentConfigError {
  constructor(message: string) {
    super(message, [message], 'Check the --image / --image-tag flag; see mobius-deploy <command> --help.');
  }
}

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const IMAGE_REF =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** The image reference and the version label for one render. */
export function resolveImage(
  env: Environment,
  options: BuildOptions = {},
): { image: string; version: string } {
  if (options.image !== undefined && options.imageTag !== undefined) {
    throw new ImageOptionError('Give either --image or --image-tag, not both.');
  }
  if (options.image !== undefined) {
    const m = IMAGE_REF.exec(options.image);
    if (!m || (!options.image.includes('@') && !/:[^/]+$/.test(options.image))) {
      throw new ImageOptionError(
        `--image ${JSON.stringify(options.image)} is not a valid image reference: expected REPOSITORY:TAG or ` +
          'REPOSITORY[:TAG]@sha256:DIGEST, for example ghcr.io/mobius-org/mobius-preview-worker:1.2.3.',
      );
    }
    const withoutDigest = options.image.split('@')[0]!;
    const tagMatch = /:([^/:]+)$/.exec(withoutDigest);
    const digest = options.image.split('@')[1];
    const version = tagMatch ? tagMatch[1]! : digest!.slice('sha256:'.length, 'sha256:'.length + 12);
    return { image: options.image, version };
  }
  if (options.imageTag !== undefined) {
    if (!IMAGE_TAG.test(options.imageTag)) {
      throw new ImageOptionError(
        `--image-tag ${JSON.stringify(options.imageTag)} is not a valid tag: expected letters, digits, "_", "." and "-" ` +
          '(up to 128 characters, not starting with "." or "-").',
      );
    }
    return { image: `${env.image.repository}:${options.imageTag}`, version: options.imageTag };
  }
  return { image: imageReference(env), version: env.image.tag };
}

function sortByApplyOrder(objects: ManifestObject[]): ManifestObject[] {
  const rank = (kind: string) => {
    const i = (APPLY_ORDER as readonly string[]).indexOf(kind);
    return i === -1 ? APPLY_ORDER.length : i;
  };
  // Stable: equal kinds keep their build order.
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map(({ o }) => o);
}

/** Every object of the environment, sorted in apply order, canonical key order. */
export function buildManifests(env: Environment, options: BuildOptions = {}): ManifestObject[] {
  const { image, version } = resolveImage(env, options);
  const labels = commonLabels(env, version);
  const configData = workerConfigData(env);
  const objects = [
    buildNamespace(env, labels),
    buildWorkerServiceAccount(env, labels),
    buildDeployerServiceAccount(env, labels),
    buildDeployerRole(env, labels),
    buildDeployerRoleBinding(env, labels),
    buildConfigMap(env, labels),
    buildPersistentVolumeClaim(env, labels),
    buildService(env, labels),
    buildDeployment(env, labels, image, configData),
    buildHorizontalPodAutoscaler(env, labels),
    buildPodDisruptionBudget(env, labels),
    buildNetworkPolicy(env, labels),
    buildServiceMonitor(env, labels),
    buildPrometheusRule(env, labels),
  ] as unknown as ManifestObject[];
  return sortByApplyOrder(objects.map((o) => canonicalize(o)));
}

/** Objects a cluster admin applies once (namespace and the deployer's RBAC). */
export function isBootstrapObject(object: Pick<ManifestObject, 'kind' | 'metadata'>): boolean {
  if (object.kind === 'Namespace' || object.kind === 'Role' || object.kind === 'RoleBinding') return true;
  return object.kind === 'ServiceAccount' && object.metadata.name === DEPLOYER_NAME;
}

/** What `mobius-deploy deploy` applies with the deployer's permissions: everything but the bootstrap objects. */
export function buildApplicationManifests(env: Environment, options: BuildOptions = {}): ManifestObject[] {
  return buildManifests(env, options).filter((o) => !isBootstrapObject(o));
}

/** The object of a kind (and name) in a list, for callers that need the Deployment etc. */
export function findObject(
  objects: readonly ManifestObject[],
  kind: string,
  name?: string,
): ManifestObject | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The file name of an object in `render --out-dir`: apply order prefix, kind and name. */
export function manifestFileName(object: ManifestObject, index: number): string {
  return `${String(index).padStart(2, '0')}-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}

/** A `kind: List` wrapper for `-o json`. */
export function toKubernetesList(objects: readonly ManifestObject[]): {
  apiVersion: 'v1';
  kind: 'List';
  metadata: Record<string, never>;
  items: ManifestObject[];
} {
  return { apiVersion: 'v1', kind: 'List', metadata: {}, items: [...objects] };
}
