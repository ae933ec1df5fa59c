/**
 * Who can do what in a namespace, from RBAC objects alone (pure; no cluster access).
 *
 * Inputs: the namespace's Roles and RoleBindings, the ClusterRoles, and the ClusterRoleBindings.
 * Grants: one per (binding, subject): RoleBindings in the namespace (to a Role there, or to a
 * ClusterRole, scoped to the namespace) and ClusterRoleBindings (cluster-wide, so they apply here).
 * Findings, with a severity each:
 *   high    wildcard verbs or resources; reading every Secret (list/watch, or get without names);
 *           pods/exec and pods/attach; escalate, bind, impersonate; unauthenticated users
 *   medium  wildcard apiGroups; pods/portforward; the namespace's `default` ServiceAccount bound to
 *           a role; every authenticated user or every ServiceAccount bound to a role
 *   low     get on named Secrets only; a binding whose role does not exist
 * The deployer's own objects (Role, RoleBinding, ServiceAccount) are checked in deployer.ts.
 * Bindings named `system:*` (the cluster's own) are left out unless includeSystem.
 */

export type Severity = 'high' | 'medium' | 'low';
export const SEVERITY_RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1 };

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RbacSubject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleLike {
  kind: 'Role' | 'ClusterRole';
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[] | null;
}

export interface BindingLike {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string };
  roleRef: { kind: string; name: string; apiGroup?: string };
  subjects?: RbacSubject[] | null;
}

export interface Finding {
  severity: Severity;
  code:
    | 'wildcard-verbs'
    | 'wildcard-resources'
    | 'wildcard-apigroups'
    | 'secrets-read'
    | 'secrets-read-named'
    | 'pods-exec'
    | 'pods-attach'
    | 'pods-portforward'
    | 'escalate'
    | 'bind'
    | 'impersonate'
    | 'default-service-account'
    | 'broad-group'
    | 'missing-role'
    | 'deployer-role-missing'
    | 'deployer-binding-missing'
    | 'deployer-service-account-missing';
  message: string;
  subject: string;
  binding: string;
  role: string;
  /** The rule that grants it, formatted. */
  rule?: string;
}

export interface Grant {
  subject: string;
  subjectKind: string;
  subjectName: string;
  subjectNamespace?: string;
  binding: string;
  /** namespace: a RoleBinding here; cluster: a ClusterRoleBinding (applies to every namespace). */
  scope: 'namespace' | 'cluster';
  role: string;
  roleFound: boolean;
  rules: string[];
  findings: Finding[];
}

export interface NeededPermission {
  apiGroup: string;
  resource: string;
  verbs: readonly string[];
  resourceNames?: string[];
}

export interface DeployerComparison {
  role: string;
  found: boolean;
  /** Needed permissions the Role does not grant: "verb resource[.group][/name]". */
  missing: string[];
  /** What the Role grants beyond DEPLOYER_PERMISSIONS. */
  extra: string[];
  /** Grants exactly what is needed (nothing missing, nothing extra). */
  matches: boolean;
}

export interface AccessAnalysis {
  namespace: string;
  grants: Grant[];
  findings: Finding[];
  summary: { grants: number; subjects: number; high: number; medium: number; low: number };
  deployer?: DeployerComparison;
}

export interface AnalyzeInput {
  namespace: string;
  roles: RoleLike[];
  clusterRoles: RoleLike[];
  roleBindings: BindingLike[];
  clusterRoleBindings: BindingLike[];
  includeSystem?: boolean;
}

export function formatSubject(s: RbacSubject, bindingNamespace?: string): string {
  if (s.kind === 'ServiceAccount')
    return `ServiceAccount ${s.namespace ?? bindingNamespace ?? '?'}/${s.name}`;
  return `${s.kind} ${s.name}`;
}

export function formatRule(r: PolicyRule): string {
  if (r.nonResourceURLs?.length) return `${r.verbs.join(',')} ${r.nonResourceURLs.join(',')}`;
  const groups = (r.apiGroups ?? ['']).map((g) => (g === '' ? 'core' : g)).join(',');
  const names = r.resourceNames?.length ? ` [${r.resourceNames.join(',')}]` : '';
  return `${r.verbs.join(',')} ${(r.resources ?? []).join(',')} (${groups})${names}`;
}

