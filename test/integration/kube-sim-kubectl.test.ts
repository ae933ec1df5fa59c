// kubectl agrees with kube-sim: the real client (discovery, tables, watch-based rollout status,
// logs, rollout undo/history, server-side apply, scale, auth can-i) works against the simulator
// and reports what the simulator holds. Skipped, saying why, only where kubectl is not installed.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findOnPath } from '../../src/worker/find-on-path.js';
import { type KObj, type KubeSim, REVISION, startKubeSim } from '../support/kube-sim/index.js';

const KUBECTL = findOnPath('kubectl', process.env.PATH);
const skip = KUBECTL
  ? false
  : 'kubectl is not installed on this machine (not found in PATH), so the kubectl agreement tests cannot run';
const NS = 'production';
const REPO = 'ghcr.io/mobius/preview-worker';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl asynchronously (the simulator lives in this process and must keep serving). */
function kubectl(sim: KubeSim, args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL as string,
      args,
      {
        env: { ...process.env, KUBECONFIG: sim.kubeconfigPath },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

describe('kubectl agrees with kube-sim', { skip }, () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 40 });
    await sim.seedDeployment({ namespace: NS, name: 'preview-worker', image: `${REPO}:1.0.0`, replicas: 3 });
  });
  after(() => sim.close());

  it('kubectl get pods -o json lists the same pods, phases and readiness', async () => {
    const r = await kubectl(sim, ['get', 'pods', '-n', NS, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { kind: string; items: KObj[] };
    assert.equal(list.kind, 'List');
    const mine = sim.list('pods', NS);
    assert.deepEqual(
      list.items.map((p) => [p.metadata.name, p.status.phase, p.metadata.uid]).sort(),
      mine.map((p) => [p.metadata.name, p.status.phase, p.metadata.uid]).sort(),
    );
    const table = await kubectl(sim, [
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/name=preview-worker',
    ]);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trim().split('\n');
    assert.match(rows[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.equal(rows.length, 4);
    for (const row of rows.slice(1)) assert.match(row, /^preview-worker-\S+\s+1\/1\s+Running\s+0\s+/);
    const nodes = await kubectl(sim, ['get', 'nodes', '-o', 'name']);
    assert.equal(nodes.code, 0, nodes.stderr);
    const nodeNames = nodes.stdout
      .trim()
      .split('\n')
      .map((n) => n.replace('node/', ''));
    for (const p of mine)
      assert.ok(nodeNames.includes(p.spec.nodeName), `pod ${p.metadata.name} runs on a node kubectl lists`);
  });

  it('kubectl rollout status exits 0 when a rollout completes, watching it progress', async () => {
    sim.setDeploymentImage(NS, 'preview-worker', `${REPO}:1.1.0`);
    const r = await kubectl(sim, [
      'rollout',
      'status',
      'deployment/preview-worker',
      '-n',
      NS,
      '--timeout=20s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment "preview-worker" successfully rolled out/);
    const d = sim.get('deployments', NS, 'preview-worker');
    assert.equal(d?.status.updatedReplicas, 3);
    assert.equal(d?.metadata.annotations[REVISION], '2');
  });

  it('kubectl logs returns the lines the test set (and --tail)', async () => {
    const pod = sim.podsOf(NS, 'preview-worker')[0].metadata.name;
    sim.setPodLogs(NS, pod, ['{"level":30,"msg":"one"}', '{"level":50,"msg":"two"}', 'three']);
    const all = await kubectl(sim, ['logs', '-n', NS, pod]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, '{"level":30,"msg":"one"}\n{"level":50,"msg":"two"}\nthree\n');
    const tail = await kubectl(sim, ['logs', '-n', NS, pod, '--tail=1']);
    assert.equal(tail.stdout, 'three\n');
    const prev = await kubectl(sim, ['logs', '-n', NS, pod, '--previous']);
    assert.notEqual(prev.code, 0);
    assert.match(prev.stderr, new RegExp(`previous terminated container "worker" in pod "${pod}" not found`));
  });

  it('kubectl logs -f streams appended lines and ends when the pod is deleted', async () => {
    const pod = sim.podsOf(NS, 'preview-worker')[1].metadata.name;
    sim.setPodLogs(NS, pod, ['before follow']);
    const child = spawn(KUBECTL as string, ['logs', '-f', '-n', NS, pod], {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await sim.waitFor(() => out.includes('before follow'), {
        message: 'kubectl to print the existing line',
      });
      sim.appendPodLog(NS, pod, ['appended while following']);
      await sim.waitFor(() => out.includes('appended while following'), {
        message: 'kubectl to print the appended line',
      });
      sim.delete('pods', NS, pod);
      assert.equal(await exited, 0);
      assert.equal(out, 'before follow\nappended while following\n');
    } finally {
      if (child.exitCode === null) child.kill();
    }
    await sim.waitForRollout(NS, 'preview-worker');
  });

  it('kubectl get pods -w prints table rows for watch events (Pending → Running, Terminating)', async () => {
    const child = spawn(KUBECTL as string, ['get', 'pods', '-w', '-n', NS], {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c.toString();
    });
    try {
      await sim.waitFor(() => out.includes('preview-worker-'), { message: 'the initial rows' });
      const victim = sim.podsOf(NS, 'preview-worker')[0].metadata.name;
      sim.delete('pods', NS, victim);
      await sim.waitFor(() => new RegExp(`${victim}\\s+1/1\\s+Terminating`).test(out), {
        message: 'a Terminating row',
      });
      await sim.waitFor(() => /\s0\/1\s+(Pending|ContainerCreating)\s/.test(out), {
        message: 'the replacement pod row',
      });
      assert.match(out.split('\n')[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    } finally {
      child.kill();
    }
    await sim.waitForRollout(NS, 'preview-worker');
  });

  it('kubectl rollout undo reuses the old ReplicaSet and kubectl rollout history agrees with the revisions', async () => {
    const before = sim.replicaSetsOf(NS, 'preview-worker');
    const undo = await kubectl(sim, ['rollout', 'undo', 'deployment/preview-worker', '-n', NS]);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, /deployment.apps\/preview-worker rolled back/);
    const status = await kubectl(sim, [
      'rollout',
      'status',
      'deployment/preview-worker',
      '-n',
      NS,
      '--timeout=20s',
    ]);
    assert.equal(status.code, 0, status.stderr);
    const after = sim.replicaSetsOf(NS, 'preview-worker');
    assert.equal(after.length, before.length, 'no new ReplicaSet on rollback');
    const revisions = after.map((rs) => Number(rs.metadata.annotations[REVISION])).sort((a, b) => a - b);
    assert.deepEqual(revisions, [2, 3]);
    const reused = after.find((rs) => rs.metadata.annotations[REVISION] === '3');
    assert.equal(reused?.spec.template.spec.containers[0].image, `${REPO}:1.0.0`);
    const history = await kubectl(sim, ['rollout', 'history', 'deployment/preview-worker', '-n', NS]);
    assert.equal(history.code, 0, history.stderr);
    const listed = history.stdout
      .split('\n')
      .map((l) => /^(\d+)\s+/.exec(l)?.[1])
      .filter(Boolean)
      .map(Number);
    assert.deepEqual(listed, revisions);
    const rev3 = await kubectl(sim, [
      'rollout',
      'history',
      'deployment/preview-worker',
      '-n',
      NS,
      '--revision=3',
    ]);
    assert.match(rev3.stdout, new RegExp(`Image:\\s+${REPO.replace(/\./g, '\\.')}:1\\.0\\.0`));
  });

  it('kubectl apply --server-side (and its server dry run) and kubectl scale go through the simulator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    try {
      const file = join(dir, 'cm.yaml');
      writeFileSync(
        file,
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ${NS}\ndata:\n  mode: fast\n`,
      );
      const dry = await kubectl(sim, ['apply', '--server-side', '--dry-run=server', '-f', file]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(sim.get('configmaps', NS, 'applied'), undefined);
      const real = await kubectl(sim, ['apply', '--server-side', '-f', file]);
      assert.equal(real.code, 0, real.stderr);
      const cm = sim.get('configmaps', NS, 'applied');
      assert.equal(cm?.data.mode, 'fast');
      assert.equal(cm?.metadata.managedFields[0].manager, 'kubectl');
      assert.equal(cm?.metadata.managedFields[0].operation, 'Apply');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const scale = await kubectl(sim, ['scale', 'deployment/preview-worker', '-n', NS, '--replicas=4']);
    assert.equal(scale.code, 0, scale.stderr);
    await sim.waitFor(() => sim.get('deployments', NS, 'preview-worker')?.status?.readyReplicas === 4);
  });

  it('kubectl create (protobuf bodies) makes namespaces, secrets and deployments the simulator runs', async () => {
    const ns = await kubectl(sim, ['create', 'namespace', 'scratch']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(sim.get('namespaces', undefined, 'scratch')?.status.phase, 'Active');
    const secret = await kubectl(sim, [
      'create',
      'secret',
      'generic',
      'creds',
      '--from-literal=token=abc',
      '-n',
      'scratch',
    ]);
    assert.equal(secret.code, 0, secret.stderr);
    assert.equal(sim.get('secrets', 'scratch', 'creds')?.data.token, Buffer.from('abc').toString('base64'));
    const dep = await kubectl(sim, [
      'create',
      'deployment',
      'web',
      '--image=example/web:1',
      '--replicas=2',
      '--port=8080',
      '-n',
      'scratch',
    ]);
    assert.equal(dep.code, 0, dep.stderr);
    const created = sim.get('deployments', 'scratch', 'web');
    assert.equal(created?.spec.replicas, 2);
    assert.deepEqual(created?.spec.selector, { matchLabels: { app: 'web' } });
    assert.equal(created?.spec.template.spec.containers[0].image, 'example/web:1');
    assert.equal(created?.spec.template.spec.containers[0].ports[0].containerPort, 8080);
    const status = await kubectl(sim, [
      'rollout',
      'status',
      'deployment/web',
      '-n',
      'scratch',
      '--timeout=20s',
    ]);
    assert.equal(status.code, 0, status.stderr);
  });

  it('kubectl top pods and top nodes read metrics.k8s.io', async () => {
    const pod = sim.podsOf(NS, 'preview-worker')[0].metadata.name;
    sim.setPodMetrics(NS, pod, { cpu: '250000000n', memory: '150Mi' });
    const pods = await kubectl(sim, ['top', 'pods', '-n', NS]);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, new RegExp(`${pod}\\s+250m\\s+150Mi`));
    const nodes = await kubectl(sim, ['top', 'nodes']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.equal((nodes.stdout.match(/^kube-sim-node-\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/gm) ?? []).length, 3);
  });

  it('kubectl auth can-i honours the simulator denials', async () => {
    const undo = sim.deny({ verb: 'delete', resource: 'deployments', namespace: NS });
    const no = await kubectl(sim, ['auth', 'can-i', 'delete', 'deployments', '-n', NS]);
    assert.equal(no.stdout.trim(), 'no');
    undo();
    const yes = await kubectl(sim, ['auth', 'can-i', 'delete', 'deployments', '-n', NS]);
    assert.equal(yes.stdout.trim(), 'yes');
    assert.equal(yes.code, 0);
  });
});

describe('kubectl sees a failed rollout', { skip }, () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 40, progressDeadlineScale: 0.1 });
    await sim.seedDeployment({
      namespace: NS,
      name: 'preview-worker',
      image: `${REPO}:1.0.0`,
      replicas: 2,
      progressDeadlineSeconds: 20,
    });
  });
  after(() => sim.close());

  it('kubectl rollout status fails with "exceeded its progress deadline" on ProgressDeadlineExceeded', async () => {
    sim.setImageBehavior(`${REPO}:bad`, { kind: 'crashloop', restartIntervalMs: 200 });
    sim.setDeploymentImage(NS, 'preview-worker', `${REPO}:bad`);
    const r = await kubectl(sim, [
      'rollout',
      'status',
      'deployment/preview-worker',
      '-n',
      NS,
      '--timeout=20s',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment "preview-worker" exceeded its progress deadline/);
    const d = sim.get('deployments', NS, 'preview-worker');
    const progressing = d?.status.conditions.find((c: KObj) => c.type === 'Progressing');
    assert.equal(progressing?.reason, 'ProgressDeadlineExceeded');
    const pods = await kubectl(sim, ['get', 'pods', '-n', NS]);
    assert.match(pods.stdout, /CrashLoopBackOff|Error/);
  });
});
