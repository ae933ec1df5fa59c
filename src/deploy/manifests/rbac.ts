/**
 * Least-privilege access for the deployer: the ServiceAccount `mobius-deployer`, a namespaced Role that
 * lists exactly the API calls `mobius-deploy` makes, and the RoleBinding between them.
 *
 * DEPLOYER_PERMISSIONS is the single list: the Role is built from it, and `mobius-deploy doctor` can
 * check each entry with a SelfSubjectAccessReview.
 *
 * Secrets: only `get` on the one Secret holding the worker's API token (verify's smoke job needs it); the
 * Redis Secret and every other Secret stay unreadable. API discovery (/api, /apis/...) is open to every
 * authenticated user through the default ClusterRole `system:discovery`.
 *
 * Not in the Role, on purpose:
 * - `create selfsubjectaccessreviews` (authorization.k8s.io) is cluster-scoped; every authenticated user
 *   already has it through the default ClusterRole `system:basic-user`, so doctor can always ask.
 * - Namespaces, Roles and RoleBindings: the Namespace and this RBAC are bootstrap objects applied once by
 *   a cluster admin (`kubectl apply -f k8s/<env>/` as admin); `mobius-deploy deploy` applies only the
 *   application objects (see isBootstrapObject), so it never needs to write RBAC and cannot escalate.
 */
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { API_TOKEN_ENV } from '../../contract/http.js';
import type { Environment } from './environment.js';
import { API_TOKEN_SECRET_NAME, DEPLOYER_NAME } from './labels.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface DeployerPermission {
  /** API group; '' is the core group. */
  apiGroup: string;
  /** Resource, with '/subresource' where one is used (pods/log, pods/proxy). */
  resource: string;
  verbs: readonly Verb[];
  /**
   * Limits the rule to one object of the environment (RBAC resourceNames): the namespace itself, or the
   * Secret holding the worker's API token. Resolved per environment by resolvePermissions().
   */
  only?: 'namespace' | 'apiTokenSecret';
  /** Which commands need it and why. */
  why: string;
}

const READ: readonly Verb[] = ['get', 'list', 'watch'];
/** Server-side apply is a PATCH (creating on first install), the rollout undo is a PATCH too. */
const APPLY: readonly Verb[] = ['get', 'create', 'patch', 'update'];

/** Every API call `mobius-deploy` makes in an environment's namespace, grouped by resource. */
export const DEPLOYER_PERMISSIONS: readonly DeployerPermission[] = [
  {
    apiGroup: '',
    resource: 'namespaces',
    verbs: ['get'],
    only: 'namespace',
    why: 'status/verify check that the namespace exists (a Role may grant get on its own namespace)',
  },
  {
    apiGroup: 'apps',
    resource: 'deployments',
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'],
    why: 'status/verify read rollout state; deploy applies; rollback patches the pod template',
  },
  {
    apiGroup: 'apps',
    resource: 'replicasets',
    verbs: READ,
    why: 'rollout progress, revisions for history and rollback --to-revision',
  },
  { apiGroup: '', resource: 'pods', verbs: READ, why: 'pod health classification (status, deploy wait)' },
  {
    apiGroup: '',
    resource: 'pods/log',
    verbs: ['get'],
    why: 'logs, and the last log lines of a failing pod',
  },
  {
    apiGroup: '',
    resource: 'pods/proxy',
    verbs: ['get', 'create'],
    why: 'verify/status call the worker through the API server pod proxy: GET is verb get, POST is verb create',
  },
  {
    apiGroup: '',
    resource: 'services',
    verbs: [...READ, 'create', 'patch', 'update'],
    why: 'deploy applies the Service',
  },
  { apiGroup: '', resource: 'endpoints', verbs: READ, why: 'status shows ready endpoints (older clusters)' },
  {
    apiGroup: 'discovery.k8s.io',
    resource: 'endpointslices',
    verbs: READ,
    why: 'status shows ready endpoints',
  },
  {
    apiGroup: '',
    resource: 'events',
    verbs: READ,
    why: 'status/deploy explain Unschedulable, pull errors, OOM kills',
  },
  {
    apiGroup: 'events.k8s.io',
    resource: 'events',
    verbs: READ,
    why: 'the same events through the newer API',
  },
  {
    apiGroup: 'autoscaling',
    resource: 'horizontalpodautoscalers',
    verbs: [...READ, 'create', 'patch', 'update'],
    why: 'deploy applies the HPA; status shows its bounds',
  },
  {
    apiGroup: '',
    resource: 'persistentvolumeclaims',
    verbs: [...READ, 'create', 'patch', 'update'],
    why: 'deploy applies the artifact volume claim; status shows whether it is bound',
  },
  {
    apiGroup: '',
    resource: 'configmaps',
    verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'],
    why: 'deploy applies the worker ConfigMap; the deployment ledger stores one ConfigMap per record (list, prune)',
  },
  {
    apiGroup: '',
    resource: 'serviceaccounts',
    verbs: APPLY,
    why: "deploy applies the worker's ServiceAccount",
  },
  { apiGroup: 'policy', resource: 'poddisruptionbudgets', verbs: APPLY, why: 'deploy applies the PDB' },
  {
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    verbs: APPLY,
    why: 'deploy applies the NetworkPolicy',
  },
  {
    apiGroup: 'monitoring.coreos.com',
    resource: 'servicemonitors',
    verbs: APPLY,
    why: 'deploy applies the ServiceMonitor',
  },
  {
    apiGroup: 'monitoring.coreos.com',
    resource: 'prometheusrules',
    verbs: APPLY,
    why: 'deploy applies the alert rules',
  },
  {
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    verbs: ['get', 'create', 'update', 'delete'],
    why: 'the deploy lock (one Lease; --force-unlock deletes it)',
  },
  {
    apiGroup: 'metrics.k8s.io',
    resource: 'pods',
    verbs: ['get', 'list'],
    why: 'status shows CPU and memory per pod',
  },
  {
    apiGroup: '',
    resource: 'secrets',
    verbs: ['get'],
    only: 'apiTokenSecret',
    why: "verify --smoke (and deploy's verification) reads the worker's API token; no other Secret is readable",
  },
];

