import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Lease } from '@kubernetes/client-node';
import { ClusterUnreachableError } from '../../src/deploy/errors.js';
import type { LeaseApi } from '../../src/deploy/kube/lease-lock.js';
import { Ledger, MemoryLedgerDriver } from '../../src/deploy/ledger/index.js';
import type { DeployEnvironment } from '../../src/deploy/release/environment.js';
import { runWithLockAndRecord } from '../../src/deploy/release/guarded-change.js';
import { ChangeInterruptedError } from '../../src/deploy/release/interrupted.js';

/** Leases in memory; `gone` makes every call fail the way a stopped API server does. */
function memoryLeases() {
  const leases = new Map<string, V1Lease>();
  const state = { gone: false };
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
  let rv = 1;
  const check = () => {
    if (state.gone) throw refused();
  };
  const api: LeaseApi = {
    async read(_ns, name) {
      check();
      const l = leases.get(name);
      if (!l) throw Object.assign(new Error('not found'), { statusCode: 404 });
      return structuredClone(l);
    },
    async create(_ns, body) {
      check();
      const l = { ...body, metadata: { ...body.metadata, resourceVersion: String(rv++) } };
      leases.set(body.metadata?.name ?? '', l);
      return structuredClone(l);
    },
    async replace(_ns, name, body) {
      check();
      const l = { ...body, metadata: { ...body.metadata, resourceVersion: String(rv++) } };
      leases.set(name, l);
      return structuredClone(l);
    },
    async delete(_ns, name) {
      check();
      leases.delete(name);
    },
  };
  return { api, leases, state };
}

function environment(leases: LeaseApi, ledger: Ledger): DeployEnvironment {
  return {
    kube: {} as DeployEnvironment['kube'],
    ledger,
    leases,
    verify: async () => ({ passed: true, checks: [] }),
    provenance: { actor: 'alice@laptop', source: 'local' },
    host: 'alice@laptop',
  } as DeployEnvironment;
}

const unreachable = () =>
  new ClusterUnreachableError('Cannot reach the Kubernetes API at https://k8s:6443: connection refused.', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });

describe('a deploy interrupted by the API going away', () => {
  it('with a ledger that can still be written (--ledger-dir): the record is closed as Interrupted, the lock reported as held until its expiry', async () => {
    const { api, leases, state } = memoryLeases();
    const ledger = new Ledger(new MemoryLedgerDriver());
    const env = environment(api, ledger);
    let recordId = '';
    const err = await runWithLockAndRecord(
      env,
      {
        kind: 'deploy',
        namespace: 'production',
        deployment: 'preview-worker',
        image: 'repo:3.0.0',
        lock: {},
      },
      async (record, phase) => {
        recordId = record.id;
        record.revisionBefore = 4;
        await phase('apply', async () => undefined);
        state.gone = true;
        throw unreachable();
      },
    ).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ChangeInterruptedError, String(err));
    assert.equal(err.exitCode, 5);
    const i = err.interruption;
    assert.equal(i.recordId, recordId);
    assert.equal(i.image, 'repo:3.0.0');
    assert.equal(i.revisionBefore, 4);
    assert.equal(i.phase, 'apply');
    assert.equal(i.record, 'failed');
    assert.equal(i.lock.held, true);
    assert.equal(Date.parse(i.lock.expiresAt) - Date.parse(i.lock.renewedAt), 60_000);
    assert.match(i.lock.holder, new RegExp(`^alice@laptop pid \\d+ record ${recordId}$`));
    assert.ok(leases.has('mobius-deploy-lock'), 'the lease is still there');
    assert.match(
      err.message,
      /in flight: deploy record \S+, revision 4 → \?, image repo:3\.0\.0; the rollout had not been watched yet \(interrupted during apply\)/,
    );
    assert.match(err.message, /ledger: the record is closed as failed \(Interrupted\)/);
    assert.match(err.hint ?? '', /--force-unlock/);
    const { records } = await ledger.driver.list({ namespace: 'production' });
    const stored = records.find((s) => s.record.id === recordId)?.record as {
      result: string;
      failureClass: string;
    };
    assert.equal(stored.result, 'failed');
    assert.equal(stored.failureClass, 'Interrupted');
  });

  it('when the API is back by the time the lock is released: says it was released', async () => {
    const { api, leases, state } = memoryLeases();
    const env = environment(api, new Ledger(new MemoryLedgerDriver()));
    const err = await runWithLockAndRecord(
      env,
      { kind: 'rollback', namespace: 'staging', deployment: 'preview-worker', lock: {} },
      async () => {
        state.gone = false;
        throw unreachable();
      },
    ).catch((e: unknown) => e);
    assert.ok(err instanceof ChangeInterruptedError);
    assert.equal(err.interruption.lock.held, false);
    assert.match(err.message, /deploy lock: released/);
    assert.equal(leases.size, 0);
  });

  it('other failures are not reworded', async () => {
    const { api } = memoryLeases();
    const env = environment(api, new Ledger(new MemoryLedgerDriver()));
    const boom = new Error('apply exploded');
    const err = await runWithLockAndRecord(
      env,
      { kind: 'deploy', namespace: 'staging', deployment: 'preview-worker', lock: {} },
      async () => {
        throw boom;
      },
    ).catch((e: unknown) => e);
    assert.equal(err, boom);
  });
});
