/**
 * `mobius-deploy doctor` with the built CLI against the simulator: everything passing, then one
 * problem at a time (a denied permission, a missing pull secret, an overdue rotation, a Pending
 * volume claim, Redis persistence off or stale), each failing with its fix line and exit 1.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'production';
const API_TOKEN = 'worker-api-token-for-doctor-test';
const GHCR_TOKEN = 'ghp_doctorTestToken000000000000000000';

interface DoctorJson {
  ok: boolean;
  checks: { name: string; status: string; evidence: string; fix?: string }[];
  permissions: {
    verb: string;
    resource: string;
    apiGroup: string;
    allowed: boolean;
    resourceName?: string;
  }[];
}

type Redis = { aofEnabled: boolean; lastRdbSaveAt: string | null; lastRdbSaveStatus: string | null };

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** An HTTP proxy to the simulator that lets a test rewrite JSON answers to GET requests. */
async function startRewritingProxy(
  target: string,
  // biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
  rewrite: (path: string, body: any) => unknown,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = request(
        new URL(req.url ?? '/', target),
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            let out = Buffer.concat(body);
            const path = (req.url ?? '').split('?')[0];
            if (
              req.method === 'GET' &&
              String(up.headers['content-type']).includes('json') &&
              up.statusCode === 200
            ) {
              out = Buffer.from(JSON.stringify(rewrite(path, JSON.parse(out.toString('utf8')))));
            }
            const headers = { ...up.headers, 'content-length': String(out.length) };
            delete headers['transfer-encoding'];
            res.writeHead(up.statusCode ?? 502, headers).end(out);
          });
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  const url = await listen(server);
  return { url, close: () => close(server) };
}

