import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  type ConfigMapApi,
  ConfigMapLedgerDriver,
  configMapName,
  type DeploymentRecord,
  FileLedgerDriver,
  isVerifiedGood,
  Ledger,
  LedgerConflictError,
  type LedgerDriver,
  LedgerNotFoundError,
  MemoryLedgerDriver,
  newDeploymentRecord,
  newRecordId,
  parseRecordJson,
  resolveProvenance,
} from '../../src/deploy/ledger/index.js';

function record(
  overrides: Partial<DeploymentRecord> = {},
  at = '2026-11-01T10:00:00.000Z',
): DeploymentRecord {
  return newDeploymentRecord(
    {
      kind: 'deploy',
      namespace: 'production',
      environment: 'production',
      deployment: 'preview-worker',
      actor: 'alice',
      startedAt: at,
      image: 'ghcr.io/mobius/preview-worker:1.0.0',
      ...overrides,
    },
    new Date(at),
  );
}

/** A fake ConfigMap API with resourceVersions and 409s like the API server's. */
class FakeConfigMaps implements ConfigMapApi {
  items = new Map<string, V1ConfigMap>();
  rv = 100;
  /** Called before a replace is applied: lets a test sneak in a concurrent write. */
  beforeReplace?: (name: string) => void;

  private conflict(message: string): Error {
    return Object.assign(new Error(message), { code: 409 });
  }
  async create(_ns: string, body: V1ConfigMap) {
    const name = body.metadata!.name!;
    if (this.items.has(name)) throw this.conflict('AlreadyExists');
    const stored = structuredClone({
      ...body,
      metadata: { ...body.metadata, resourceVersion: String(++this.rv) },
    });
    this.items.set(name, stored);
    return structuredClone(stored);
  }
  async replace(_ns: string, name: string, body: V1ConfigMap) {
    this.beforeReplace?.(name);
    const existing = this.items.get(name);
    if (!existing) throw Object.assign(new Error('NotFound'), { code: 404 });
    if (body.metadata?.resourceVersion !== existing.metadata?.resourceVersion)
      throw this.conflict('Conflict');
    const stored = structuredClone({
      ...body,
      metadata: { ...body.metadata, resourceVersion: String(++this.rv) },
    });
    this.items.set(name, stored);
    return structuredClone(stored);
  }
  async read(_ns: string, name: string) {
    const existing = this.items.get(name);
    if (!existing) throw Object.assign(new Error('NotFound'), { code: 404 });
    return structuredClone(existing);
  }
  async list(_ns: string, labelSelector: string) {
    const wanted = labelSelector.split(',').map((p) => p.split('='));
    return [...this.items.values()]
      .filter((cm) => wanted.every(([k, v]) => cm.metadata?.labels?.[k!] === v))
      .map((cm) => structuredClone(cm));
  }
  async delete(_ns: string, name: string) {
    if (!this.items.delete(name)) throw Object.assign(new Error('NotFound'), { code: 404 });
  }
}

const noSleep = async () => {};

describe('ledger records', () => {
  it('ids sort by time and are valid ConfigMap name parts', () => {
    const a = newRecordId(new Date('2026-11-01T10:00:00.000Z'));
    const b = newRecordId(new Date('2026-11-01T10:00:00.000Z'));
    const c = newRecordId(new Date('2026-11-01T10:00:01.000Z'));
    assert.ok(a < b, `${a} < ${b}`);
    assert.ok(b < c, `${b} < ${c}`);
    assert.match(configMapName('deploy', a), /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    assert.ok(a.length <= 63);
  });

  it('validates records read back and keeps unknown fields', () => {
    const r = { ...record(), futureField: { x: 1 } };
    const ok = parseRecordJson(JSON.stringify(r));
    assert.equal(ok.ok, true);
    assert.deepEqual((ok as { record: Record<string, unknown> }).record.futureField, { x: 1 });

    const bad = parseRecordJson(JSON.stringify({ ...record(), result: 'maybe' }));
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /result/);
    assert.equal(parseRecordJson('{not json').ok, false);
    const newer = parseRecordJson(JSON.stringify({ ...record(), schemaVersion: 99 }));
    assert.match((newer as { error: string }).error, /newer than this CLI/);
  });

  it('accepts other kinds (incident) with the base fields only', () => {
    const incident = {
      schemaVersion: 1,
      id: newRecordId(),
      kind: 'incident',
      namespace: 'production',
      startedAt: new Date().toISOString(),
      level: 2,
    };
    const parsed = parseRecordJson(JSON.stringify(incident));
    assert.equal(parsed.ok, true);
  });
});

