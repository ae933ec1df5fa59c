/**
 * `access review`: reads the RBAC objects that apply to a namespace and analyses them
 * (rbac-analysis/analyze.ts). ClusterRoleBindings and ClusterRoles are cluster-scoped: when the
 * caller may not list them, the review says so and continues with what it could read.
 */
import type { KubeClients } from '../../kube/client.js';
import {
  listClusterRoleBindings,
  listClusterRoles,
  listRoleBindings,
  listRoles,
} from '../../kube/resources/cluster.js';
import { getNamespace, listServiceAccounts } from '../../kube/resources/core.js';
import type { ListOf } from '../../kube/resources/reader.js';
import type { Environment } from '../../manifests/environment.js';
import { DEPLOYER_NAME } from '../../manifests/labels.js';
import { permissionsToCheck } from '../../manifests/rbac.js';
import {
  type AccessAnalysis,
  type BindingLike,
  type RoleLike,
  SEVERITY_RANK,
  type Severity,
} from '../../rbac-analysis/analyze.js';
import { reviewAccess } from '../../rbac-analysis/deployer.js';

export interface AccessReviewResult extends AccessAnalysis {
  context?: string;
  /** What could not be read (so the review may be incomplete). */
  notes: string[];
  /** --fail-on threshold, when given. */
  failOn?: Severity;
  /** True when findings at or above --fail-on exist. */
  failed: boolean;
}

/** A list read; a denied or failed one becomes a note and no objects (and its kind in `unread`). */
async function listOrNote<O extends object, K extends string>(
  list: () => Promise<ListOf<O>>,
  what: string,
  notes: string[],
  kind: K,
  unread?: Set<string>,
): Promise<(O & { kind: K })[]> {
  try {
    const answer = await list();
    return (answer?.items ?? []).map((o) => ({ ...o, kind }));
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'AccessDeniedError' || name === 'KubeApiError') {
      notes.push(`could not list ${what} (${(err as Error).message}); the review leaves them out`);
      unread?.add(kind);
      return [];
    }
    throw err;
  }
}

/** The environment file (deploy/environments/) whose namespace this is, when exactly one is. */
async function environmentOfNamespace(namespace: string): Promise<string | undefined> {
  try {
    const { listEnvironments, loadEnvironment } = await import('../../manifests/environment.js');
    const names = listEnvironments().filter((name) => {
      try {
        return loadEnvironment(name).namespace === namespace;
      } catch {
        return false;
      }
    });
    return names.length === 1 ? names[0] : undefined;
  } catch {
    return undefined;
  }
}

/** How a cluster admin creates the deployer's objects, as a command to paste where the environment is known. */
function deployerFix(environment: string | undefined, namespace: string): string {
  return environment
    ? `a cluster admin creates it with: mobius-deploy apply-manifests -e ${environment}`
    : `a cluster admin creates it with apply-manifests -e for the environment of namespace ${namespace} (an environment file in deploy/environments/), or kubectl apply -f on its k8s/ directory`;
}

export async function runAccessReview(
  kube: KubeClients,
  opts: {
    namespace: string;
    environment?: Environment;
    /** The -e name, for the command that creates missing deployer objects. */
    environmentName?: string;
    includeSystem?: boolean;
    failOn?: Severity;
  },
): Promise<AccessReviewResult> {
  const ns = opts.namespace;
  const notes: string[] = [];
  // The namespace must exist (a clear exit 5 otherwise).
  await getNamespace(kube, ns).catch((err) => {
    if ((err as Error)?.name === 'AccessDeniedError') return undefined;
    throw err;
  });
  const unread = new Set<string>();
  const [roles, roleBindings, clusterRoles, clusterRoleBindings, serviceAccounts] = await Promise.all([
    listOrNote(() => listRoles(kube, ns), `Roles in ${ns}`, notes, 'Role', unread),
    listOrNote(() => listRoleBindings(kube, ns), `RoleBindings in ${ns}`, notes, 'RoleBinding', unread),
    listOrNote(() => listClusterRoles(kube), 'ClusterRoles', notes, 'ClusterRole'),
    listOrNote(
      () => listClusterRoleBindings(kube),
      'ClusterRoleBindings (cluster-wide grants)',
      notes,
      'ClusterRoleBinding',
    ),
    listOrNote(
      () => listServiceAccounts(kube, ns),
      `ServiceAccounts in ${ns}`,
      notes,
      'ServiceAccount',
      unread,
    ),
  ]);
  const analysis = reviewAccess({
    namespace: ns,
    roles: roles as RoleLike[],
    roleBindings: roleBindings as BindingLike[],
    clusterRoles: clusterRoles as RoleLike[],
    clusterRoleBindings: clusterRoleBindings as BindingLike[],
    includeSystem: opts.includeSystem,
    deployer: {
      name: DEPLOYER_NAME,
      rolesUnread: unread.has('Role'),
      bindingsUnread: unread.has('RoleBinding'),
      serviceAccounts: unread.has('ServiceAccount')
        ? undefined
        : serviceAccounts.map((a) => a.metadata?.name ?? ''),
      fix: deployerFix(opts.environmentName ?? (await environmentOfNamespace(ns)), ns),
      needed: permissionsToCheck(ns, opts.environment).map((p) => ({
        apiGroup: p.apiGroup,
        resource: p.resource,
        verbs: p.verbs,
        resourceNames: p.resourceNames,
      })),
    },
  });
  const threshold = opts.failOn ? SEVERITY_RANK[opts.failOn] : undefined;
  const failed =
    threshold !== undefined && analysis.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
  return {
    ...analysis,
    context: kube.target.context,
    notes,
    ...(opts.failOn ? { failOn: opts.failOn } : {}),
    failed,
  };
}
