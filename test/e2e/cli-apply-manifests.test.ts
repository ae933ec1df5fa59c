/**
 * apply-manifests end to end: the built CLI against the Kubernetes API simulator. Every object is
 * server-side applied and reported as created, configured or unchanged; --dry-run stores nothing;
 * nothing waits for the rollout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

interface ApplyJson {
  environment: string;
  namespace: string;
  image: string;
  dryRun: boolean;
  objects: Array<{ ref: string; kind: string; name: string; action: string; note?: string }>;
  counts: Record<string, number>;
}

let sim: KubeSim;

before(async () => {
  ensureBuilt();
  sim = await startKubeSim({ readyDelayMs: 50 });
});

after(async () => {
  await sim.close();
});

const apply = (args: string[]) => runCli(['apply-manifests', ...args], { kubeconfig: sim.kubeconfigPath });

describe('apply-manifests', () => {
  test('--dry-run asks the server and stores nothing', async () => {
    const r = await apply(['--env', 'staging', '--dry-run', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJsonOutput<ApplyJson>(r);
    assert.equal(out.dryRun, true);
    assert.equal(out.namespace, 'staging');
    assert.ok(out.objects.length > 5);
    assert.ok(
      out.objects.every((o) => o.action === 'created' || o.action === 'skipped'),
      JSON.stringify(out.objects),
    );
    assert.equal(out.objects[0]!.ref, 'Namespace/staging');
    assert.match(out.objects[1]!.note ?? '', /namespace staging does not exist yet/);
    assert.equal(sim.get('deployments', 'staging', 'preview-worker'), undefined);
    assert.equal(sim.get('namespaces', undefined, 'staging'), undefined);
  });

  test('first apply creates every object, in install order, and prints each', async () => {
    const r = await apply(['--env', 'staging']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const created = lines.filter((l) => /\s{2}created$/.test(l)).map((l) => l.split(/\s+/)[0]);
    assert.equal(created[0], 'Namespace/staging');
    assert.ok(created.includes('Deployment/preview-worker'), r.stdout);
    assert.ok(created.includes('Service/preview-worker'), r.stdout);
    assert.ok(created.indexOf('ConfigMap/preview-worker') < created.indexOf('Deployment/preview-worker'));
    assert.match(r.stdout, /\d+ created, 0 configured, 0 unchanged, \d+ skipped in namespace staging/);
    assert.match(
      r.stdout,
      /Not waited for: follow the rollout with `node cli\/mobius-deploy\.js status -n staging`/,
    );
    const dep = sim.get('deployments', 'staging', 'preview-worker');
    assert.equal(
      dep?.spec.template.spec.containers[0].image,
      'ghcr.io/mobius-org/mobius-preview-worker:0.1.0',
    );
    const managers = (dep?.metadata.managedFields ?? []).map((m: { manager: string }) => m.manager);
    assert.ok(managers.includes('mobius-deploy'), `field managers: ${managers.join(', ')}`);
  });

  test('applying again changes nothing', async () => {
    const r = await apply(['--env', 'staging', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJsonOutput<ApplyJson>(r);
    assert.equal(out.counts.created, 0, JSON.stringify(out.objects));
    assert.equal(out.counts.configured, 0, JSON.stringify(out.objects));
    assert.ok(out.counts.unchanged > 5);
  });

  test('--image-tag configures the Deployment and returns without waiting', async () => {
    const r = await apply(['--env', 'staging', '--image-tag', '9.9.9', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJsonOutput<ApplyJson>(r);
    assert.equal(out.image, 'ghcr.io/mobius-org/mobius-preview-worker:9.9.9');
    const byRef = new Map(out.objects.map((o) => [o.ref, o.action]));
    assert.equal(byRef.get('Deployment/preview-worker'), 'configured');
    // Every object carries app.kubernetes.io/version (the tag), so the namespaced ones change too;
    // the cluster-scoped Namespace is only ever created.
    assert.equal(byRef.get('Namespace/staging'), 'unchanged');
    assert.equal(out.counts.created, 0);
    const dep = sim.get('deployments', 'staging', 'preview-worker');
    assert.equal(
      dep?.spec.template.spec.containers[0].image,
      'ghcr.io/mobius-org/mobius-preview-worker:9.9.9',
    );
  });

  test('--application-only leaves out the Namespace and the deployer RBAC', async () => {
    const r = await apply(['--env', 'staging', '--application-only', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const kinds = parseJsonOutput<ApplyJson>(r).objects.map((o) => o.kind);
    assert.ok(
      !kinds.includes('Namespace') && !kinds.includes('Role') && !kinds.includes('RoleBinding'),
      kinds.join(),
    );
    assert.ok(kinds.includes('Deployment'));
  });

  test('usage errors exit 2: no --env, bad tag, -n that disagrees with the environment', async () => {
    for (const [args, message] of [
      [[], /apply-manifests needs an environment/],
      [['--env', 'staging', '--image-tag', 'bad tag'], /is not a valid image tag/],
      [['--env', 'staging', '-n', 'other'], /-n other disagrees with environment staging/],
      [['--env', 'nope'], /nope/],
    ] as Array<[string[], RegExp]>) {
      const r = await apply(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('access denied exits 5 and names what was denied', async () => {
    const undo = sim.deny({ verb: 'patch', resource: 'deployments', namespace: 'staging' });
    try {
      const r = await apply(['--env', 'staging', '--image-tag', '9.9.8']);
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /Access denied/);
      assert.match(r.stderr, /deployments/);
    } finally {
      undo();
    }
  });
});