describe('provenance', () => {
  it('prefers flags, then CI variables, then user@host', () => {
    const ctx = { user: 'bob', host: 'laptop', env: {} };
    assert.equal(resolveProvenance({}, ctx).actor, 'bob@laptop');
    assert.equal(resolveProvenance({}, ctx).source, 'local');
    const gh = resolveProvenance(
      {},
      {
        ...ctx,
        env: {
          GITHUB_ACTIONS: 'true',
          GITHUB_ACTOR: 'octo',
          GITHUB_SHA: 'abc123',
          GITHUB_REF: 'refs/heads/main',
        },
      },
    );
    assert.equal(gh.actor, 'octo');
    assert.equal(gh.source, 'ci:github-actions');
    assert.deepEqual(gh.git, { commit: 'abc123', ref: 'refs/heads/main' });
    const gl = resolveProvenance(
      { actor: 'carol', commitTime: '2026-11-01T09:00:00+01:00' },
      { ...ctx, env: { GITLAB_CI: 'true', CI_COMMIT_SHA: 'def', CI_COMMIT_AUTHOR: 'Dee <d@x>' } },
    );
    assert.equal(gl.actor, 'carol');
    assert.equal(gl.git?.commit, 'def');
    assert.equal(gl.git?.author, 'Dee <d@x>');
    assert.equal(gl.git?.committedAt, '2026-11-01T08:00:00.000Z');
  });
});

