/**
 * The ConfigMap ledger driver against the Kubernetes API simulator (real HTTP, real
 * resourceVersion conflicts), through the CLI's JSON transport and through @kubernetes/client-node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKubeClients, type KubeClients } from '../../src/deploy/kube/client.js';
import {
  ConfigMapLedgerDriver,
  configMapApiFromKubeConfig,
  configMapApiFromTransport,
  type DeploymentRecord,
  Ledger,
  newDeploymentRecord,
} from '../../src/deploy/ledger/index.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'ledger-test';

function record(i: number): DeploymentRecord {
  const at = new Date(Date.UTC(2026, 10, 1, 10, i));
  return newDeploymentRecord(
    {
      kind: 'deploy',
      namespace: NS,
      environment: 'production',
      deployment: 'preview-worker',
      actor: 'ci',
      startedAt: at.toISOString(),
      image: `img:${i}`,
      result: 'succeeded',
    },
    at,
  );
}

describe('ConfigMap ledger driver against the simulator', () => {
  let sim: KubeSim;
  let kube: KubeClients;
  before(async () => {
    sim = await startKubeSim();
    sim.createNamespace(NS);
    kube = await createKubeClients({ kubeconfig: sim.kubeconfigPath });
  });
  after(async () => {
    kube.close();
    await sim.close();
  });

  it('stores one labelled ConfigMap per record, lists newest first and prunes to --history-max', async () => {
    const ledger = new Ledger(new ConfigMapLedgerDriver(configMapApiFromTransport(kube), NS));
    for (let i = 0; i < 6; i++) await ledger.create(record(i));
    const cms = sim.list('configmaps', NS, {
      labelSelector: 'mobius.dev/ledger=true,mobius.dev/kind=deploy',
    });
    assert.equal(cms.length, 6);
    assert.ok(cms.every((cm) => cm.metadata.labels['app.kubernetes.io/managed-by'] === 'mobius-deploy'));
    const listed = await ledger.list({ environment: 'production' });
    assert.deepEqual(
      listed.records.map((s) => s.record.image),
      ['img:5', 'img:4', 'img:3', 'img:2', 'img:1', 'img:0'],
    );
    const pruned = await ledger.prune(4, { namespace: NS });
    assert.equal(pruned.deleted.length, 2);
    assert.deepEqual(
      (await ledger.list()).records.map((s) => s.record.image),
      ['img:5', 'img:4', 'img:3', 'img:2'],
    );
  });

  it('two writers (two clients) updating one record concurrently both land, through real 409s', async () => {
    const a = new Ledger(new ConfigMapLedgerDriver(configMapApiFromTransport(kube), NS));
    const b = new Ledger(new ConfigMapLedgerDriver(await configMapApiFromKubeConfig(sim.kubeConfig()), NS));
    const r = record(30);
    await a.create(r);
    const rvBefore = sim.get('configmaps', NS, `mobius-ledger.deploy.${r.id}`)?.metadata.resourceVersion;
    const writes = [];
    for (let i = 0; i < 5; i++) {
      writes.push(
        a.update<DeploymentRecord>('deploy', r.id, (cur) => ({
          ...cur,
          phases: { ...cur.phases, [`a${i}`]: i },
        })),
        b.update<DeploymentRecord>('deploy', r.id, (cur) => ({
          ...cur,
          phases: { ...cur.phases, [`b${i}`]: i },
        })),
      );
    }
    await Promise.all(writes);
    const final = (await a.get('deploy', r.id)).record as DeploymentRecord;
    assert.equal(Object.keys(final.phases).length, 10, JSON.stringify(final.phases));
    const conflicts = sim
      .requests()
      .filter((q) => q.method === 'PUT' && q.path.endsWith(r.id) && q.status === 409).length;
    assert.ok(conflicts > 0, 'the API server refused stale writes');
    assert.notEqual(
      sim.get('configmaps', NS, `mobius-ledger.deploy.${r.id}`)?.metadata.resourceVersion,
      rvBefore,
    );
  });
});
