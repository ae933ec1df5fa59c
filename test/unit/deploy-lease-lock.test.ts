import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import {
  acquireDeployLock,
  DeployLockHeldError,
  describeLease,
  type LeaseApi,
} from '../../src/deploy/kube/lease-lock.js';

/** A fake Lease API with resourceVersion conflicts, serialising through JSON like the wire does. */
class FakeLeases implements LeaseApi {
  lease?: V1Lease;
  rv = 1;
  deletes = 0;
  private store(body: V1Lease): V1Lease {
    const wire = JSON.parse(JSON.stringify(body)) as V1Lease;
    wire.metadata = { ...wire.metadata, resourceVersion: String(++this.rv) };
    this.lease = wire;
    return structuredClone(wire);
  }
  async read() {
    if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
    return structuredClone(this.lease);
  }
  async create(_ns: string, body: V1Lease) {
    if (this.lease) throw Object.assign(new Error('exists'), { code: 409 });
    return this.store(body);
  }
  async replace(_ns: string, _name: string, body: V1Lease) {
    if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
    if (body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      throw Object.assign(new Error('conflict'), { code: 409 });
    }
    return this.store(body);
  }
  async delete(_ns: string, _name: string, resourceVersion?: string) {
    if (!this.lease) throw Object.assign(new Error('not found'), { code: 404 });
    if (resourceVersion && resourceVersion !== this.lease.metadata?.resourceVersion) {
      throw Object.assign(new Error('conflict'), { code: 409 });
    }
    this.deletes++;
    this.lease = undefined;
  }
}

function clock(start = '2026-11-26T12:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('deploy lease lock', () => {
  it('creates the lease with holder, times in microseconds, and deletes it on release', async () => {
    const api = new FakeLeases();
    const c = clock();
    const lock = await acquireDeployLock(api, {
      namespace: 'prod',
      holderIdentity: 'alice@h pid 1',
      now: c.now,
    });
    assert.equal(api.lease?.spec?.holderIdentity, 'alice@h pid 1');
    assert.equal(api.lease?.spec?.leaseDurationSeconds, 60);
    assert.equal(api.lease?.spec?.renewTime as unknown as string, '2026-11-26T12:00:00.000000Z');
    assert.equal(api.lease?.metadata?.name, 'mobius-deploy-lock');
    await lock.release();
    await lock.release();
    assert.equal(api.lease, undefined);
    assert.equal(api.deletes, 1);
  });

  it('fails at once with who holds it when the lock is held (timeout 0)', async () => {
    const api = new FakeLeases();
    const c = clock();
    await acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'alice@h pid 1', now: c.now });
    c.advance(10_000);
    await assert.rejects(
      acquireDeployLock(api, {
        namespace: 'prod',
        holderIdentity: 'bob@h pid 2',
        now: c.now,
        sleep: c.sleep,
      }),
      (err: unknown) => {
        assert.ok(err instanceof DeployLockHeldError);
        assert.equal(
          err.message,
          'deploy lock held by alice@h pid 1 since 2026-11-26T12:00:00.000Z (expires in 50s); ' +
            'wait, or use --force-unlock if it is stale',
        );
        return true;
      },
    );
    assert.equal(api.lease?.spec?.holderIdentity, 'alice@h pid 1');
  });

  it('waits up to --lock-timeout and gets the lock when the holder releases', async () => {
    const api = new FakeLeases();
    const c = clock();
    const first = await acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'alice', now: c.now });
    let waits = 0;
    const second = await acquireDeployLock(api, {
      namespace: 'prod',
      holderIdentity: 'bob',
      now: c.now,
      lockTimeoutMs: 30_000,
      sleep: async (ms) => {
        waits++;
        c.advance(ms);
        if (waits === 3) await first.release();
      },
    });
    assert.equal(waits, 3);
    assert.equal(api.lease?.spec?.holderIdentity, 'bob');
    assert.equal(second.tookOverFrom, undefined);
  });

  it('takes over an expired lease and counts the transition', async () => {
    const api = new FakeLeases();
    const c = clock();
    await acquireDeployLock(api, {
      namespace: 'prod',
      holderIdentity: 'dead',
      now: c.now,
      leaseDurationSeconds: 15,
    });
    c.advance(16_000);
    const lock = await acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'alive', now: c.now });
    assert.deepEqual(lock.tookOverFrom, { holderIdentity: 'dead', expired: true, forced: false });
    assert.equal(api.lease?.spec?.holderIdentity, 'alive');
    assert.equal(api.lease?.spec?.leaseTransitions, 1);
  });

  it('--force-unlock takes a live lease; the old holder sees it lost and does not delete it', async () => {
    const api = new FakeLeases();
    const c = clock();
    const old = await acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'old', now: c.now });
    const forced = await acquireDeployLock(api, {
      namespace: 'prod',
      holderIdentity: 'new',
      now: c.now,
      forceUnlock: true,
    });
    assert.deepEqual(forced.tookOverFrom, { holderIdentity: 'old', expired: false, forced: true });
    assert.equal(await old.renew(), false);
    assert.equal(old.lost, true);
    await old.release();
    assert.equal(
      api.lease?.spec?.holderIdentity,
      'new',
      "the old holder's release leaves the new lease alone",
    );
    await forced.release();
    assert.equal(api.lease, undefined);
  });

  it('renew moves renewTime forward and keeps acquireTime', async () => {
    const api = new FakeLeases();
    const c = clock();
    const lock = await acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'alice', now: c.now });
    c.advance(20_000);
    assert.equal(await lock.renew(), true);
    const holder = describeLease(api.lease!, c.now());
    assert.equal(holder.acquiredAt?.toISOString(), '2026-11-26T12:00:00.000Z');
    assert.equal(holder.renewedAt?.toISOString(), '2026-11-26T12:00:20.000Z');
    assert.equal(holder.expiresInSeconds, 60);
    await lock.release();
  });

  it('two deploys racing for an empty namespace: exactly one wins', async () => {
    const api = new FakeLeases();
    const c = clock();
    const results = await Promise.allSettled([
      acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'a', now: c.now }),
      acquireDeployLock(api, { namespace: 'prod', holderIdentity: 'b', now: c.now }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(rejected.reason instanceof DeployLockHeldError);
  });
});