/** The same contract tests for every driver. */
function driverContract(
  name: string,
  make: () => Promise<{ driver: LedgerDriver; cleanup(): Promise<void> }>,
) {
  describe(`${name} driver`, () => {
    it('creates, reads, updates with versions, lists newest first, deletes', async () => {
      const { driver, cleanup } = await make();
      try {
        const old = record({}, '2026-11-01T10:00:00.000Z');
        const newer = record({ image: 'img:2' }, '2026-11-02T10:00:00.000Z');
        const other = record({ environment: 'staging', namespace: 'staging' }, '2026-11-03T10:00:00.000Z');
        const s1 = await driver.create(old);
        await driver.create(newer);
        await driver.create(other);
        const got = await driver.get('deploy', old.id);
        assert.equal(got.record.image, old.image);
        assert.equal(got.version, s1.version);

        const updated = await driver.update({ ...old, result: 'succeeded' }, got.version);
        assert.notEqual(updated.version, got.version);
        await assert.rejects(driver.update({ ...old, result: 'failed' }, got.version), LedgerConflictError);
        assert.equal((await driver.get('deploy', old.id)).record.result as string, 'succeeded');

        const all = await driver.list();
        assert.deepEqual(
          all.records.map((s) => s.record.id),
          [other.id, newer.id, old.id],
        );
        const prod = await driver.list({ environment: 'production' });
        assert.deepEqual(
          prod.records.map((s) => s.record.id),
          [newer.id, old.id],
        );
        // a scope: its namespace and, with an environment, that environment or none
        const noEnv = await driver.create(record({ environment: undefined }, '2026-11-01T11:00:00.000Z'));
        const canary = await driver.create(record({ environment: 'canary' }, '2026-11-01T12:00:00.000Z'));
        const scoped = await driver.list({ scope: { namespace: old.namespace, environment: 'production' } });
        assert.deepEqual(
          scoped.records.map((s) => s.record.id),
          [newer.id, noEnv.record.id, old.id],
        );
        const staging = await driver.list({ scope: { namespace: 'staging', environment: 'production' } });
        assert.deepEqual(staging.records, []);
        await driver.delete('deploy', noEnv.record.id);
        await driver.delete('deploy', canary.record.id);
        const since = await driver.list({ since: new Date('2026-11-02T00:00:00Z'), result: 'in_progress' });
        assert.deepEqual(
          since.records.map((s) => s.record.id),
          [other.id, newer.id],
        );

        await driver.delete('deploy', newer.id);
        await driver.delete('deploy', newer.id); // missing: not an error
        await assert.rejects(driver.get('deploy', newer.id), LedgerNotFoundError);
        assert.equal((await driver.list()).records.length, 2);
      } finally {
        await cleanup();
      }
    });

    it('Ledger.update re-reads and merges when another writer changed the record (409)', async () => {
      const { driver, cleanup } = await make();
      try {
        const ledger = new Ledger(driver, { sleep: noSleep });
        const r = record();
        await ledger.create(r);
        // Writer B updates between our read and our write, once.
        let interfered = false;
        const realUpdate = driver.update.bind(driver);
        driver.update = async (rec, version) => {
          if (!interfered) {
            interfered = true;
            const fresh = await driver.get(rec.kind, rec.id);
            await realUpdate({ ...fresh.record, reason: 'written by B' } as DeploymentRecord, fresh.version);
          }
          return realUpdate(rec, version);
        };
        await ledger.update<DeploymentRecord>('deploy', r.id, (cur) => ({
          ...cur,
          result: 'succeeded',
          finishedAt: '2026-11-01T10:01:00.000Z',
        }));
        const final = (await driver.get('deploy', r.id)).record as DeploymentRecord;
        assert.equal(final.result, 'succeeded');
        assert.equal(final.reason, 'written by B', 'the concurrent write is not lost');
        assert.ok(interfered);
      } finally {
        await cleanup();
      }
    });

    it('prune keeps the newest N, the last verified-good record and in-progress records', async () => {
      const { driver, cleanup } = await make();
      try {
        const ledger = new Ledger(driver, { sleep: noSleep });
        const good = record(
          { result: 'succeeded', verify: { passed: true, total: 5, failed: 0, failedChecks: [] } },
          '2026-10-01T00:00:00.000Z',
        );
        const running = record({}, '2026-10-02T00:00:00.000Z');
        const abandoned = record({}, '2026-09-02T00:00:00.000Z');
        await ledger.create(abandoned);
        await ledger.create(good);
        await ledger.create(running);
        const failures: DeploymentRecord[] = [];
        for (let i = 0; i < 6; i++) {
          const f = record(
            { result: 'rolled_back', failureClass: 'CrashLoopBackOff' },
            `2026-10-1${i}T00:00:00.000Z`,
          );
          failures.push(f);
          await ledger.create(f);
        }
        const incident = {
          schemaVersion: 1,
          id: newRecordId(new Date('2026-09-01T00:00:00Z')),
          kind: 'incident',
          namespace: 'production',
          environment: 'production',
          startedAt: '2026-09-01T00:00:00.000Z',
        };
        await ledger.create(incident);
        const result = await ledger.prune(3, {}, Date.parse('2026-10-02T01:00:00.000Z'));
        const left = (await ledger.list()).records.map((s) => s.record.id);
        assert.ok(left.includes(good.id), 'last verified good kept');
        assert.ok(left.includes(running.id), 'in-progress kept');
        assert.ok(left.includes(incident.id), 'incidents are not pruned by --history-max');
        for (const f of failures.slice(-3)) assert.ok(left.includes(f.id));
        for (const f of failures.slice(0, 3)) assert.ok(!left.includes(f.id));
        assert.ok(!left.includes(abandoned.id), 'an in_progress record from a dead process is pruned');
        assert.equal(result.deleted.length, 4);
        await assert.rejects(ledger.prune(0), RangeError);
      } finally {
        await cleanup();
      }
    });

    it('lastVerifiedGood skips failed, unverified and excluded records', async () => {
      const { driver, cleanup } = await make();
      try {
        const ledger = new Ledger(driver);
        const v = { passed: true, total: 3, failed: 0, failedChecks: [] };
        const g1 = record({ image: 'img:1', result: 'succeeded', verify: v }, '2026-10-01T00:00:00.000Z');
        const g2 = record({ image: 'img:2', result: 'succeeded', verify: v }, '2026-10-02T00:00:00.000Z');
        const unverified = record({ image: 'img:3', result: 'succeeded' }, '2026-10-03T00:00:00.000Z');
        const bad = record({ image: 'img:4', result: 'rolled_back' }, '2026-10-04T00:00:00.000Z');
        for (const r of [g1, g2, unverified, bad]) await ledger.create(r);
        assert.equal(isVerifiedGood(unverified), false);
        assert.equal((await ledger.lastVerifiedGood())?.id, g2.id);
        assert.equal((await ledger.lastVerifiedGood({ excludeImage: 'img:2' }))?.id, g1.id);
        assert.equal(await ledger.lastVerifiedGood({ environment: 'staging' }), undefined);
      } finally {
        await cleanup();
      }
    });
  });
}

