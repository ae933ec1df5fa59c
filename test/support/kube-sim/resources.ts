/**
 * The resource registry: which group/version/resources the simulated API server serves, with the
 * discovery metadata (kind, namespaced, verbs, shortNames, subresources) kubectl relies on.
 */

/** One served resource (a row of an APIResourceList). */
export interface ResourceDef {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, as in URLs: `pods`, `deployments`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** Subresources served, e.g. `status`, `scale`, `log`, `proxy`. */
  subresources: string[];
  /** True for resources whose main endpoint ignores status changes (status is a subresource). */
  hasStatus: boolean;
  /** Create-only resources (reviews) that are never stored. */
  virtual?: boolean;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceDef> = {},
): ResourceDef {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    verbs: RW,
    subresources: [],
    hasStatus: false,
    ...extra,
  };
}

/** Every resource the simulator serves. */
export const RESOURCES: ResourceDef[] = [
  def('', 'v1', 'namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    hasStatus: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  def('', 'v1', 'nodes', 'Node', false, {
    shortNames: ['no'],
    subresources: ['status', 'proxy'],
    hasStatus: true,
  }),
  def('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log', 'proxy', 'eviction'],
    hasStatus: true,
  }),
  def('', 'v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status', 'proxy'],
    hasStatus: true,
  }),
  def('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  def('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  def('', 'v1', 'secrets', 'Secret', true),
  def('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  def('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  def('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
    hasStatus: true,
  }),
  def('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasStatus: true,
  }),
  def('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasStatus: true,
  }),
  def('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: ['status'],
    hasStatus: true,
  }),
  def('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, {
    shortNames: ['pdb'],
    subresources: ['status'],
    hasStatus: true,
  }),
  def('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  def('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  def('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  def('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  def('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  def('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  def('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  def('monitoring.coreos.com', 'v1', 'servicemonitors', 'ServiceMonitor', true, { shortNames: ['smon'] }),
  def('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule', true, { shortNames: ['promrule'] }),
  def('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, {
    verbs: ['create'],
    virtual: true,
  }),
  def('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true, { verbs: ['get', 'list'], virtual: true }),
  def('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', false, { verbs: ['get', 'list'], virtual: true }),
];

/** `group/version` as used in apiVersion (`v1` for core). */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** A stable key for a resource: `group/plural`. */
export function resourceKey(r: { group: string; plural: string }): string {
  return `${r.group}/${r.plural}`;
}

/** Finds a resource by group and plural. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Finds a resource by apiVersion and kind (for objects given to the store directly). */
export function findResourceByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind && !r.virtual);
}

/** A resource by its short identification used in the TypeScript API: `pods`, `deployments`, `apps/deployments`. */
export function resolveResource(name: string): ResourceDef {
  const [maybeGroup, maybePlural] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const hit = RESOURCES.find(
    (r) =>
      !r.virtual &&
      (maybeGroup === undefined || r.group === maybeGroup) &&
      (r.plural === maybePlural || r.kind === maybePlural || r.shortNames?.includes(maybePlural)),
  );
  if (!hit) throw new Error(`kube-sim: unknown resource "${name}"`);
  return hit;
}
