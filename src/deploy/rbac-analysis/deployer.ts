/**
 * The deployer's objects in the namespace: the ServiceAccount, Role and RoleBinding the CLI runs as
 * in CI (manifests/rbac.ts, all named DEPLOYER_NAME). A missing one is a high finding: every deploy,
 * rollback and daily check made as the deployer is denied. The Role's rules are compared with
 * DEPLOYER_PERMISSIONS (missing and extra grants). Pure; no cluster access.
 */
import {
  type AccessAnalysis,
  type AnalyzeInput,
  analyzeAccess,
  type DeployerComparison,
  type Finding,
  formatRule,
  type NeededPermission,
  type RoleLike,
  ruleAllows,
  SEVERITY_RANK,
} from './analyze.js';

export interface DeployerInput {
  /** The name of the Role, RoleBinding and ServiceAccount (DEPLOYER_NAME). */
  name: string;
  /** DEPLOYER_PERMISSIONS resolved for the namespace. */
  needed: NeededPermission[];
  /** The namespace's ServiceAccount names; undefined when they could not be read. */
  serviceAccounts?: string[];
  /** Roles / RoleBindings could not be listed: their absence says nothing. */
  rolesUnread?: boolean;
  bindingsUnread?: boolean;
  /** How to create the objects, for the finding's message (e.g. the apply-manifests command). */
  fix: string;
}

/** analyzeAccess plus the deployer's objects: the comparison and a high finding per missing object. */
export function reviewAccess(input: AnalyzeInput & { deployer?: DeployerInput }): AccessAnalysis {
  const analysis = analyzeAccess(input);
  const d = input.deployer;
  if (!d) return analysis;
  const ns = input.namespace;
  const role = input.roles.find((r) => r.metadata.name === d.name && (r.metadata.namespace ?? ns) === ns);
  analysis.deployer = compareDeployerRole(role, d.name, d.needed);
  const sa = `ServiceAccount ${ns}/${d.name}`;
  const denied = 'deploy, rollback and the checks the CLI makes as the deployer are denied';
  const found: Finding[] = [];
  const add = (code: Finding['code'], binding: string, message: string) =>
    found.push({
      severity: 'high',
      code,
      message: `${message}; ${d.fix}`,
      subject: sa,
      binding,
      role: `Role ${d.name}`,
    });
  if (!role && !d.rolesUnread) {
    add('deployer-role-missing', '-', `the deployer Role ${d.name} does not exist in ${ns}: ${denied}`);
  }
  const bound = input.roleBindings.some(
    (b) =>
      (b.metadata.namespace ?? ns) === ns &&
      b.roleRef.kind === 'Role' &&
      b.roleRef.name === d.name &&
      (b.subjects ?? []).some(
        (s) =>
          s.kind === 'ServiceAccount' &&
          s.name === d.name &&
          (s.namespace ?? b.metadata.namespace ?? ns) === ns,
      ),
  );
  if (!bound && !d.bindingsUnread) {
    add(
      'deployer-binding-missing',
      `RoleBinding ${ns}/${d.name}`,
      `no RoleBinding in ${ns} binds Role ${d.name} to ${sa}: ${denied}`,
    );
  }
  if (d.serviceAccounts && !d.serviceAccounts.includes(d.name)) {
    add('deployer-service-account-missing', '-', `${sa} does not exist: CI has no identity to deploy with`);
  }
  if (found.length > 0) {
    analysis.findings = [...found, ...analysis.findings].sort(
      (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
    );
    analysis.summary = { ...analysis.summary, high: analysis.summary.high + found.length };
  }
  return analysis;
}

function permLabel(group: string, resource: string, verb: string, name?: string): string {
  return `${verb} ${resource}${group ? `.${group}` : ''}${name ? `/${name}` : ''}`;
}

/** Compares the deployer Role's rules with the permissions the CLI needs. */
export function compareDeployerRole(
  role: RoleLike | undefined,
  roleName: string,
  needed: NeededPermission[],
): DeployerComparison {
  if (!role) return { role: `Role ${roleName}`, found: false, missing: [], extra: [], matches: false };
  const rules = role.rules ?? [];
  const missing: string[] = [];
  for (const p of needed) {
    for (const verb of p.verbs) {
      const names = p.resourceNames?.length ? p.resourceNames : [undefined];
      for (const name of names) {
        if (!rules.some((r) => ruleAllows(r, p.apiGroup, p.resource, verb, name))) {
          missing.push(permLabel(p.apiGroup, p.resource, verb, name));
        }
      }
    }
  }
  const extra: string[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) {
      extra.push(`non-resource ${formatRule(r)}`);
      continue;
    }
    for (const group of r.apiGroups ?? ['']) {
      for (const resource of r.resources ?? []) {
        for (const verb of r.verbs) {
          const need = needed.find(
            (p) => p.apiGroup === group && p.resource === resource && p.verbs.includes(verb),
          );
          if (!need) {
            extra.push(permLabel(group, resource, verb));
            continue;
          }
          if (need.resourceNames?.length) {
            const names = r.resourceNames ?? [];
            if (names.length === 0)
              extra.push(
                `${permLabel(group, resource, verb)} on every name (needed only ${need.resourceNames.join(', ')})`,
              );
            else
              for (const n of names)
                if (!need.resourceNames.includes(n)) extra.push(permLabel(group, resource, verb, n));
          }
        }
      }
    }
  }
  const uniq = (xs: string[]) => [...new Set(xs)];
  return {
    role: `Role ${roleName}`,
    found: true,
    missing: uniq(missing),
    extra: uniq(extra),
    matches: missing.length === 0 && extra.length === 0,
  };
}
