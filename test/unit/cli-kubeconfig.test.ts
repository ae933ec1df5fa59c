import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ConfigError } from '../../src/deploy/errors.js';
import { KubeClients } from '../../src/deploy/kube/client.js';
import { resolveKubeConfig } from '../../src/deploy/kube/kubeconfig.js';

let dir: string;
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const kubeconfig = (opts: {
  clusters: Array<[string, string]>;
  users: string[];
  contexts: Array<[string, string, string]>;
  current?: string;
}) =>
  `apiVersion: v1
kind: Config
${opts.current ? `current-context: ${opts.current}\n` : ''}clusters:
${opts.clusters.map(([n, s]) => `- name: ${n}\n  cluster:\n    server: ${s}\n    certificate-authority: ca-${n}.crt`).join('\n')}
users:
${opts.users.map((u) => `- name: ${u}\n  user:\n    token: token-${u}`).join('\n')}
contexts:
${opts.contexts.map(([n, c, u]) => `- name: ${n}\n  context:\n    cluster: ${c}\n    user: ${u}`).join('\n')}
`;
const resolve = (opts: Parameters<typeof resolveKubeConfig>[0]) =>
  resolveKubeConfig({ homeDir: join(dir, 'home'), serviceAccountDir: join(dir, 'no-sa'), ...opts }, parse);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mobius-kubeconfig-'));
  mkdirSync(join(dir, 'home'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('kubeconfig discovery like kubectl', () => {
  it('--kubeconfig wins over KUBECONFIG and selects the current-context', () => {
    const a = file(
      'a.yaml',
      kubeconfig({
        clusters: [['prod', 'https://prod:6443']],
        users: ['alice'],
        contexts: [['prod', 'prod', 'alice']],
        current: 'prod',
      }),
    );
    const b = file(
      'b.yaml',
      kubeconfig({
        clusters: [['dev', 'https://dev:6443']],
        users: ['bob'],
        contexts: [['dev', 'dev', 'bob']],
        current: 'dev',
      }),
    );
    const r = resolve({ kubeconfig: a, env: { KUBECONFIG: b } });
    assert.equal(r.currentContext, 'prod');
    assert.equal(r.cluster.server, 'https://prod:6443');
    assert.equal(r.user.token, 'token-alice');
    // relative certificate paths are made absolute against the kubeconfig's directory
    assert.equal(r.cluster.caFile, join(dir, 'ca-prod.crt'));
  });

  it('merges a KUBECONFIG list: first definition and first current-context win; missing files are skipped', () => {
    const a = file(
      'm1.yaml',
      kubeconfig({
        clusters: [['shared', 'https://first:6443']],
        users: ['u'],
        contexts: [['one', 'shared', 'u']],
        current: 'one',
      }),
    );
    const b = file(
      'm2.yaml',
      kubeconfig({
        clusters: [
          ['shared', 'https://second:6443'],
          ['other', 'https://other:6443'],
        ],
        users: ['u', 'v'],
        contexts: [['two', 'other', 'v']],
        current: 'two',
      }),
    );
    const r = resolve({ env: { KUBECONFIG: [a, join(dir, 'missing.yaml'), b].join(':') } });
    assert.equal(r.currentContext, 'one');
    assert.equal(r.cluster.server, 'https://first:6443');
    assert.deepEqual(r.contexts.map((c) => c.name).sort(), ['one', 'two']);
    const r2 = resolve({ env: { KUBECONFIG: `${a}:${b}` }, context: 'two' });
    assert.equal(r2.cluster.server, 'https://other:6443');
    assert.equal(r2.user.token, 'token-v');
  });

  it('uses ~/.kube/config when nothing else is given', () => {
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    writeFileSync(
      join(dir, 'home', '.kube', 'config'),
      kubeconfig({
        clusters: [['h', 'https://home:6443']],
        users: ['h'],
        contexts: [['h', 'h', 'h']],
        current: 'h',
      }),
    );
    const r = resolve({ env: {} });
    assert.equal(r.cluster.server, 'https://home:6443');
    rmSync(join(dir, 'home', '.kube'), { recursive: true });
  });

  it('falls back to the in-cluster service account', () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token\n');
    writeFileSync(join(sa, 'ca.crt'), 'CA');
    const r = resolveKubeConfig(
      {
        homeDir: join(dir, 'home'),
        serviceAccountDir: sa,
        env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      },
      parse,
    );
    assert.equal(r.inCluster, true);
    assert.equal(r.cluster.server, 'https://10.0.0.1:443');
    assert.equal(r.cluster.caFile, join(sa, 'ca.crt'));
    const v6 = resolveKubeConfig(
      {
        homeDir: join(dir, 'home'),
        serviceAccountDir: sa,
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      },
      parse,
    );
    assert.equal(v6.cluster.server, 'https://[fd00::1]:443');
  });

  it('no kubeconfig at all: a ConfigError saying how to provide one', () => {
    assert.throws(
      () => resolve({ env: {} }),
      (err: Error) =>
        err instanceof ConfigError &&
        /No kubeconfig found/.test(err.message) &&
        /--kubeconfig/.test((err as ConfigError).hint ?? ''),
    );
  });

  it('an unknown --context lists the available contexts', () => {
    const a = file(
      'ctx.yaml',
      kubeconfig({
        clusters: [['c', 'https://c:6443']],
        users: ['u'],
        contexts: [
          ['staging', 'c', 'u'],
          ['production', 'c', 'u'],
        ],
        current: 'staging',
      }),
    );
    assert.throws(
      () => resolve({ kubeconfig: a, context: 'prod' }),
      (err: Error) =>
        err instanceof ConfigError &&
        /Context "prod" \(from --context\) not found/.test(err.message) &&
        /available contexts: staging, production/.test(err.message),
    );
  });

  it('no current-context and no --context is a ConfigError', () => {
    const a = file(
      'nocur.yaml',
      kubeconfig({ clusters: [['c', 'https://c:6443']], users: ['u'], contexts: [['x', 'c', 'u']] }),
    );
    assert.throws(
      () => resolve({ kubeconfig: a }),
      /has no current-context; pass --context \(available contexts: x\)/,
    );
  });

  it('a missing --kubeconfig file, a missing KUBECONFIG list and invalid YAML are ConfigErrors', () => {
    assert.throws(() => resolve({ kubeconfig: join(dir, 'nope.yaml') }), /does not exist/);
    assert.throws(
      () => resolve({ env: { KUBECONFIG: join(dir, 'nope.yaml') } }),
      /None of the kubeconfig files in \$KUBECONFIG exist/,
    );
    const bad = file('bad.yaml', 'clusters: [unclosed');
    assert.throws(
      () => resolve({ kubeconfig: bad }),
      (err: Error) => err instanceof ConfigError && /not valid YAML/.test(err.message),
    );
  });

  it('exec-plugin users are delegated to @kubernetes/client-node; static tokens are not', () => {
    const a = file(
      'exec.yaml',
      `current-context: e
clusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: get-token}}}, {name: t, user: {token: abc}}]
contexts: [{name: e, context: {cluster: c, user: u}}, {name: s, context: {cluster: c, user: t}}]
`,
    );
    const exec = new KubeClients(resolve({ kubeconfig: a }));
    assert.equal((exec as unknown as { delegated: boolean }).delegated, true);
    const stat = new KubeClients(resolve({ kubeconfig: a, context: 's' }));
    assert.equal((stat as unknown as { delegated: boolean }).delegated, false);
    assert.deepEqual(stat.target, { server: 'http://127.0.0.1:1', context: 's' });
  });
});