driverContract('memory', async () => ({ driver: new MemoryLedgerDriver(), cleanup: async () => {} }));
driverContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
  return {
    driver: new FileLedgerDriver(join(dir, 'records')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
driverContract('configmap', async () => ({
  driver: new ConfigMapLedgerDriver(new FakeConfigMaps(), 'production'),
  cleanup: async () => {},
}));

describe('configmap driver specifics', () => {
  it('labels records for selection and stores readable JSON', async () => {
    const api = new FakeConfigMaps();
    const driver = new ConfigMapLedgerDriver(api, 'production');
    const r = record({ result: 'succeeded' });
    await driver.create(r);
    const cm = api.items.get(configMapName('deploy', r.id))!;
    assert.equal(cm.metadata?.labels?.['app.kubernetes.io/managed-by'], 'mobius-deploy');
    assert.equal(cm.metadata?.labels?.['mobius.dev/ledger'], 'true');
    assert.equal(cm.metadata?.labels?.['mobius.dev/kind'], 'deploy');
    assert.equal(cm.metadata?.labels?.['mobius.dev/env'], 'production');
    assert.equal(cm.metadata?.labels?.['mobius.dev/result'], 'succeeded');
    assert.equal(JSON.parse(cm.data!.record!).id, r.id);
  });

  it('reports a malformed ConfigMap and skips it instead of failing the list', async () => {
    const api = new FakeConfigMaps();
    const driver = new ConfigMapLedgerDriver(api, 'production');
    const r = record();
    await driver.create(r);
    const labels = { 'mobius.dev/ledger': 'true', 'mobius.dev/kind': 'deploy' };
    await api.create('production', {
      metadata: { name: 'mobius-ledger.deploy.broken', labels },
      data: { record: '{"id":' },
    });
    await api.create('production', {
      metadata: { name: 'mobius-ledger.deploy.wrong', labels },
      data: { record: JSON.stringify({ ...r, id: 'x', startedAt: 'yesterday' }) },
    });
    const { records, problems } = await driver.list();
    assert.deepEqual(
      records.map((s) => s.record.id),
      [r.id],
    );
    assert.equal(problems.length, 2);
    assert.ok(
      problems.some((p) => p.location === 'configmap/mobius-ledger.deploy.broken' && /JSON/.test(p.message)),
    );
    assert.ok(
      problems.some(
        (p) => p.location === 'configmap/mobius-ledger.deploy.wrong' && /startedAt/.test(p.message),
      ),
    );
  });

  it('two writers finishing the same record through 409s lose nothing', async () => {
    const api = new FakeConfigMaps();
    const driver = new ConfigMapLedgerDriver(api, 'production');
    const ledger = new Ledger(driver, { sleep: noSleep });
    const r = record();
    await ledger.create(r);
    let conflicts = 0;
    api.beforeReplace = () => {
      conflicts++;
    };
    await Promise.all([
      ledger.update<DeploymentRecord>('deploy', r.id, (cur) => ({
        ...cur,
        phases: { ...cur.phases, apply: 10 },
      })),
      ledger.update<DeploymentRecord>('deploy', r.id, (cur) => ({
        ...cur,
        phases: { ...cur.phases, rollout: 20 },
      })),
      ledger.update<DeploymentRecord>('deploy', r.id, (cur) => ({ ...cur, reason: 'hotfix' })),
    ]);
    const final = (await driver.get('deploy', r.id)).record as DeploymentRecord;
    assert.deepEqual(final.phases, { apply: 10, rollout: 20 });
    assert.equal(final.reason, 'hotfix');
    assert.ok(conflicts > 3, 'some writes conflicted and were retried');
  });
});

describe('file driver specifics', () => {
  it('writes atomically (no temp files left) and reports corrupt files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-'));
    try {
      const driver = new FileLedgerDriver(dir);
      const r = record();
      await driver.create(r);
      await driver.update({ ...r, result: 'succeeded' }, '1');
      await writeFile(join(dir, 'deploy.corrupt.json'), 'garbage');
      const names = await readdir(dir);
      assert.deepEqual(names.sort(), ['deploy.corrupt.json', `deploy.${r.id}.json`].sort());
      const { records, problems } = await driver.list();
      assert.equal(records.length, 1);
      assert.equal(problems.length, 1);
      await assert.rejects(driver.get('deploy', '../../etc/passwd'), /may contain only/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