/** A permission with its resourceNames resolved for an environment. */
export interface ResolvedPermission extends DeployerPermission {
  resourceNames?: string[];
}

/** DEPLOYER_PERMISSIONS for one environment (what the Role grants and what doctor should check). */
export function resolvePermissions(env: Environment): ResolvedPermission[] {
  return DEPLOYER_PERMISSIONS.map((p) => {
    if (p.only === 'namespace') return { ...p, resourceNames: [env.namespace] };
    if (p.only === 'apiTokenSecret') return { ...p, resourceNames: [env.apiToken.secretName] };
    return { ...p };
  });
}

/** The Role's rules: one rule per entry, in the order above. */
export function deployerRules(env: Environment): NonNullable<V1Role['rules']> {
  return resolvePermissions(env).map((p) => ({
    apiGroups: [p.apiGroup],
    resources: [p.resource],
    resourceNames: p.resourceNames,
    verbs: [...p.verbs],
  }));
}

export function buildDeployerServiceAccount(
  env: Environment,
  labels: Record<string, string>,
): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: DEPLOYER_NAME, namespace: env.namespace, labels },
    // The deployer runs in CI with a token requested for it (kubectl create token / OIDC), not from a pod.
    automountServiceAccountToken: false,
  };
}

export function buildDeployerRole(env: Environment, labels: Record<string, string>): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: DEPLOYER_NAME, namespace: env.namespace, labels },
    rules: deployerRules(env),
  };
}

export function buildDeployerRoleBinding(env: Environment, labels: Record<string, string>): V1RoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: DEPLOYER_NAME, namespace: env.namespace, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: DEPLOYER_NAME },
    subjects: [{ kind: 'ServiceAccount', name: DEPLOYER_NAME, namespace: env.namespace }],
  };
}

/**
 * The permission list doctor and access review check: resolvePermissions of the environment (or of
 * -n and the default API-token Secret when no environment file is given).
 */
export function permissionsToCheck(
  namespace: string,
  environment?: Environment,
  apiTokenSecret?: string,
): ResolvedPermission[] {
  const env =
    environment ??
    ({
      namespace,
      apiToken: { secretName: apiTokenSecret ?? API_TOKEN_SECRET_NAME, secretKey: API_TOKEN_ENV },
    } as Environment);
  return resolvePermissions(env);
}