const has = (list: string[] | undefined, value: string) =>
  (list ?? []).includes(value) || (list ?? []).includes('*');

/** True when the rule lets `verb` on `resource` (may be "pods/exec") in `group`. */
export function ruleAllows(
  rule: PolicyRule,
  group: string,
  resource: string,
  verb: string,
  name?: string,
): boolean {
  if (rule.nonResourceURLs?.length && !rule.resources?.length) return false;
  if (!has(rule.apiGroups ?? [''], group)) return false;
  if (!has(rule.verbs, verb)) return false;
  const [base, sub] = resource.split('/');
  const resources = rule.resources ?? [];
  const resourceOk =
    resources.includes('*') ||
    resources.includes(resource) ||
    (sub !== undefined && resources.includes(`${base}/*`));
  if (!resourceOk) return false;
  if (rule.resourceNames?.length) return name !== undefined && rule.resourceNames.includes(name);
  return true;
}

function ruleFindings(rule: PolicyRule): Omit<Finding, 'subject' | 'binding' | 'role'>[] {
  const out: Omit<Finding, 'subject' | 'binding' | 'role'>[] = [];
  const f = formatRule(rule);
  const add = (severity: Severity, code: Finding['code'], message: string) =>
    out.push({ severity, code, message, rule: f });
  if (rule.verbs.includes('*'))
    add('high', 'wildcard-verbs', 'wildcard verbs (*): every action, including delete and future verbs');
  if ((rule.resources ?? []).includes('*'))
    add('high', 'wildcard-resources', 'wildcard resources (*): every resource type in the group');
  if ((rule.apiGroups ?? []).includes('*'))
    add(
      'medium',
      'wildcard-apigroups',
      'wildcard apiGroups (*): every API group, including ones installed later',
    );
  const anySecretVerb = ['list', 'watch'].some((v) =>
    ruleAllows({ ...rule, resourceNames: undefined }, '', 'secrets', v),
  );
  if (anySecretVerb && !rule.resourceNames?.length) {
    add('high', 'secrets-read', 'can list/watch Secrets: reads every Secret in scope (tokens, passwords)');
  } else if (ruleAllows({ ...rule, resourceNames: undefined }, '', 'secrets', 'get')) {
    if (rule.resourceNames?.length) {
      add('low', 'secrets-read-named', `can get only the named Secrets: ${rule.resourceNames.join(', ')}`);
    } else add('high', 'secrets-read', 'can get any Secret by name (tokens, passwords)');
  }
  const podSub = (sub: string, verbs: string[]) =>
    verbs.some((v) => ruleAllows({ ...rule, resourceNames: undefined }, '', `pods/${sub}`, v));
  if (podSub('exec', ['create', 'get']))
    add('high', 'pods-exec', 'pods/exec: can run commands inside pods (and read their Secrets and tokens)');
  if (podSub('attach', ['create', 'get']))
    add('high', 'pods-attach', 'pods/attach: can attach to running containers');
  if (podSub('portforward', ['create', 'get']))
    add(
      'medium',
      'pods-portforward',
      'pods/portforward: can reach pod ports directly, around NetworkPolicies',
    );
  if (
    ['roles', 'clusterroles'].some((r) =>
      ruleAllows({ ...rule, resourceNames: undefined }, 'rbac.authorization.k8s.io', r, 'escalate'),
    )
  )
    add('high', 'escalate', 'escalate on roles: can grant itself permissions it does not have');
  if (
    ['roles', 'clusterroles'].some((r) =>
      ruleAllows({ ...rule, resourceNames: undefined }, 'rbac.authorization.k8s.io', r, 'bind'),
    )
  )
    add('high', 'bind', 'bind on roles: can bind any role (including cluster-admin) to anyone');
  const impersonates = [
    ['', 'users'],
    ['', 'groups'],
    ['', 'serviceaccounts'],
    ['authentication.k8s.io', 'userextras/*'],
    ['authentication.k8s.io', 'uids'],
  ].some(([g, r]) => ruleAllows({ ...rule, resourceNames: undefined }, g, r, 'impersonate'));
  if (impersonates)
    add('high', 'impersonate', 'impersonate: can act as other users, groups or ServiceAccounts');
  return out;
}