describe('mobius-deploy doctor (built CLI against the simulator)', () => {
  let sim: KubeSim;
  let worker: Server;
  let prometheus: Server;
  let prometheusUrl: string;
  let workerUrl: string;
  let redis: Redis = { aofEnabled: true, lastRdbSaveAt: null, lastRdbSaveStatus: 'ok' };
  const queueTokens: (string | undefined)[] = [];

  const doctor = async (...extra: string[]) => {
    const r = await runCli(['doctor', '-n', NS, '--prometheus-url', prometheusUrl, '-o', 'json', ...extra], {
      kubeconfig: sim.kubeconfigPath,
    });
    return { r, json: parseJsonOutput<DoctorJson>(r) };
  };
  const check = (j: DoctorJson, name: string) => {
    const c = j.checks.find((x) => x.name === name);
    assert.ok(c, `check ${name} present`);
    return c;
  };

  before(async () => {
    ensureBuilt();
    worker = createServer((req, res) => {
      if (req.url === '/v1/queue') {
        queueTokens.push(req.headers['x-preview-api-token'] as string | undefined);
        if (
          req.headers['x-preview-api-token'] !== API_TOKEN &&
          req.headers.authorization !== `Bearer ${API_TOKEN}`
        )
          return res.writeHead(401).end('{"error":"unauthorized"}');
        return res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            queue: 'preview-jobs',
            counts: {},
            workers: [],
            redis: { ...redis, maxmemoryPolicy: 'noeviction' },
          }),
        );
      }
      if (req.url === '/livez' || req.url === '/readyz') return res.writeHead(200).end('ok');
      res.writeHead(404).end();
    });
    prometheus = createServer((req, res) => {
      if (req.url === '/-/ready') return res.writeHead(200).end('Prometheus Server is Ready.\n');
      res.writeHead(404).end();
    });
    workerUrl = await listen(worker);
    prometheusUrl = await listen(prometheus);
    sim = await startKubeSim({ readyDelayMs: 20 });
    sim.createNamespace(NS);
    sim.setProxyTarget('*', '*', workerUrl);
    await sim.seedDeployment({ namespace: NS, name: 'preview-worker', replicas: 1 });
    sim.put({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'preview-worker-api-token', namespace: NS },
      data: { PREVIEW_API_TOKEN: Buffer.from(API_TOKEN).toString('base64') },
    });
    sim.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'preview-worker-data', namespace: NS },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: 'nfs-rwx',
        resources: { requests: { storage: '100Gi' } },
        volumeName: 'pv-1',
      },
      status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '100Gi' } },
    });
    const rotate = await runCli(
      ['registry-secret', 'rotate', '-n', NS, '--from-env', 'GHCR_TOKEN', '--username', 'mobius-bot'],
      { kubeconfig: sim.kubeconfigPath, env: { GHCR_TOKEN } },
    );
    assert.equal(rotate.code, 0, rotate.stderr);
  });
  after(async () => {
    await sim.close();
    await close(worker);
    await close(prometheus);
  });

  it('passes every check on a healthy setup, listing every permission it checked', async () => {
    const { r, json } = await doctor();
    assert.equal(r.code, 0, r.stdout);
    assert.equal(json.ok, true);
    assert.deepEqual(
      json.checks.map((c) => [c.name, c.status]),
      [
        ['node version', 'pass'],
        ['kubeconfig', 'pass'],
        ['cluster reachable', 'pass'],
        ['namespace', 'pass'],
        ['permissions', 'pass'],
        ['metrics API', 'pass'],
        ['image pull secret', 'pass'],
        ['prometheus', 'pass'],
        ['data volume claim', 'pass'],
        ['redis persistence', 'pass'],
      ],
      JSON.stringify(json.checks, null, 1),
    );
    assert.match(check(json, 'kubeconfig').evidence, /kubeconfig\.yaml; context /);
    assert.match(check(json, 'redis persistence').evidence, /AOF is on/);
    assert.match(check(json, 'image pull secret').evidence, /rotated .* ago .* policy 30 days/);
    // One review per verb of every DEPLOYER_PERMISSIONS entry, names resolved.
    assert.ok(json.permissions.length > 40, `${json.permissions.length} permissions`);
    assert.ok(json.permissions.every((p) => p.allowed));
    assert.ok(
      json.permissions.some((p) => p.resource === 'secrets' && p.resourceName === 'preview-worker-api-token'),
    );
    assert.ok(json.permissions.some((p) => p.resource === 'namespaces' && p.resourceName === NS));
    assert.ok(queueTokens.includes(API_TOKEN), 'the API token from the Secret was sent to /v1/queue');
    const table = await runCli(['doctor', '-n', NS], { kubeconfig: sim.kubeconfigPath });
    assert.equal(table.code, 0);
    assert.match(
      table.stdout,
      /✔ pass {2}permissions: all \d+ permissions the CLI needs are allowed in production/,
    );
    assert.ok(!table.stdout.includes(API_TOKEN) && !table.stdout.includes(GHCR_TOKEN));
  });

  it('a denied permission fails with the verb and resource named', async () => {
    const undo = sim.deny({ verb: 'get', resource: 'pods/log', namespace: NS });
    try {
      const { r, json } = await doctor();
      assert.equal(r.code, 1);
      const c = check(json, 'permissions');
      assert.equal(c.status, 'fail');
      assert.match(c.evidence, /1 of \d+ denied in production: get pods\/log/);
      assert.match(c.fix ?? '', /mobius-deployer/);
      assert.deepEqual(
        json.permissions.filter((p) => !p.allowed).map((p) => `${p.verb} ${p.resource}`),
        ['get pods/log'],
      );
      const table = await runCli(['doctor', '-n', NS], { kubeconfig: sim.kubeconfigPath });
      assert.equal(table.code, 1);
      assert.match(table.stdout, /pods\/log: DENIED get {2}\(needed: logs/);
      assert.match(table.stdout, /pods: allowed get,list,watch\n/);
    } finally {
      undo();
    }
  });

  it('a missing pull secret fails and says how to create it', async () => {
    const { r, json } = await doctor('--pull-secret', 'ghcr-missing');
    assert.equal(r.code, 1);
    const c = check(json, 'image pull secret');
    assert.equal(c.status, 'fail');
    assert.match(c.evidence, /Secret ghcr-missing \(--pull-secret\) does not exist/);
    assert.match(c.fix ?? '', /registry-secret rotate -n production --from-env GHCR_TOKEN/);
  });

  it('a pull secret rotated longer ago than the policy fails; close to due warns', async () => {
    const stamp = (daysAgo: number) =>
      sim.mutate('secrets', NS, 'ghcr-pull', (s) => {
        s.metadata.annotations['mobius.dev/rotated-at'] = new Date(
          Date.now() - daysAgo * 86_400_000,
        ).toISOString();
      });
    try {
      stamp(40);
      const old = await doctor();
      assert.equal(old.r.code, 1);
      const c = check(old.json, 'image pull secret');
      assert.equal(c.status, 'fail');
      assert.match(c.evidence, /rotated 40d ago .* policy 30 days: overdue by 10d/);
      stamp(25);
      const soon = await doctor();
      assert.equal(check(soon.json, 'image pull secret').status, 'warn');
      assert.equal(soon.r.code, 0, 'warnings do not fail doctor');
      const stricter = await doctor('--max-token-age', '20');
      assert.equal(check(stricter.json, 'image pull secret').status, 'fail');
    } finally {
      stamp(0);
    }
  });

  it('a Pending data volume claim fails', async () => {
    // The simulator binds every claim at once (a provisioner that always succeeds), so the claim is
    // shown Pending through a proxy that rewrites its status, as when no provisioner can serve it.
    const proxy = await startRewritingProxy(sim.url, (path, body) => {
      if (path.endsWith('/persistentvolumeclaims/preview-worker-data')) {
        body.status = { phase: 'Pending' };
        body.spec.volumeName = undefined;
      }
      return body;
    });
    const dir = await mkdtemp(join(tmpdir(), 'doctor-kc-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig.yaml');
      await writeFile(
        kubeconfig,
        (await readFile(sim.kubeconfigPath, 'utf8')).split(sim.url).join(proxy.url),
      );
      const r = await runCli(['doctor', '-n', NS, '-o', 'json'], { kubeconfig });
      assert.equal(r.code, 1, r.stdout);
      const json = parseJsonOutput<DoctorJson>(r);
      const c = check(json, 'data volume claim');
      assert.equal(c.status, 'fail');
      assert.match(c.evidence, /preview-worker-data \(DATA_DIR\) is Pending/);
      assert.match(c.fix ?? '', /kubectl describe pvc preview-worker-data -n production/);
      assert.deepEqual(
        json.checks.filter((x) => x.status === 'fail').map((x) => x.name),
        ['data volume claim'],
      );
    } finally {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Redis persistence off, or an RDB save older than --max-rdb-age, fails; a recent save passes', async () => {
    try {
      redis = { aofEnabled: false, lastRdbSaveAt: null, lastRdbSaveStatus: 'ok' };
      const off = await doctor();
      assert.equal(off.r.code, 1);
      assert.match(check(off.json, 'redis persistence').evidence, /AOF is off and Redis has never saved/);
      assert.match(check(off.json, 'redis persistence').fix ?? '', /appendonly yes/);
      redis = {
        aofEnabled: false,
        lastRdbSaveAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
        lastRdbSaveStatus: 'ok',
      };
      const stale = await doctor();
      assert.equal(check(stale.json, 'redis persistence').status, 'fail');
      assert.match(check(stale.json, 'redis persistence').evidence, /last RDB save was 2d ago/);
      const lenient = await doctor('--max-rdb-age', '3d');
      assert.equal(check(lenient.json, 'redis persistence').status, 'pass');
      assert.equal(lenient.r.code, 0);
    } finally {
      redis = { aofEnabled: true, lastRdbSaveAt: null, lastRdbSaveStatus: 'ok' };
    }
  });

  it('a missing namespace fails and skips what depends on it; an unreachable Prometheus fails', async () => {
    const r = await runCli(
      ['doctor', '-n', 'nowhere', '--prometheus-url', 'http://127.0.0.1:1', '-o', 'json'],
      {
        kubeconfig: sim.kubeconfigPath,
      },
    );
    assert.equal(r.code, 1);
    const json = parseJsonOutput<DoctorJson>(r);
    assert.equal(check(json, 'namespace').status, 'fail');
    assert.equal(check(json, 'prometheus').status, 'fail');
    assert.equal(check(json, 'data volume claim').status, 'skip');
  });
  it('without a cluster, --url still checks Redis persistence on a local worker', async () => {
    const home = await mkdtemp(join(tmpdir(), 'doctor-home-'));
    try {
      const r = await runCli(['doctor', '-n', NS, '--url', workerUrl, '-o', 'json'], {
        env: { HOME: home, PREVIEW_API_TOKEN: API_TOKEN },
      });
      assert.equal(r.code, 1, 'no kubeconfig is a failure');
      const json = parseJsonOutput<DoctorJson>(r);
      assert.equal(check(json, 'kubeconfig').status, 'fail');
      assert.match(check(json, 'kubeconfig').fix ?? '', /--kubeconfig/);
      assert.equal(check(json, 'permissions').status, 'skip');
      assert.equal(check(json, 'redis persistence').status, 'pass');
      assert.match(check(json, 'redis persistence').evidence, /^http:\/\/127\.0\.0\.1:\d+: AOF is on/);
      assert.ok(!r.stdout.includes(API_TOKEN));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
