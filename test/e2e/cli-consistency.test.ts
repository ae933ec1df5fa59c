/**
 * The same situation gets the same exit code and message in every command (issue #13, point 2),
 * end to end through the BUILT CLI against the simulator: a missing namespace, the namespace
 * precedence (with the kubeconfig context's own namespace), the error object on stdout for
 * -o json|yaml, and hints that print the invocation the user actually typed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let dir: string;

before(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'mobius-cli-consistency-'));
  sim = await startKubeSim({ readyDelayMs: 20 });
  await sim.seedDeployment({ namespace: 'production', replicas: 1, hpa: false });
});
after(async () => {
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const MISSING = /^Error: Namespace (nope|staging) does not exist in this cluster\.\nHint: /;

/** Every command that reads a namespace in the cluster, pointed at one that does not exist. */
const READS_A_NAMESPACE: string[][] = [
  ['status', '-n', 'nope'],
  ['verify', '-n', 'nope'],
  ['logs', '-n', 'nope'],
  ['logs', '-n', 'nope', '--patterns'],
  ['history', '-n', 'nope'],
  ['report', '-n', 'nope'],
  ['access', 'review', '-n', 'nope'],
  ['incident', 'list', '-n', 'nope'],
  ['incident', 'show', 'inc-1', '-n', 'nope'],
  ['incident', 'open', '--level', '2', '--summary', 'x', '-n', 'nope'],
  ['incident', 'update', 'inc-1', '--note', 'x', '-n', 'nope'],
  ['incident', 'resolve', 'inc-1', '--cause', 'x', '-n', 'nope'],
  ['rollback', '--reason', 'x', '-n', 'nope'],
  ['deploy', '--image', 'ghcr.io/acme/preview-worker:1.0.0', '-n', 'nope'],
  ['deploy', '--env', 'staging', '--image-tag', '1.0.0'],
  ['deploy', '--env', 'staging', '--image-tag', '1.0.0', '--dry-run'],
  ['registry-secret', 'rotate', '--username', 'u', '--from-env', 'GHCR_TOKEN', '-n', 'nope'],
];

describe('a missing namespace: exit 5 and the same message in every command', () => {
  for (const argv of READS_A_NAMESPACE) {
    it(argv.join(' '), async () => {
      const r = await runCli(argv, {
        kubeconfig: sim.kubeconfigPath,
        env: { GHCR_TOKEN: 'not-a-real-token' },
      });
      assert.equal(r.code, 5, `${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, MISSING, argv.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('doctor reports it as its failed namespace check (a diagnosis lists every finding)', async () => {
    const r = await runCli(['doctor', '-n', 'nope'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /fail\s+namespace: namespace nope \(from -n\/--namespace\) does not exist/);
  });
});

describe("namespace precedence like kubectl's, with the kubeconfig context's own namespace", () => {
  /** A copy of the simulator's kubeconfig whose context kind-prod sets `namespace: production`. */
  const contextKubeconfig = (): string => {
    const file = join(dir, 'kind-prod.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: kind-prod
clusters: [{name: sim, cluster: {server: "${sim.url}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: "${sim.token}"}}]
contexts: [{name: kind-prod, context: {cluster: sim, user: u, namespace: production}}]
`,
    );
    return file;
  };
  const namespaceOf = async (args: string[], env: Record<string, string> = {}) => {
    const r = await runCli(['status', '--no-queue', '-o', 'json', ...args], {
      kubeconfig: contextKubeconfig(),
      env,
    });
    return r.code === 0 || r.code === 1
      ? (JSON.parse(r.stdout) as { namespace: string }).namespace
      : `exit ${r.code}: ${r.stderr}`;
  };

  it('plain status uses the context namespace; $MOBIUS_NAMESPACE, -e and -n beat it in that order', async () => {
    await sim.seedDeployment({ namespace: 'preview-worker', replicas: 1, hpa: false });
    assert.equal(await namespaceOf([]), 'production');
    assert.equal(await namespaceOf([], { MOBIUS_NAMESPACE: 'preview-worker' }), 'preview-worker');
    assert.match(
      await namespaceOf(['-e', 'staging'], { MOBIUS_NAMESPACE: 'preview-worker' }),
      /Namespace staging does not exist/,
    );
    assert.equal(await namespaceOf(['-e', 'staging', '-n', 'preview-worker']), 'preview-worker');
  });

  it('-v and doctor say which one won', async () => {
    const kubeconfig = contextKubeconfig();
    const verbose = await runCli(['status', '--no-queue', '-v'], { kubeconfig });
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, /^debug: namespace production \(from the kubeconfig context kind-prod\)$/m);
    const doctor = await runCli(['doctor', '-o', 'json'], { kubeconfig });
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; evidence: string }[] }).checks;
    assert.equal(
      checks.find((c) => c.name === 'namespace')?.evidence,
      'namespace production (from the kubeconfig context kind-prod) exists (Active)',
    );
    const flagged = await runCli(['doctor', '-n', 'nope'], { kubeconfig });
    assert.match(flagged.stdout, /fail\s+namespace: namespace nope \(from -n\/--namespace\) does not exist/);
  });
});
