/**
 * `mobius-deploy status` end to end: the BUILT CLI as a process against the Kubernetes API
 * simulator, one namespace per scenario.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import { ensureBuilt, type FakeWorker, parseJsonOutput, runCli, startFakeWorker } from '../support/cli.js';
import { type KObj, type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let worker: FakeWorker;
const status = (ns: string, ...extra: string[]) =>
  runCli(['status', '-n', ns, ...extra], { kubeconfig: sim.kubeconfigPath });

function waitingReason(pod: KObj): string | undefined {
  return pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
}

async function seedBroken(
  ns: string,
  behavior: Parameters<KubeSim['setImageBehavior']>[1],
  until: (pods: KObj[]) => boolean,
) {
  const image = `ghcr.io/mobius/preview-worker:${ns}`;
  sim.setImageBehavior(image, behavior);
  await sim.seedDeployment({ namespace: ns, replicas: 2, image, wait: false });
  await sim.waitFor(
    () => {
      const pods = sim.podsOf(ns, 'preview-worker');
      return pods.length > 0 && until(pods);
    },
    { timeoutMs: 15_000, message: `pods of ${ns} to show the ${JSON.stringify(behavior)} behavior` },
  );
}

before(async () => {
  ensureBuilt();
  sim = await startKubeSim({ readyDelayMs: 50 });
  worker = await startFakeWorker({ queue: { waiting: 4, active: 1, failed: 2 }, activeJobs: 1 });
  sim.setProxyTarget('*', '*', worker.url);
  await sim.seedDeployment({ namespace: 'production', replicas: 3 });
  for (const p of sim.podsOf('production', 'preview-worker'))
    sim.setPodMetrics('production', p.metadata.name, { cpu: '120m', memory: '300Mi' });
});
after(async () => {
  await sim?.close();
  await worker?.close();
});

describe('status: healthy deployment', () => {
  it('exits 0 with every section in the table', async () => {
    const r = await status('production');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const section of [
      'Deployment',
      'Pods (3)',
      'Resources',
      'Autoscaler',
      'Queue',
      'Warning events',
      'Findings',
    ]) {
      assert.ok(r.stdout.includes(section), `missing section ${section}:\n${r.stdout}`);
    }
    assert.match(r.stdout, /successfully rolled out/);
    assert.match(r.stdout, /everything within expected limits/);
    assert.match(r.stdout, /Waiting:\s+4/);
    assert.match(r.stdout, /3 of 3 pods answered \/metrics/);
    assert.match(r.stdout, /300Mi/);
    assert.equal(r.stderr, '');
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a TTY');
  });

  it('the playbook commands exactly as written: status and verify --namespace production', async () => {
    for (const command of ['status', 'verify']) {
      const r = await runCli([command, '--namespace', 'production'], { kubeconfig: sim.kubeconfigPath });
      assert.equal(r.code, 0, `${command}: ${r.stderr}${r.stdout}`);
    }
  });

  it('-o json gives the result as data', async () => {
    const r = await status('production', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const s = parseJsonOutput<StatusResult>(r);
    assert.equal(s.kind, 'StatusResult');
    assert.equal(s.healthy, true);
    assert.equal(s.deployment.name, 'preview-worker');
    assert.equal(s.deployment.revision, 1);
    assert.deepEqual(s.deployment.replicas, {
      desired: 3,
      current: 3,
      updated: 3,
      ready: 3,
      available: 3,
      unavailable: 0,
    });
    assert.equal(s.deployment.rollout.phase, 'complete');
    assert.equal(s.pods.length, 3);
    assert.ok(s.pods.every((p) => p.health.state === 'healthy' && p.ready === '1/1'));
    assert.equal(s.resources.available, true);
    const pr = s.resources.pods[0];
    assert.equal(pr.memory.usage, 300 * 1024 * 1024);
    assert.equal(pr.memory.limit, 1024 * 1024 * 1024); // the simulator's 1Gi limit
    assert.equal(pr.memory.pctOfLimit, 29.3);
    assert.equal(pr.cpu.usage, 0.12);
    assert.equal(pr.cpu.pctOfRequest, 48);
    assert.equal(s.autoscaler?.maxReplicas !== undefined, true);
    assert.equal(s.queue?.waiting, 4);
    assert.equal(s.queue?.failed, 2);
    assert.equal(s.queue?.active, 1);
    assert.equal(s.queue?.workers, 3);
    assert.deepEqual(s.findings, []);
  });

  it('-o yaml works too', async () => {
    const r = await status('production', '-o', 'yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kind: StatusResult$/m);
  });

  it('thresholds come from flags: memory above --warn-memory exits 1 and says which pod', async () => {
    const r = await status('production', '--warn-memory', '20');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stdout,
      /pod preview-worker-\S+ memory at 29% of limit \(warn above 20%, critical at 95%\)/,
    );
    assert.match(r.stdout, /\n {4}see docs\/RUNBOOKS\.md#previewworkermemorynearlimit\n/);
  });

  it('a queue backlog above --queue-backlog-warn needs attention', async () => {
    const r = await status('production', '--queue-backlog-warn', '3', '-o', 'json');
    assert.equal(r.code, 1);
    const s = parseJsonOutput<StatusResult>(r);
    assert.deepEqual(
      s.findings.map((f) => f.code),
      ['queue-backlog'],
    );
  });

  it('500s and dropped connections are retried', async () => {
    const f1 = sim.injectFault({
      method: 'GET',
      path: /\/namespaces\/production\/pods$/,
      status: 500,
      times: 2,
    });
    const f2 = sim.injectFault({
      method: 'GET',
      path: /\/deployments\/preview-worker$/,
      drop: true,
      times: 1,
    });
    const f3 = sim.injectFault({
      method: 'GET',
      path: /\/replicasets$/,
      status: 429,
      retryAfterSeconds: 0,
      times: 1,
    });
    try {
      const r = await status('production', '-o', 'json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseJsonOutput<StatusResult>(r).pods.length, 3);
      assert.equal(f1.hits(), 2);
      assert.equal(f2.hits(), 1);
      assert.equal(f3.hits(), 1);
    } finally {
      sim.clearFaults();
    }
  });

  it('a proxy failure is reported, not fatal', async () => {
    sim.clearProxyTarget('*', '*');
    try {
      const r = await status('production');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Queue\n\s+not available: no pod answered \/metrics through the pod proxy/);
      // Said once, in the Queue section, not again as a note under Findings.
      assert.equal(r.stdout.split('no pod answered /metrics').length - 1, 1, r.stdout);
    } finally {
      sim.setProxyTarget('*', '*', worker.url);
    }
  });
});

describe('status: unhealthy pods', () => {
  it('crash-looping pods: exit 1, CrashLoopBackOff and the last terminated message', async () => {
    await seedBroken(
      'crash',
      { kind: 'crashloop', message: 'Error: REDIS_URL must be a redis:// URL' },
      (pods) => pods.every((p) => waitingReason(p) === 'CrashLoopBackOff'),
    );
    const r = await status('crash');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /CrashLoopBackOff/);
    assert.match(r.stdout, /REDIS_URL must be a redis:\/\/ URL/);
    assert.match(r.stdout, /2 pods crash-looping/);
    assert.match(r.stdout, /see docs\/RUNBOOKS\.md#previewworkercrashlooping/);
    const json = parseJsonOutput<StatusResult>(await status('crash', '-o', 'json'));
    const pod = json.pods[0];
    assert.equal(pod.health.reason, 'CrashLoopBackOff');
    assert.equal(pod.health.lastTermination?.exitCode, 1);
    assert.equal(pod.health.lastTermination?.message, 'Error: REDIS_URL must be a redis:// URL');
    assert.ok(json.findings.some((f) => f.code === 'pods-crashloopbackoff' && f.severity === 'critical'));
  });

  it('image pull failure: exit 1 naming ImagePullBackOff or ErrImagePull', async () => {
    await seedBroken('pull', 'imagepull', (pods) =>
      pods.every((p) => /ImagePullBackOff|ErrImagePull/.test(waitingReason(p) ?? '')),
    );
    const r = await status('pull');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /ImagePullBackOff|ErrImagePull/);
    assert.match(r.stdout, /failing to pull their image/);
  });

  it('OOMKilled: exit 1 naming OOMKilled', async () => {
    await seedBroken('oom', 'oomkilled', (pods) =>
      pods.every((p) => p.status?.containerStatuses?.[0]?.lastState?.terminated?.reason === 'OOMKilled'),
    );
    const r = await status('oom', '-o', 'json');
    assert.equal(r.code, 1, r.stderr);
    const s = parseJsonOutput<StatusResult>(r);
    assert.ok(
      s.pods.every((p) => p.health.lastTermination?.reason === 'OOMKilled'),
      JSON.stringify(s.pods.map((p) => p.health)),
    );
    const table = await status('oom');
    assert.match(table.stdout, /OOMKilled/);
  });

  it('pending (Unschedulable): exit 1 with the scheduler message', async () => {
    await seedBroken('pending', 'pending', (pods) =>
      pods.every((p) =>
        p.status?.conditions?.some((c: KObj) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
      ),
    );
    const r = await status('pending');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Unschedulable/);
    assert.match(r.stdout, /Insufficient memory/);
  });

  it('failing readiness probe: exit 1 with the probe message', async () => {
    await seedBroken('probe', 'readiness-failing', () =>
      sim.list('events', 'probe').some((e) => e.reason === 'Unhealthy'),
    );
    const r = await status('probe', '-o', 'json');
    assert.equal(r.code, 1, r.stderr);
    const s = parseJsonOutput<StatusResult>(r);
    assert.ok(
      s.pods.some(
        (p) =>
          p.health.reason === 'ReadinessProbeFailed' && /Readiness probe failed/.test(p.health.message ?? ''),
      ),
      JSON.stringify(s.pods.map((p) => p.health)),
    );
    assert.ok(s.events.some((e) => e.reason === 'Unhealthy'));
  });
});

describe('status: access and reachability', () => {
  it('403 on pods: exit 5 naming the verb and resource, no stack trace', async () => {
    await sim.seedDeployment({ namespace: 'locked', replicas: 1 });
    const undo = sim.deny({ verb: 'list', resource: 'pods', namespace: 'locked' });
    try {
      const r = await status('locked');
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        /Access denied: .*cannot list pods in namespace locked \(RBAC verb list, resource pods\)/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(r.stdout, '');
    } finally {
      undo();
    }
  });

  it('missing namespace: exit 5 in one sentence', async () => {
    const r = await status('no-such-namespace');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /^Error: Namespace no-such-namespace does not exist in this cluster\.$/m);
  });

  it('a Deployment missing from an existing namespace: exit 1 saying so', async () => {
    sim.createNamespace('empty');
    const r = await status('empty');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Deployment preview-worker not found in namespace empty/);
  });

  it('50 pods: all listed', async () => {
    await sim.seedPods(50, { namespace: 'big' });
    const r = await status('big', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const s = parseJsonOutput<StatusResult>(r);
    assert.equal(s.pods.length, 50);
    assert.equal(s.queue?.workers, 50);
  });
});

describe('status: without the metrics API', () => {
  it('says so and carries on (exit 0 when nothing else is wrong)', async () => {
    await sim.seedDeployment({ namespace: 'nometrics', replicas: 2, hpa: false });
    sim.disableMetricsApi();
    try {
      const r = await status('nometrics');
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /metrics API \(metrics\.k8s\.io\) not available: resource use not shown/);
      assert.match(r.stdout, /Pods \(2\)/);
      // An HPA on CPU cannot work without the metrics API: that is a real finding.
      const withHpa = await status('production', '-o', 'json');
      assert.equal(withHpa.code, 1);
      const s = parseJsonOutput<StatusResult>(withHpa);
      assert.equal(s.resources.available, false);
      assert.deepEqual(
        s.findings.map((f) => f.code),
        ['hpa-inactive'],
      );
    } finally {
      sim.enableMetricsApi();
    }
  });
});
