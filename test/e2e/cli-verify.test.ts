/**
 * `mobius-deploy verify` end to end: the BUILT CLI as a process, against the simulator whose pod
 * proxy forwards to a fake worker (or a real one), and with --url against a real worker process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VerifyResult } from '../../src/deploy/health/verify-types.js';
import { ensureBuilt, type FakeWorker, parseJsonOutput, runCli, startFakeWorker } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { assertRedisAvailable, TEST_REDIS_URL } from '../support/queue-harness.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

let sim: KubeSim;
let worker: FakeWorker;
let tokenWorker: FakeWorker;
let notReady: FakeWorker;
const TOKEN = 'smoke-token-5f1c2b9e';
const verify = (ns: string, ...extra: string[]) =>
  runCli(['verify', '-n', ns, ...extra], { kubeconfig: sim.kubeconfigPath });
const check = (r: VerifyResult, name: string) =>
  r.checks.find((c) => c.name === name || c.name.startsWith(name));

before(async () => {
  ensureBuilt();
  sim = await startKubeSim({ readyDelayMs: 50 });
  worker = await startFakeWorker();
  tokenWorker = await startFakeWorker({ token: TOKEN });
  notReady = await startFakeWorker({ ready: false });
  await Promise.all([
    sim.seedDeployment({ namespace: 'production', replicas: 2 }),
    sim.seedDeployment({ namespace: 'secured', replicas: 1 }),
    sim.seedDeployment({ namespace: 'degraded', replicas: 2 }),
  ]);
  sim.setProxyTarget('production', '*', worker.url);
  sim.setProxyTarget('secured', '*', tokenWorker.url);
  sim.setProxyTarget('degraded', '*', notReady.url);
});
after(async () => {
  await sim?.close();
  await Promise.all([worker?.close(), tokenWorker?.close(), notReady?.close()]);
});

describe('verify against the cluster', () => {
  it('all checks pass: exit 0, one line per check with evidence', async () => {
    const r = await verify('production');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const line of [
      'PASS  namespace',
      'PASS  rollout',
      'PASS  pods ready',
      'PASS  service endpoints',
      '/livez /readyz',
      'PASS  /metrics',
    ]) {
      assert.ok(r.stdout.includes(line), `${line}\n${r.stdout}`);
    }
    assert.match(r.stdout, /successfully rolled out/);
    assert.match(r.stdout, /Service preview-worker: 2 of 2 endpoints ready/);
    assert.match(r.stdout, /Verification passed/);
  });

  it('-o json gives the checklist for CI', async () => {
    const r = await verify('production', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const v = parseJsonOutput<VerifyResult>(r);
    assert.equal(v.kind, 'VerifyResult');
    assert.equal(v.passed, true);
    assert.deepEqual(v.target, {
      namespace: 'production',
      deployment: 'preview-worker',
      context: 'kube-sim',
    });
    assert.deepEqual(
      v.checks.map((c) => c.name.replace(/pod \S+ /, 'pod ')),
      [
        'namespace',
        'rollout',
        'pods ready',
        'service endpoints',
        'pod /livez /readyz',
        'pod /livez /readyz',
        '/metrics',
      ],
    );
    for (const c of v.checks) {
      assert.equal(c.status, 'pass');
      assert.equal(typeof c.evidence, 'string');
      assert.ok(c.evidence.length > 0);
    }
    assert.deepEqual(v.summary, { pass: 7, fail: 0, warn: 0, skip: 0 });
  });

  it('--smoke submits a dry-run job through one pod and waits for it to complete', async () => {
    const before = worker.submitted.length;
    const r = await verify('production', '--smoke', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const v = parseJsonOutput<VerifyResult>(r);
    const smoke = check(v, 'smoke');
    assert.equal(smoke?.status, 'pass', smoke?.evidence);
    assert.match(smoke?.evidence ?? '', /completed/);
    assert.match(v.smokeJobId ?? '', /^smoke-\d{8}T\d{6}-[0-9a-f]{8}$/);
    const payload = worker.submitted[before] as { jobId: string; projectId: string; dryRun: boolean };
    assert.equal(payload.jobId, v.smokeJobId);
    assert.equal(payload.projectId, 'mobius-smoke');
    assert.equal(payload.dryRun, true);
  });

  it('--smoke with the token from a Secret; the token is never printed', async () => {
    sim.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'preview-worker-api', namespace: 'secured' },
      data: { PREVIEW_API_TOKEN: Buffer.from(TOKEN).toString('base64') },
    });
    const r = await verify('secured', '--smoke', '--api-token-secret', 'preview-worker-api', '-v');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN), 'token leaked');
    assert.ok(tokenWorker.requests.some((q) => q.path === '/v1/previews' && q.authorized));
  });

  it('--smoke without the token fails with the 401 explained (token from env is accepted)', async () => {
    const r = await verify('secured', '--smoke', '-o', 'json');
    assert.equal(r.code, 1);
    const smoke = check(parseJsonOutput<VerifyResult>(r), 'smoke');
    assert.equal(smoke?.status, 'fail');
    assert.match(smoke?.evidence ?? '', /401.*--api-token.*PREVIEW_API_TOKEN/);
    const withEnv = await runCli(['verify', '-n', 'secured', '--smoke'], {
      kubeconfig: sim.kubeconfigPath,
      env: { PREVIEW_API_TOKEN: TOKEN },
    });
    assert.equal(withEnv.code, 0, withEnv.stdout);
    assert.ok(!withEnv.stdout.includes(TOKEN));
  });

  it('a failing /readyz: exit 1 with the evidence', async () => {
    const r = await verify('degraded');
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /FAIL\s+pod preview-worker-\S+ \/livez \/readyz\s+\/livez 200 in \d+ms; \/readyz 503: .*redis: connect ECONNREFUSED/,
    );
    assert.match(r.stdout, /Verification failed/);
    const v = parseJsonOutput<VerifyResult>(await verify('degraded', '-o', 'json'));
    assert.equal(v.passed, false);
    assert.equal(check(v, 'rollout')?.status, 'pass');
    assert.equal(v.checks.filter((c) => c.name.endsWith('/livez /readyz') && c.status === 'fail').length, 2);
  });

  it('a worker missing metric names fails the /metrics check', async () => {
    const partial = await startFakeWorker({ omitMetrics: ['preview_worker_stalled_jobs_total'] });
    sim.setProxyTarget('production', '*', partial.url);
    try {
      const v = parseJsonOutput<VerifyResult>(await verify('production', '-o', 'json'));
      const m = check(v, '/metrics');
      assert.equal(m?.status, 'fail');
      assert.match(m?.evidence ?? '', /missing preview_worker_stalled_jobs_total/);
    } finally {
      sim.setProxyTarget('production', '*', worker.url);
      await partial.close();
    }
  });

  it('a crash-looping rollout fails rollout and pods, naming the reason', async () => {
    sim.setImageBehavior('ghcr.io/mobius/preview-worker:bad', {
      kind: 'crashloop',
      message: 'boom at startup',
    });
    await sim.seedDeployment({
      namespace: 'broken',
      replicas: 1,
      image: 'ghcr.io/mobius/preview-worker:bad',
      wait: false,
    });
    await sim.waitFor(
      () =>
        sim
          .podsOf('broken', 'preview-worker')
          .some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'),
      { timeoutMs: 15_000 },
    );
    const r = await verify('broken', '-o', 'json');
    assert.equal(r.code, 1);
    const v = parseJsonOutput<VerifyResult>(r);
    assert.equal(check(v, 'rollout')?.status, 'fail');
    assert.match(check(v, 'pods ready')?.evidence ?? '', /CrashLoopBackOff.*boom at startup/);
  });

  it('missing namespace: exit 5', async () => {
    const r = await verify('nowhere');
    assert.equal(r.code, 5);
    assert.match(r.stderr, /Namespace nowhere does not exist/);
  });

  it('verify --help shows the options and examples', async () => {
    const r = await runCli(['verify', '--help']);
    assert.equal(r.code, 0);
    for (const s of [
      '--smoke',
      '--url <url>',
      '--restart-window',
      '--api-token-secret',
      'Examples:',
      'mobius-deploy verify --url http://localhost:3000 --smoke',
    ]) {
      assert.ok(r.stdout.includes(s), s);
    }
  });
});

describe('verify --url against a real worker (no kubeconfig)', () => {
  let real: WorkerProcess | undefined;
  let url = '';
  let dataDir = '';
  const queue = `verify-e2e-${process.pid}-${Date.now()}`;

  before(async () => {
    await assertRedisAvailable();
    dataDir = mkdtempSync(join(tmpdir(), 'mobius-verify-'));
    real = startWorkerProcess({
      REDIS_URL: TEST_REDIS_URL,
      PREVIEW_QUEUE_NAME: queue,
      DATA_DIR: dataDir,
      PREVIEW_API_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
    });
    url = await real.ready(60_000);
  });
  after(async () => {
    await real?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    // Remove the queue's keys.
    const { Redis } = await import('ioredis');
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`bull:${queue}:*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  it('passes health, metrics and a real dry-run smoke job', async () => {
    const r = await runCli(['verify', '--url', url, '--smoke', '--api-token', TOKEN, '-o', 'json'], {
      env: { HOME: '/nonexistent' },
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const v = parseJsonOutput<VerifyResult>(r);
    assert.deepEqual(
      v.checks.map((c) => [c.name, c.status]),
      [
        ['/livez /readyz', 'pass'],
        ['/metrics', 'pass'],
        ['smoke: dry-run preview job', 'pass'],
      ],
    );
    assert.equal(v.target.url, url.replace(/\/+$/, ''));
    assert.ok(!r.stdout.includes(TOKEN));
  });

  it('behind the simulated pod proxy: the token reaches the worker (X-Preview-Api-Token) and the smoke job completes', async () => {
    await sim.seedDeployment({ namespace: 'real', replicas: 1 });
    sim.setProxyTarget('real', '*', url);
    const r = await runCli(['verify', '-n', 'real', '--smoke', '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
      env: { PREVIEW_API_TOKEN: TOKEN },
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const v = parseJsonOutput<VerifyResult>(r);
    assert.equal(check(v, 'smoke')?.status, 'pass');
    assert.equal(check(v, '/metrics')?.status, 'pass');
  });

  it('an unreachable URL fails the checks with the reason (exit 1)', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    const r = await runCli(['verify', '--url', `http://127.0.0.1:${closed}`, '--timeout', '2s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL\s+\/livez \/readyz\s+\/livez failed: ECONNREFUSED/);
  });

  it('a URL that is not http(s) is a usage error', async () => {
    const r = await runCli(['verify', '--url', 'ftp://x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not an http\(s\) URL/);
  });
});
