/**
 * The deploy Lease lock against the Kubernetes API simulator: real create/replace conflicts, an
 * expired holder taken over, and what kubectl shows.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createKubeClients, type KubeClients } from '../../src/deploy/kube/client.js';
import {
  acquireDeployLock,
  DeployLockHeldError,
  leaseApiFromKubeConfig,
  leaseApiFromTransport,
} from '../../src/deploy/kube/lease-lock.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'lease-test';

describe('deploy lease lock against the simulator', () => {
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

  it('one of many racing deploys wins; the others are told who holds it; release frees it', async () => {
    const apis = [leaseApiFromTransport(kube), await leaseApiFromKubeConfig(sim.kubeConfig())];
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        acquireDeployLock(apis[i % 2]!, { namespace: NS, holderIdentity: `runner-${i}@ci pid ${i}` }),
      ),
    );
    const winners = attempts.filter((a) => a.status === 'fulfilled');
    assert.equal(winners.length, 1);
    const lock = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDeployLock>>>).value;
    for (const a of attempts) {
      if (a.status === 'rejected') {
        assert.ok(a.reason instanceof DeployLockHeldError);
        assert.equal(a.reason.holder.holderIdentity, lock.holderIdentity);
      }
    }
    const stored = sim.get('leases', NS, 'mobius-deploy-lock');
    assert.equal(stored?.spec.holderIdentity, lock.holderIdentity);
    assert.match(stored?.spec.renewTime, /\.\d{6}Z$/, 'MicroTime with microseconds');
    assert.equal(await lock.renew(), true);
    await lock.release();
    assert.equal(sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
  });

  it('an expired lease is taken over; kubectl shows the new holder', async () => {
    const api = leaseApiFromTransport(kube);
    const t0 = Date.now();
    await acquireDeployLock(api, {
      namespace: NS,
      holderIdentity: 'crashed@host pid 1',
      leaseDurationSeconds: 15,
      now: () => new Date(t0 - 60_000),
    });
    const lock = await acquireDeployLock(api, { namespace: NS, holderIdentity: 'fresh@host pid 2' });
    assert.deepEqual(lock.tookOverFrom, {
      holderIdentity: 'crashed@host pid 1',
      expired: true,
      forced: false,
    });
    assert.equal(sim.get('leases', NS, 'mobius-deploy-lock')?.spec.leaseTransitions, 1);
    const holder = await new Promise<string | undefined>((resolve) =>
      execFile(
        'kubectl',
        [
          '--kubeconfig',
          sim.kubeconfigPath,
          '-n',
          NS,
          'get',
          'lease',
          'mobius-deploy-lock',
          '-o',
          'jsonpath={.spec.holderIdentity}',
        ],
        { timeout: 20_000 },
        (err, stdout) => resolve(err ? undefined : stdout),
      ),
    );
    // kubectl may be absent; when present it must agree.
    if (holder !== undefined) assert.equal(holder, 'fresh@host pid 2');
    await lock.release();
  });
});
