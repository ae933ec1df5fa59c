/**
 * `mobius-deploy access review` with the built CLI against the simulator, on a seeded set of risky
 * roles and bindings: every flag appears with its severity, -o json for audits, --fail-on high
 * exits 1, and the deployer Role rendered from the environment is compared with DEPLOYER_PERMISSIONS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadEnvironment } from '../../src/deploy/manifests/environment.js';
import {
  buildDeployerRole,
  buildDeployerRoleBinding,
  buildDeployerServiceAccount,
} from '../../src/deploy/manifests/rbac.js';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

type KObj = Parameters<KubeSim['create']>[0];

const NS = 'production';
const RBAC = 'rbac.authorization.k8s.io/v1';

interface ReviewJson {
  grants: { subject: string; binding: string; role: string; scope: string; rules: string[] }[];
  findings: { severity: string; code: string; subject: string; role: string }[];
  summary: { high: number; medium: number; low: number };
  deployer: { found: boolean; matches: boolean; missing: string[]; extra: string[] };
  failed: boolean;
}

describe('mobius-deploy access review (built CLI against the simulator)', () => {
  let sim: KubeSim;
  before(async () => {
    ensureBuilt();
    sim = await startKubeSim();
    sim.createNamespace(NS);
    const role = (name: string, rules: unknown[]) =>
      sim.create({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: NS }, rules });
    const binding = (name: string, roleRef: { kind: string; name: string }, subjects: unknown[]) =>
      sim.create({
        apiVersion: RBAC,
        kind: 'RoleBinding',
        metadata: { name, namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
        subjects,
      });
    role('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    role('secret-reader', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }]);
    role('debugger', [{ apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create'] }]);
    role('rbac-manager', [
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['roles', 'rolebindings'],
        verbs: ['bind', 'escalate', 'create'],
      },
    ]);
    role('impersonator', [{ apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] }]);
    binding('everything', { kind: 'Role', name: 'everything' }, [{ kind: 'User', name: 'mallory' }]);
    binding('secret-reader', { kind: 'Role', name: 'secret-reader' }, [{ kind: 'Group', name: 'support' }]);
    binding('debugger', { kind: 'Role', name: 'debugger' }, [{ kind: 'User', name: 'dev-1' }]);
    binding('rbac-manager', { kind: 'Role', name: 'rbac-manager' }, [
      { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
    ]);
    binding('impersonator', { kind: 'Role', name: 'impersonator' }, [{ kind: 'User', name: 'proxy' }]);
    binding('default-edit', { kind: 'ClusterRole', name: 'edit' }, [
      { kind: 'ServiceAccount', name: 'default', namespace: NS },
    ]);
    sim.create({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'edit' },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'update'] }],
    });
    sim.create({
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin-ish' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    sim.create({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'platform-admins' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin-ish' },
      subjects: [{ kind: 'Group', name: 'platform' }],
    });
    // The deployer ServiceAccount, Role and binding exactly as rendered for the production environment.
    const env = loadEnvironment('production');
    sim.create(buildDeployerServiceAccount(env, {}) as KObj);
    sim.create(buildDeployerRole(env, {}) as KObj);
    sim.create(buildDeployerRoleBinding(env, {}) as KObj);
  });
  after(() => sim.close());

  it('flags every risky grant with its severity (-o json), and compares the deployer Role', async () => {
    const r = await runCli(['access', 'review', '-e', 'production', '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(r.code, 0, r.stderr);
    const j = parseJsonOutput<ReviewJson>(r);
    const has = (subject: string, code: string, severity: string) =>
      assert.ok(
        j.findings.some((f) => f.subject === subject && f.code === code && f.severity === severity),
        `${subject} ${code} ${severity}\n${JSON.stringify(j.findings.filter((f) => f.subject === subject))}`,
      );
    has('User mallory', 'wildcard-verbs', 'high');
    has('User mallory', 'wildcard-resources', 'high');
    has('User mallory', 'wildcard-apigroups', 'medium');
    has('Group support', 'secrets-read', 'high');
    has('User dev-1', 'pods-exec', 'high');
    has('User dev-1', 'pods-portforward', 'medium');
    has('ServiceAccount tools/ci', 'bind', 'high');
    has('ServiceAccount tools/ci', 'escalate', 'high');
    has('User proxy', 'impersonate', 'high');
    has('ServiceAccount production/default', 'default-service-account', 'medium');
    has('Group platform', 'wildcard-verbs', 'high');
    has('ServiceAccount production/mobius-deployer', 'secrets-read-named', 'low');
    const platform = j.grants.find((g) => g.subject === 'Group platform');
    assert.equal(platform?.scope, 'cluster');
    assert.equal(platform?.role, 'ClusterRole cluster-admin-ish');
    const deflt = j.grants.find((g) => g.subject === 'ServiceAccount production/default');
    assert.deepEqual(deflt?.rules, ['get,update deployments (apps)']);
    assert.ok(
      !j.findings.some(
        (f) => f.subject === 'ServiceAccount production/mobius-deployer' && f.severity !== 'low',
      ),
    );
    assert.deepEqual(j.deployer, {
      role: 'Role mobius-deployer',
      found: true,
      missing: [],
      extra: [],
      matches: true,
    });
    assert.equal(j.failed, false);
  });

  it('--fail-on high exits 1 when high findings exist; the table names subjects, roles and findings', async () => {
    const r = await runCli(['access', 'review', '-n', NS, '--fail-on', 'high'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Who can do what in namespace production/);
    assert.match(r.stdout, /User mallory\s+RoleBinding production\/everything\s+Role everything\s+\*/);
    assert.match(r.stdout, /Group platform\s+ClusterRoleBinding platform-admins \(cluster-wide\)/);
    assert.match(r.stdout, /high\s+pods-exec\s+User dev-1/);
    assert.match(r.stdout, /findings at or above high: exit 1/);
    const bad = await runCli(['access', 'review', '-n', NS, '--fail-on', 'extreme'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(bad.code, 2);
  });

  it('names what the deployer Role is missing or grants beyond the CLI’s needs', async () => {
    sim.mutate('roles', NS, 'mobius-deployer', (role) => {
      role.rules = role.rules.filter((r: { resources: string[] }) => r.resources[0] !== 'pods/log');
      role.rules.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
    });
    const r = await runCli(['access', 'review', '-e', 'production', '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    const j = parseJsonOutput<ReviewJson>(r);
    assert.deepEqual(j.deployer.missing, ['get pods/log']);
    assert.deepEqual(j.deployer.extra, ['create pods/exec']);
    const text = await runCli(['access', 'review', '-e', 'production'], { kubeconfig: sim.kubeconfigPath });
    assert.match(text.stdout, /missing \(the CLI will be denied\): get pods\/log/);
    assert.match(text.stdout, /exceeds \(not needed by the CLI\): create pods\/exec/);
  });

  it('a namespace without the deployer Role, RoleBinding or ServiceAccount has high findings (exit 1 with --fail-on high)', async () => {
    sim.createNamespace('bare');
    const r = await runCli(['access', 'review', '-n', 'bare', '--fail-on', 'high', '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(r.code, 1, r.stderr);
    const j = parseJsonOutput<ReviewJson>(r);
    const codes = j.findings.filter((f) => f.severity === 'high').map((f) => f.code);
    for (const code of [
      'deployer-role-missing',
      'deployer-binding-missing',
      'deployer-service-account-missing',
    ]) {
      assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
    }
    assert.equal(j.deployer.found, false);
    const text = await runCli(['access', 'review', '-n', 'bare'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(text.code, 0, 'without --fail-on the review itself succeeds');
    // (the cluster-wide platform-admins binding applies here too)
    assert.match(text.stdout, /^high\s+deployer-role-missing\s+ServiceAccount bare\/mobius-deployer/m);
    assert.match(text.stdout, /not found in bare \(a high finding/);
    assert.match(
      text.stdout,
      /a cluster admin creates it with apply-manifests -e for the environment of namespace bare/,
    );
    // A namespace an environment file names gets the command to paste, even without -e.
    sim.delete('roles', NS, 'mobius-deployer');
    const prod = await runCli(['access', 'review', '-n', NS, '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    const missing = parseJsonOutput<{ findings: { code: string; message: string }[] }>(prod).findings.find(
      (f) => f.code === 'deployer-role-missing',
    );
    assert.match(String(missing?.message), /creates it with: mobius-deploy apply-manifests -e production$/);
  });
});