function isSystem(name: string): boolean {
  return name.startsWith('system:');
}

const BROAD_GROUPS: Record<string, Severity> = {
  'system:unauthenticated': 'high',
  'system:authenticated': 'medium',
  'system:serviceaccounts': 'medium',
};

export function analyzeAccess(input: AnalyzeInput): AccessAnalysis {
  const ns = input.namespace;
  const roles = new Map(
    input.roles.filter((r) => (r.metadata.namespace ?? ns) === ns).map((r) => [r.metadata.name, r]),
  );
  const clusterRoles = new Map(input.clusterRoles.map((r) => [r.metadata.name, r]));
  const grants: Grant[] = [];
  const bindings: { b: BindingLike; scope: Grant['scope'] }[] = [
    ...input.roleBindings
      .filter((b) => (b.metadata.namespace ?? ns) === ns)
      .map((b) => ({ b, scope: 'namespace' as const })),
    ...input.clusterRoleBindings.map((b) => ({ b, scope: 'cluster' as const })),
  ];
  for (const { b, scope } of bindings) {
    if (!input.includeSystem && isSystem(b.metadata.name)) continue;
    const roleKind = b.roleRef.kind === 'Role' ? 'Role' : 'ClusterRole';
    const role = roleKind === 'Role' ? roles.get(b.roleRef.name) : clusterRoles.get(b.roleRef.name);
    const roleLabel = `${roleKind} ${b.roleRef.name}`;
    const bindingLabel = `${b.kind} ${scope === 'namespace' ? `${ns}/` : ''}${b.metadata.name}`;
    const rules = role?.rules ?? [];
    const fromRules = rules.flatMap(ruleFindings);
    for (const s of b.subjects ?? []) {
      const subject = formatSubject(s, b.metadata.namespace);
      const findings: Finding[] = fromRules.map((f) => ({
        ...f,
        subject,
        binding: bindingLabel,
        role: roleLabel,
      }));
      if (!role) {
        findings.push({
          severity: 'low',
          code: 'missing-role',
          message: `${roleLabel} does not exist (or cannot be read): the binding grants nothing today, but anyone who creates that role grants it`,
          subject,
          binding: bindingLabel,
          role: roleLabel,
        });
      }
      if (
        s.kind === 'ServiceAccount' &&
        s.name === 'default' &&
        (s.namespace ?? b.metadata.namespace) === ns
      ) {
        findings.push({
          severity: 'medium',
          code: 'default-service-account',
          message: `the namespace's default ServiceAccount is bound to ${roleLabel}: every pod without its own ServiceAccount gets these permissions`,
          subject,
          binding: bindingLabel,
          role: roleLabel,
        });
      }
      if (s.kind === 'Group' && BROAD_GROUPS[s.name]) {
        findings.push({
          severity: BROAD_GROUPS[s.name],
          code: 'broad-group',
          message: `bound to the group ${s.name}: ${s.name === 'system:unauthenticated' ? 'anyone, without credentials' : s.name === 'system:authenticated' ? 'every authenticated user' : 'every ServiceAccount in the cluster'}`,
          subject,
          binding: bindingLabel,
          role: roleLabel,
        });
      }
      grants.push({
        subject,
        subjectKind: s.kind,
        subjectName: s.name,
        ...(s.kind === 'ServiceAccount' ? { subjectNamespace: s.namespace ?? b.metadata.namespace } : {}),
        binding: bindingLabel,
        scope,
        role: roleLabel,
        roleFound: Boolean(role),
        rules: rules.map(formatRule),
        findings,
      });
    }
  }
  grants.sort((a, b) => a.subject.localeCompare(b.subject) || a.binding.localeCompare(b.binding));
  const findings = grants
    .flatMap((g) => g.findings)
    .sort(
      (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.subject.localeCompare(b.subject),
    );
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const analysis: AccessAnalysis = {
    namespace: ns,
    grants,
    findings,
    summary: {
      grants: grants.length,
      subjects: new Set(grants.map((g) => g.subject)).size,
      high: count('high'),
      medium: count('medium'),
      low: count('low'),
    },
  };
  return analysis;
}
