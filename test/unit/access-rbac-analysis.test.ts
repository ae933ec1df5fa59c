import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Environment } from '../../src/deploy/manifests/environment.js';
import { DEPLOYER_PERMISSIONS, resolvePermissions } from '../../src/deploy/manifests/rbac.js';
import {
  analyzeAccess,
  type BindingLike,
  type PolicyRule,
  type RoleLike,
  ruleAllows,
} from '../../src/deploy/rbac-analysis/analyze.js';
import { compareDeployerRole, reviewAccess } from '../../src/deploy/rbac-analysis/deployer.js';

const NS = 'production';
const role = (name: string, rules: PolicyRule[]): RoleLike => ({
  kind: 'Role',
  metadata: { name, namespace: NS },
  rules,
});
const clusterRole = (name: string, rules: PolicyRule[]): RoleLike => ({
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const rb = (
  name: string,
  roleRef: { kind: string; name: string },
  subjects: BindingLike['subjects'],
): BindingLike => ({
  kind: 'RoleBinding',
  metadata: { name, namespace: NS },
  roleRef,
  subjects,
});

function codes(rules: PolicyRule[]): string[] {
  const a = analyzeAccess({
    namespace: NS,
    roles: [role('r', rules)],
    clusterRoles: [],
    roleBindings: [rb('b', { kind: 'Role', name: 'r' }, [{ kind: 'User', name: 'alice' }])],
    clusterRoleBindings: [],
  });
  return a.findings.map((f) => `${f.severity}:${f.code}`).sort();
}

describe('RBAC analysis', () => {
  it('ruleAllows honours wildcards, subresources and resourceNames', () => {
    assert.equal(
      ruleAllows({ apiGroups: [''], resources: ['pods/*'], verbs: ['create'] }, '', 'pods/exec', 'create'),
      true,
    );
    assert.equal(
      ruleAllows({ apiGroups: [''], resources: ['pods'], verbs: ['*'] }, '', 'pods/exec', 'create'),
      false,
    );
    assert.equal(
      ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, 'apps', 'deployments', 'delete'),
      true,
    );
    assert.equal(
      ruleAllows(
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] },
        '',
        'secrets',
        'get',
        'a',
      ),
      true,
    );
    assert.equal(
      ruleAllows(
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] },
        '',
        'secrets',
        'get',
        'b',
      ),
      false,
    );
    assert.equal(
      ruleAllows({ apiGroups: ['apps'], resources: ['secrets'], verbs: ['get'] }, '', 'secrets', 'get'),
      false,
    );
  });

  it('flags each risky grant with its severity', () => {
    assert.deepEqual(codes([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), [
      'high:bind',
      'high:escalate',
      'high:impersonate',
      'high:pods-attach',
      'high:pods-exec',
      'high:secrets-read',
      'high:wildcard-resources',
      'high:wildcard-verbs',
      'medium:pods-portforward',
      'medium:wildcard-apigroups',
    ]);
    assert.deepEqual(codes([{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }]), [
      'high:secrets-read',
    ]);
    assert.deepEqual(codes([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]), [
      'high:secrets-read',
    ]);
    assert.deepEqual(
      codes([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['api-token'] }]),
      ['low:secrets-read-named'],
    );
    assert.deepEqual(codes([{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }]), [
      'high:pods-exec',
    ]);
    assert.deepEqual(codes([{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }]), [
      'medium:pods-portforward',
    ]);
    assert.deepEqual(
      codes([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] }]),
      ['high:bind'],
    );
    assert.deepEqual(
      codes([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] }]),
      ['high:escalate'],
    );
    assert.deepEqual(codes([{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] }]), [
      'high:impersonate',
    ]);
    assert.deepEqual(
      codes([{ apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list', 'watch'] }]),
      [],
    );
  });

  it('resolves ClusterRoles bound by RoleBindings and ClusterRoleBindings; flags default SA, broad groups, missing roles; skips system:*', () => {
    const a = analyzeAccess({
      namespace: NS,
      roles: [
        role('other-ns-role', []),
        { ...role('elsewhere', []), metadata: { name: 'elsewhere', namespace: 'staging' } },
      ],
      clusterRoles: [
        clusterRole('view', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
        clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      ],
      roleBindings: [
        rb('default-view', { kind: 'ClusterRole', name: 'view' }, [
          { kind: 'ServiceAccount', name: 'default' },
        ]),
        rb('ghost', { kind: 'Role', name: 'does-not-exist' }, [{ kind: 'Group', name: 'devs' }]),
        {
          ...rb('staging-only', { kind: 'ClusterRole', name: 'cluster-admin' }, [
            { kind: 'User', name: 'eve' },
          ]),
          metadata: { name: 'staging-only', namespace: 'staging' },
        },
      ],
      clusterRoleBindings: [
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'ops-admin' },
          roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'User', name: 'ops' }],
        },
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'all-view' },
          roleRef: { kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'system:authenticated' }],
        },
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'system:basic-user' },
          roleRef: { kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'system:authenticated' }],
        },
      ],
    });
    assert.deepEqual(
      a.grants.map((g) => [g.subject, g.binding, g.role, g.scope]),
      [
        ['Group devs', 'RoleBinding production/ghost', 'Role does-not-exist', 'namespace'],
        ['Group system:authenticated', 'ClusterRoleBinding all-view', 'ClusterRole view', 'cluster'],
        [
          'ServiceAccount production/default',
          'RoleBinding production/default-view',
          'ClusterRole view',
          'namespace',
        ],
        ['User ops', 'ClusterRoleBinding ops-admin', 'ClusterRole cluster-admin', 'cluster'],
      ],
    );
    const by = (subject: string) =>
      a.findings.filter((f) => f.subject === subject).map((f) => `${f.severity}:${f.code}`);
    assert.deepEqual(by('ServiceAccount production/default'), ['medium:default-service-account']);
    assert.deepEqual(by('Group devs'), ['low:missing-role']);
    assert.deepEqual(by('Group system:authenticated'), ['medium:broad-group']);
    assert.ok(by('User ops').includes('high:wildcard-verbs'));
    assert.equal(a.summary.subjects, 4);
    const withSystem = analyzeAccess({
      namespace: NS,
      roles: [],
      clusterRoles: [],
      roleBindings: [],
      clusterRoleBindings: [
        {
          kind: 'ClusterRoleBinding',
          metadata: { name: 'system:x' },
          roleRef: { kind: 'ClusterRole', name: 'y' },
          subjects: [{ kind: 'User', name: 'u' }],
        },
      ],
      includeSystem: true,
    });
    assert.equal(withSystem.grants.length, 1);
  });

  it('the deployer Role built from DEPLOYER_PERMISSIONS matches; missing and extra grants are named', () => {
    const env = { namespace: NS, apiToken: { secretName: 'api-token', secretKey: 'K' } } as Environment;
    const needed = resolvePermissions(env).map((p) => ({
      apiGroup: p.apiGroup,
      resource: p.resource,
      verbs: p.verbs,
      resourceNames: p.resourceNames,
    }));
    const rules: PolicyRule[] = resolvePermissions(env).map((p) => ({
      apiGroups: [p.apiGroup],
      resources: [p.resource],
      verbs: [...p.verbs],
      resourceNames: p.resourceNames,
    }));
    assert.equal(rules.length, DEPLOYER_PERMISSIONS.length);
    const exact = compareDeployerRole(role('mobius-deployer', rules), 'mobius-deployer', needed);
    assert.deepEqual(exact, {
      role: 'Role mobius-deployer',
      found: true,
      missing: [],
      extra: [],
      matches: true,
    });
    const changed = rules
      .filter((r) => r.resources?.[0] !== 'pods/log')
      .map((r) =>
        r.resources?.[0] === 'secrets' ? { ...r, resourceNames: undefined, verbs: ['get', 'list'] } : r,
      );
    changed.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
    const diff = compareDeployerRole(role('mobius-deployer', changed), 'mobius-deployer', needed);
    assert.deepEqual(diff.missing, ['get pods/log']);
    assert.deepEqual(diff.extra, [
      'get secrets on every name (needed only api-token)',
      'list secrets',
      'create pods/exec',
    ]);
    assert.equal(diff.matches, false);
    assert.equal(compareDeployerRole(undefined, 'mobius-deployer', needed).found, false);
  });

  it('a missing deployer Role, RoleBinding or ServiceAccount is a high finding naming the fix', () => {
    const deployer = {
      name: 'mobius-deployer',
      needed: [],
      serviceAccounts: ['default'],
      fix: 'a cluster admin creates it with: mobius-deploy apply-manifests -e production',
    };
    const empty = { namespace: NS, roles: [], roleBindings: [], clusterRoles: [], clusterRoleBindings: [] };
    const bare = reviewAccess({ ...empty, deployer });
    assert.deepEqual(
      bare.findings.map((f) => [f.severity, f.code]),
      [
        ['high', 'deployer-role-missing'],
        ['high', 'deployer-binding-missing'],
        ['high', 'deployer-service-account-missing'],
      ],
    );
    assert.equal(bare.summary.high, 3);
    assert.equal(bare.deployer?.found, false);
    assert.match(bare.findings[0].message, /apply-manifests -e production$/);
    // All three present (binding to the ServiceAccount): no deployer finding.
    const whole = reviewAccess({
      ...empty,
      roles: [role('mobius-deployer', [])],
      roleBindings: [
        rb('mobius-deployer', { kind: 'Role', name: 'mobius-deployer' }, [
          { kind: 'ServiceAccount', name: 'mobius-deployer', namespace: NS },
        ]),
      ],
      deployer: { ...deployer, serviceAccounts: ['mobius-deployer'] },
    });
    assert.deepEqual(
      whole.findings.filter((f) => f.code.startsWith('deployer-')),
      [],
    );
    // A binding of the Role to someone else does not count; unread lists prove nothing.
    const other = reviewAccess({
      ...empty,
      roles: [role('mobius-deployer', [])],
      roleBindings: [
        rb('mobius-deployer', { kind: 'Role', name: 'mobius-deployer' }, [{ kind: 'User', name: 'x' }]),
      ],
      deployer: { ...deployer, serviceAccounts: undefined },
    });
    assert.deepEqual(
      other.findings.filter((f) => f.code.startsWith('deployer-')).map((f) => f.code),
      ['deployer-binding-missing'],
    );
    const unread = reviewAccess({
      ...empty,
      deployer: { ...deployer, serviceAccounts: undefined, rolesUnread: true, bindingsUnread: true },
    });
    assert.deepEqual(unread.findings, []);
  });
});
