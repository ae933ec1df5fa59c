/**
 * `access review`: reads the RBAC objects that apply to a namespace and analyses them
 * (rbac-analysis/analyze.ts). ClusterRoleBindings and ClusterRoles are cluster-scoped: when the
 * caller may not list them, the review says so and continues with what it could read.
 */
import type { KubeClients } from '../../kube/client.js';
import type { Environment } from '../../manifests/environment.js';
import { DEPLOYER_NAME } from '../../manifests/labels.js';
import { permissionsToCheck } from '../../manifests/rbac.js';
import {
  type AccessAnalysis,
  analyzeAccess,
  type BindingLike,
  type RoleLike,
  SEVERITY_RANK,
  type Severity,
} from '../../rbac-analysis/analyze.js';

export interface AccessReviewResult extends AccessAnalysis {
  context?: string;
  /** What could not be read (so the review may be incomplete). */
  notes: string[];
  /** --fail-on threshold, when given. */
  failOn?: Severity;
  /** True when findings at or above --fail-on exist. */
  failed: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
type Json = any;
const RBAC = '/apis/rbac.authorization.k8s.io/v1';

async function listOrNote<T>(
  kube: KubeClients,
  path: string,
  what: string,
  notes: string[],
  kind: string,
): Promise<T[]> {
  try {
    const list = await kube.getJson<Json>(path);
    return ((list?.items ?? []) as Json[]).map((o) => ({ ...o, kind })) as T[];
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'AccessDeniedError' || name === 'KubeApiError') {
      notes.push(`could not list ${what} (${(err as Error).message}); the review leaves them out`);
      return [];
    }
    throw err;
  }
}

export async function runAccessReview(
  kube: KubeClients,
  opts: { namespace: string; environment?: Environment; includeSystem?: boolean; failOn?: Severity },
): Promise<AccessReviewResult> {
  const ns = opts.namespace;
  const notes: string[] = [];
  const enc = encodeURIComponent;
  // The namespace must exist (a clear exit 5 otherwise).
  await kube.getJson(`/api/v1/namespaces/${enc(ns)}`).catch((err) => {
    if ((err as Error)?.name === 'AccessDeniedError') return undefined;
    throw err;
  });
  const [roles, roleBindings, clusterRoles, clusterRoleBindings] = await Promise.all([
    listOrNote<RoleLike>(kube, `${RBAC}/namespaces/${enc(ns)}/roles`, `Roles in ${ns}`, notes, 'Role'),
    listOrNote<BindingLike>(
      kube,
      `${RBAC}/namespaces/${enc(ns)}/rolebindings`,
      `RoleBindings in ${ns}`,
      notes,
      'RoleBinding',
    ),
    listOrNote<RoleLike>(kube, `${RBAC}/clusterroles`, 'ClusterRoles', notes, 'ClusterRole'),
    listOrNote<BindingLike>(
      kube,
      `${RBAC}/clusterrolebindings`,
      'ClusterRoleBindings (cluster-wide grants)',
      notes,
      'ClusterRoleBinding',
    ),
  ]);
  const analysis = analyzeAccess({
    namespace: ns,
    roles,
    roleBindings,
    clusterRoles,
    clusterRoleBindings,
    includeSystem: opts.includeSystem,
    deployer: {
      roleName: DEPLOYER_NAME,
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
