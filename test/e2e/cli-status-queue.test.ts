/**
 * `mobius-deploy status`: how the queue is read (the built CLI as a process against the simulator).
 * The queue gauges describe the one shared Redis queue, so status reads them from the first
 * --queue-pods ready pods that answer (default 3), replaces a pod that fails by the next, and counts
 * workers from the pods' readiness; --queue-pods all asks every running pod. Also: a Deployment
 * whose selector is not the expected app.kubernetes.io/name label still gets its own pods,
 * ReplicaSets and metrics (the speculative reads with the expected label are discarded).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import { ensureBuilt, type FakeWorker, parseJsonOutput, runCli, startFakeWorker } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let worker: FakeWorker;
const status = async (ns: string, ...extra: string[]) => {
  const r = await runCli(['status', '-n', ns, '-o', 'json', ...extra], { kubeconfig: sim.kubeconfigPath });
  return { r, s: parseJsonOutput<StatusResult>(r) };
};
/** /metrics requests the fake worker received since `from`. */
const metricsRequests = (from: number) =>
  worker.requests.slice(from).filter((q) => q.path === '/metrics').length;

before(async () => {
  ensureBuilt();
  sim = await startKubeSim({ readyDelayMs: 20 });
  worker = await startFakeWorker({ queue: { waiting: 7, active: 2, failed: 1 }, activeJobs: 1 });
  sim.setProxyTarget('*', '*', worker.url);
  await sim.seedPods(12, { namespace: 'many' });
});
after(async () => {
  await sim?.close();
  await worker?.close();
});

describe('status: the queue read', () => {
  it('by default asks 3 of 12 pods, reports the shared counts and 12 ready workers', async () => {
    const before = worker.requests.length;
    const { r, s } = await status('many');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(metricsRequests(before), 3);
    assert.equal(s.queue?.available, true);
    assert.equal(s.queue?.waiting, 7);
    assert.equal(s.queue?.active, 2);
    assert.equal(s.queue?.failed, 1);
    assert.equal(s.queue?.workers, 12);
    assert.equal(s.queue?.podsRunning, 12);
    assert.equal(s.queue?.podsAsked, 3);
    assert.equal(s.queue?.podsAnswered, 3);
  });

  it('the table says how many pods were asked out of how many', async () => {
    const r = await runCli(['status', '-n', 'many'], { kubeconfig: sim.kubeconfigPath });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Workers:\s+12 ready/);
    assert.match(r.stdout, /3 of 3 pods answered \/metrics \(asked 3 of 12 running/);
  });

  it('--queue-pods all asks every running pod; --queue-pods 1 asks one', async () => {
    let before = worker.requests.length;
    const all = await status('many', '--queue-pods', 'all');
    assert.equal(all.r.code, 0, all.r.stderr);
    assert.equal(metricsRequests(before), 12);
    assert.equal(all.s.queue?.podsAsked, 12);
    assert.equal(all.s.queue?.podsAnswered, 12);
    assert.equal(all.s.queue?.activeInWorkers, 12, 'preview_worker_active_jobs summed over every pod');
    before = worker.requests.length;
    const one = await status('many', '--queue-pods', '1');
    assert.equal(metricsRequests(before), 1);
    assert.equal(one.s.queue?.waiting, 7);
    const bad = await runCli(['status', '-n', 'many', '--queue-pods', 'some'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(bad.code, 2);
  });

  it('a pod whose /metrics fails is listed and replaced by the next pod', async () => {
    await sim.seedPods(5, { namespace: 'flaky' });
    const pods = sim
      .podsOf('flaky', 'preview-worker')
      .map((p) => p.metadata.name as string)
      .sort();
    // Nothing listens on port 1: the pod proxy answers with an error for the first two pods.
    sim.setProxyTarget('flaky', pods[0], 'http://127.0.0.1:1');
    sim.setProxyTarget('flaky', pods[1], 'http://127.0.0.1:1');
    const { s } = await status('flaky');
    assert.equal(s.queue?.available, true);
    assert.equal(s.queue?.podsAnswered, 3);
    assert.equal(s.queue?.podsAsked, 5);
    assert.deepEqual(s.queue?.errors.map((e) => e.pod).sort(), [pods[0], pods[1]]);
    assert.equal(s.queue?.waiting, 7);
  });
});

describe('status: a Deployment with a selector other than the expected label', () => {
  it('lists its own pods and ReplicaSets, not those of the expected label', async () => {
    // Another app's pods that carry the label status expects (app.kubernetes.io/name=preview-worker),
    // and the worker Deployment selecting on another label: the guessed reads must be discarded.
    await sim.seedDeployment({
      namespace: 'custom',
      name: 'decoy',
      replicas: 2,
      selector: { app: 'decoy' },
      labels: { 'app.kubernetes.io/name': 'preview-worker' },
      hpa: false,
      service: false,
    });
    await sim.seedDeployment({
      namespace: 'custom',
      name: 'preview-worker',
      replicas: 2,
      selector: { tier: 'render' },
      hpa: false,
      service: false,
    });
    const decoys = sim.podsOf('custom', 'decoy').map((p) => p.metadata.name as string);
    assert.equal(decoys.length, 2);
    const before = worker.requests.length;
    const { r, s } = await status('custom');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.deployment.selector, 'tier=render');
    assert.equal(s.pods.length, 2);
    for (const p of s.pods) assert.match(p.name, /^preview-worker-/);
    assert.equal(s.queue?.workers, 2);
    // Only the worker's own two pods were asked for /metrics, never the decoys.
    assert.equal(metricsRequests(before), 2);
    assert.deepEqual(s.queue?.errors, []);
  });
});
