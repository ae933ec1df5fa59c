// kube-sim's controllers: rollouts with ReplicaSets and revisions as the real deployment
// controller makes them, rollback reuse and renumbering, pausing, history pruning, the progress
// deadline, the pod behaviors per image, events, and endpoints that follow ready pods.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type KObj, type KubeSim, REVISION, startKubeSim } from '../support/kube-sim/index.js';

const REPO = 'ghcr.io/mobius/preview-worker';

function condition(obj: KObj | undefined, type: string): KObj | undefined {
  return (obj?.status?.conditions ?? []).find((c: KObj) => c.type === type);
}

function eventsFor(sim: KubeSim, ns: string, name: string): KObj[] {
  return sim.list('events', ns).filter((e) => e.involvedObject.name === name);
}

describe('kube-sim deployment controller', () => {
  let sim: KubeSim;
  let apps: AppsV1Api;
  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 30 });
    apps = sim.kubeConfig().makeApiClient(AppsV1Api);
  });
  after(() => sim.close());

  it('rolls out a new template through a new ReplicaSet with the next revision, within maxSurge/maxUnavailable', async () => {
    const ns = 'rollout';
    await sim.seedDeployment({ namespace: ns, name: 'preview-worker', image: `${REPO}:1.0.0`, replicas: 3 });
    const [rs1] = sim.replicaSetsOf(ns, 'preview-worker');
    const hash1 = rs1.metadata.labels['pod-template-hash'];
    assert.equal(rs1.metadata.name, `preview-worker-${hash1}`);
    assert.equal(rs1.metadata.annotations[REVISION], '1');
    for (const pod of sim.podsOf(ns, 'preview-worker')) {
      assert.match(
        pod.metadata.name,
        new RegExp(`^preview-worker-${hash1}-[bcdfghjklmnpqrstvwxz2456789]{5}$`),
      );
      assert.deepEqual(
        pod.metadata.ownerReferences.map((r: KObj) => [r.kind, r.name, r.controller]),
        [['ReplicaSet', rs1.metadata.name, true]],
      );
    }
    let maxPods = 0;
    let minReady = 3;
    const watcher = sim.waitFor(() => {
      const pods = sim.podsOf(ns, 'preview-worker');
      maxPods = Math.max(maxPods, pods.length);
      const ready = pods.filter((p) => condition(p, 'Ready')?.status === 'True').length;
      minReady = Math.min(minReady, ready);
      const d = sim.get('deployments', ns, 'preview-worker');
      return (
        d?.metadata.generation === 2 &&
        d.status?.updatedReplicas === 3 &&
        d.status?.replicas === 3 &&
        d.status?.availableReplicas === 3
      );
    });
    sim.setDeploymentImage(ns, 'preview-worker', `${REPO}:1.1.0`);
    await watcher;
    assert.ok(maxPods <= 4, `never more than replicas + maxSurge(1) pods, saw ${maxPods}`);
    assert.ok(minReady >= 3, `never fewer than replicas - maxUnavailable(0) ready pods, saw ${minReady}`);
    const d = await sim.waitForRollout(ns, 'preview-worker');
    const rss = sim.replicaSetsOf(ns, 'preview-worker');
    assert.equal(rss.length, 2);
    assert.deepEqual(
      rss.map((r) => [r.metadata.annotations[REVISION], r.spec.replicas]),
      [
        ['1', 0],
        ['2', 3],
      ],
    );
    assert.equal(d.metadata.annotations[REVISION], '2');
    assert.equal(d.status.observedGeneration, d.metadata.generation);
    assert.equal(condition(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(
      condition(d, 'Progressing')?.message,
      `ReplicaSet "${rss[1].metadata.name}" has successfully progressed.`,
    );
    assert.equal(condition(d, 'Available')?.reason, 'MinimumReplicasAvailable');
    const scaling = eventsFor(sim, ns, 'preview-worker').filter((e) => e.reason === 'ScalingReplicaSet');
    assert.ok(scaling.some((e) => e.message === `Scaled up replica set ${rss[1].metadata.name} from 0 to 1`));
    assert.ok(
      scaling.some((e) => e.message === `Scaled down replica set ${rss[0].metadata.name} from 1 to 0`),
    );
  });

  it('reuses and renumbers the old ReplicaSet on rollback (the kubectl rollout undo patch)', async () => {
    const ns = 'rollout';
    const [old, current] = sim.replicaSetsOf(ns, 'preview-worker');
    const template = structuredClone(old.spec.template);
    delete template.metadata.labels['pod-template-hash'];
    await apps.patchNamespacedDeployment(
      {
        name: 'preview-worker',
        namespace: ns,
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'replace', path: '/metadata/annotations', value: { [REVISION]: '2' } },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const d = await sim.waitFor(() => {
      const dep = sim.get('deployments', ns, 'preview-worker');
      return dep?.metadata.generation === 3 &&
        dep.status?.observedGeneration === 3 &&
        dep.status?.updatedReplicas === 3 &&
        dep.status?.replicas === 3 &&
        dep.status?.availableReplicas === 3
        ? dep
        : undefined;
    });
    const rss = sim.replicaSetsOf(ns, 'preview-worker');
    assert.equal(rss.length, 2, 'no new ReplicaSet');
    const reused = rss.find((r) => r.metadata.uid === old.metadata.uid);
    assert.ok(reused, 'the old ReplicaSet is reused');
    assert.equal(reused.metadata.annotations[REVISION], '3');
    assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(reused.spec.replicas, 3);
    assert.equal(sim.get('replicasets', ns, current.metadata.name)?.spec.replicas, 0);
    assert.equal(d.metadata.annotations[REVISION], '3');
  });

  it('settled() waits for the steady state: a finished rollout, or a stuck one with crash-looping pods', async () => {
    const ns = 'settle';
    await sim.seedDeployment({ namespace: ns, name: 'w', image: `${REPO}:1`, replicas: 2, hpa: false });
    sim.setDeploymentImage(ns, 'w', `${REPO}:2`);
    await sim.settled();
    const done = sim.get('deployments', ns, 'w');
    assert.equal(done?.status.updatedReplicas, 2);
    assert.equal(done?.status.availableReplicas, 2);
    assert.equal(condition(done, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    sim.setImageBehavior(`${REPO}:broken`, { kind: 'crashloop', restartIntervalMs: 60_000 });
    sim.setDeploymentImage(ns, 'w', `${REPO}:broken`);
    await sim.settled();
    const pods = sim.podsOf(ns, 'w');
    const broken = pods.filter((p) => p.spec.containers[0].image === `${REPO}:broken`);
    assert.equal(broken.length, 1, 'maxSurge 1 / maxUnavailable 0: one new pod, stuck');
    assert.equal(broken[0].status.containerStatuses[0].state.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(pods.length, 3);
  });

  it('prunes old ReplicaSets beyond revisionHistoryLimit', async () => {
    const ns = 'history';
    await sim.seedDeployment({
      namespace: ns,
      name: 'w',
      image: `${REPO}:1`,
      replicas: 1,
      revisionHistoryLimit: 1,
      hpa: false,
    });
    for (const tag of ['2', '3', '4']) {
      sim.setDeploymentImage(ns, 'w', `${REPO}:${tag}`);
      await sim.waitFor(() => {
        const d = sim.get('deployments', ns, 'w');
        return (
          d &&
          d.status?.observedGeneration === d.metadata.generation &&
          d.status?.updatedReplicas === 1 &&
          d.status?.replicas === 1
        );
      });
    }
    const rss = await sim.waitFor(() => {
      const list = sim.replicaSetsOf(ns, 'w');
      return list.length === 2 ? list : undefined;
    });
    assert.deepEqual(
      rss.map((r) => r.metadata.annotations[REVISION]),
      ['3', '4'],
    );
  });

  it('does not roll out a paused deployment until it is resumed', async () => {
    const ns = 'paused';
    await sim.seedDeployment({ namespace: ns, name: 'w', image: `${REPO}:1`, replicas: 1, hpa: false });
    sim.mutate('deployments', ns, 'w', (d) => {
      d.spec.paused = true;
    });
    sim.setDeploymentImage(ns, 'w', `${REPO}:2`);
    const paused = await sim.waitFor(() => {
      const d = sim.get('deployments', ns, 'w');
      return condition(d, 'Progressing')?.reason === 'DeploymentPaused' ? d : undefined;
    });
    assert.equal(condition(paused, 'Progressing')?.status, 'Unknown');
    assert.equal(sim.replicaSetsOf(ns, 'w').length, 1, 'no ReplicaSet while paused');
    sim.mutate('deployments', ns, 'w', (d) => {
      d.spec.paused = false;
    });
    await sim.waitForRollout(ns, 'w');
    assert.equal(sim.replicaSetsOf(ns, 'w').length, 2);
  });

  it('marks a stuck rollout ProgressDeadlineExceeded after progressDeadlineSeconds × scale', async () => {
    const local = await startKubeSim({ readyDelayMs: 30, progressDeadlineScale: 0.2 });
    try {
      await local.seedDeployment({
        namespace: 'p',
        name: 'w',
        image: `${REPO}:1`,
        replicas: 2,
        progressDeadlineSeconds: 2,
        hpa: false,
      });
      local.setImageBehavior(`${REPO}:bad`, { kind: 'crashloop', restartIntervalMs: 100 });
      local.setDeploymentImage('p', 'w', `${REPO}:bad`);
      const d = await local.waitFor(
        () => {
          const dep = local.get('deployments', 'p', 'w');
          return condition(dep, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? dep : undefined;
        },
        { timeoutMs: 10_000, message: 'ProgressDeadlineExceeded' },
      );
      const newRs = local.replicaSetsOf('p', 'w').pop();
      assert.equal(condition(d, 'Progressing')?.status, 'False');
      assert.equal(
        condition(d, 'Progressing')?.message,
        `ReplicaSet "${newRs?.metadata.name}" has timed out progressing.`,
      );
      assert.equal(d.status.availableReplicas, 2, 'the old pods keep serving');
    } finally {
      await local.close();
    }
  });

  it('keeps Endpoints and EndpointSlices on the ready pods matching the Service selector', async () => {
    const ns = 'endpoints';
    const seeded = await sim.seedDeployment({
      namespace: ns,
      name: 'w',
      image: `${REPO}:1`,
      replicas: 2,
      hpa: false,
    });
    const ips = seeded.pods.map((p) => p.status.podIP).sort();
    const ep = await sim.waitFor(() => {
      const e = sim.get('endpoints', ns, 'w');
      return e?.subsets?.[0]?.addresses?.length === 2 ? e : undefined;
    });
    assert.deepEqual(ep.subsets[0].addresses.map((a: KObj) => a.ip).sort(), ips);
    assert.deepEqual(ep.subsets[0].ports, [{ name: 'http', port: 3000, protocol: 'TCP' }]);
    const slice = sim.list('endpointslices', ns, { labelSelector: 'kubernetes.io/service-name=w' })[0];
    assert.deepEqual(slice.endpoints.map((e: KObj) => e.addresses[0]).sort(), ips);
    assert.ok(slice.endpoints.every((e: KObj) => e.conditions.ready === true));
    sim.mutate('deployments', ns, 'w', (d) => {
      d.spec.replicas = 0;
    });
    await sim.waitFor(() => sim.get('endpoints', ns, 'w') && !sim.get('endpoints', ns, 'w')?.subsets);
  });
  it('replaces all pods at once with the Recreate strategy', async () => {
    const ns = 'recreate';
    await sim.seedDeployment({
      namespace: ns,
      name: 'w',
      image: `${REPO}:1`,
      replicas: 2,
      hpa: false,
      service: false,
    });
    sim.mutate('deployments', ns, 'w', (d) => {
      d.spec.strategy = { type: 'Recreate' };
    });
    await sim.waitForRollout(ns, 'w');
    let mixed = false;
    const done = sim.waitFor(() => {
      const images = new Set(sim.podsOf(ns, 'w').map((p) => p.spec.containers[0].image));
      if (images.size > 1) mixed = true;
      const d = sim.get('deployments', ns, 'w');
      return (
        d?.metadata.generation === d?.status?.observedGeneration &&
        d?.status?.updatedReplicas === 2 &&
        d?.status?.availableReplicas === 2 &&
        images.size === 1 &&
        images.has(`${REPO}:2`)
      );
    });
    sim.setDeploymentImage(ns, 'w', `${REPO}:2`);
    await done;
    assert.equal(mixed, false, 'old and new pods never run together');
  });

  it('binds PersistentVolumeClaims and keeps PodDisruptionBudget status on the matching pods', async () => {
    const ns = 'storage';
    await sim.seedDeployment({ namespace: ns, name: 'w', image: `${REPO}:1`, replicas: 3, hpa: false });
    sim.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } } },
    });
    const pvc = await sim.waitFor(() => {
      const c = sim.get('persistentvolumeclaims', ns, 'data');
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    assert.deepEqual(pvc.status.capacity, { storage: '10Gi' });
    assert.deepEqual(pvc.status.accessModes, ['ReadWriteMany']);
    assert.match(pvc.spec.volumeName, /^pvc-/);
    sim.create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'w', namespace: ns },
      spec: { minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': 'w' } } },
    });
    const pdb = await sim.waitFor(() => {
      const b = sim.get('poddisruptionbudgets', ns, 'w');
      return b?.status?.expectedPods === 3 ? b : undefined;
    });
    assert.equal(pdb.status.currentHealthy, 3);
    assert.equal(pdb.status.desiredHealthy, 2);
    assert.equal(pdb.status.disruptionsAllowed, 1);
  });

  it('keeps an HPA status for its target, with ScalingActive False while metrics are absent', async () => {
    const ns = 'hpa';
    await sim.seedDeployment({ namespace: ns, name: 'w', image: `${REPO}:1`, replicas: 2 });
    const hpa = await sim.waitFor(() => {
      const h = sim.get('horizontalpodautoscalers', ns, 'w');
      return h?.status?.currentReplicas === 2 ? h : undefined;
    });
    assert.equal(hpa.status.desiredReplicas, 2);
    assert.equal(condition(hpa, 'ScalingActive')?.status, 'True');
    sim.disableMetricsApi();
    try {
      const off = await sim.waitFor(() => {
        const h = sim.get('horizontalpodautoscalers', ns, 'w');
        return condition(h, 'ScalingActive')?.status === 'False' ? h : undefined;
      });
      assert.equal(condition(off, 'ScalingActive')?.reason, 'FailedGetResourceMetric');
    } finally {
      sim.enableMetricsApi();
    }
  });
});

describe('kube-sim pod termination and minReadySeconds', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 30, podTerminationMs: 300 });
  });
  after(() => sim.close());

  it('keeps a deleted pod Terminating for a while, replaces it at once and takes it out of the Endpoints', async () => {
    const ns = 'terminating';
    const seeded = await sim.seedDeployment({
      namespace: ns,
      name: 'w',
      image: `${REPO}:1`,
      replicas: 2,
      hpa: false,
    });
    const victim = seeded.pods[0].metadata.name;
    const core = sim.kubeConfig().makeApiClient(CoreV1Api);
    const answer = await core.deleteNamespacedPod({ name: victim, namespace: ns });
    assert.ok(answer.metadata?.deletionTimestamp, 'the DELETE answers with the Terminating pod');
    assert.equal(answer.metadata?.deletionGracePeriodSeconds, 30);
    const still = sim.get('pods', ns, victim);
    assert.ok(still?.metadata.deletionTimestamp, 'the pod is still there, Terminating');
    const killing = eventsFor(sim, ns, victim).find((e) => e.reason === 'Killing');
    assert.equal(killing?.message, 'Stopping container worker');
    const replaced = await sim.waitFor(() => {
      const live = sim.podsOf(ns, 'w').filter((p) => !p.metadata.deletionTimestamp);
      return live.length === 2 && sim.get('pods', ns, victim) ? live : undefined;
    });
    assert.ok(!replaced.some((p) => p.metadata.name === victim));
    const ep = sim.get('endpoints', ns, 'w');
    const listed = [
      ...(ep?.subsets?.[0]?.addresses ?? []),
      ...(ep?.subsets?.[0]?.notReadyAddresses ?? []),
    ].map((a: KObj) => a.targetRef.name);
    assert.ok(!listed.includes(victim), 'a Terminating pod is not an endpoint');
    await sim.waitFor(() => !sim.get('pods', ns, victim), { message: 'the Terminating pod to go away' });
  });

  it('counts pods as available only after minReadySeconds', async () => {
    const ns = 'minready';
    sim.createNamespace(ns);
    const apps = sim.kubeConfig().makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'slow' },
        spec: {
          replicas: 2,
          minReadySeconds: 1,
          selector: { matchLabels: { app: 'slow' } },
          template: {
            metadata: { labels: { app: 'slow' } },
            spec: { containers: [{ name: 'c', image: `${REPO}:1` }] },
          },
        },
      },
    });
    const firstReady = await sim.waitFor(() => {
      const d = sim.get('deployments', ns, 'slow');
      return d?.status?.readyReplicas === 2 ? d : undefined;
    });
    assert.notEqual(firstReady.status.availableReplicas, 2, 'ready is not yet available');
    const d = await sim.waitForRollout(ns, 'slow');
    assert.equal(d.status.availableReplicas, 2);
  });
});

describe('kube-sim pod behaviors per image', () => {
  let sim: KubeSim;
  const ns = 'behaviors';
  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 30 });
    sim.createNamespace(ns);
  });
  after(() => sim.close());

  async function podWith(
    image: string,
    behavior: Parameters<KubeSim['setImageBehavior']>[1],
    until: (p: KObj) => boolean,
  ) {
    sim.setImageBehavior(image, behavior);
    const name = image.split(':')[1];
    await sim.seedDeployment({
      namespace: ns,
      name,
      image,
      replicas: 1,
      hpa: false,
      service: false,
      wait: false,
    });
    return sim.waitFor(
      () => {
        const p = sim.podsOf(ns, name)[0];
        return p && until(p) ? p : undefined;
      },
      { message: `${name} pod state` },
    );
  }

  it('crashloop: CrashLoopBackOff, climbing restartCount, lastState.terminated and BackOff events', async () => {
    const pod = await podWith(
      `${REPO}:crash`,
      { kind: 'crashloop', restartIntervalMs: 40, message: 'Error: REDIS_URL is not set' },
      (p) => p.status?.containerStatuses?.[0]?.restartCount >= 2,
    );
    const cs = pod.status.containerStatuses[0];
    assert.equal(pod.status.phase, 'Running');
    assert.equal(cs.ready, false);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.equal(cs.lastState.terminated.message, 'Error: REDIS_URL is not set');
    assert.match(cs.lastState.terminated.finishedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(condition(pod, 'Ready')?.reason, 'ContainersNotReady');
    const backoff = eventsFor(sim, ns, pod.metadata.name).find((e) => e.reason === 'BackOff');
    assert.equal(backoff?.type, 'Warning');
    assert.match(backoff?.message, /^Back-off restarting failed container worker in pod /);
    const waiting = await sim.waitFor(() => {
      const p = sim.get('pods', ns, pod.metadata.name);
      return p?.status.containerStatuses[0].state.waiting ? p : undefined;
    });
    assert.equal(waiting.status.containerStatuses[0].state.waiting.reason, 'CrashLoopBackOff');
    assert.match(
      waiting.status.containerStatuses[0].state.waiting.message,
      /^back-off \d+[sm].* restarting failed container=worker pod=/,
    );
  });

  it('imagepull: ErrImagePull then ImagePullBackOff with messages and Failed events', async () => {
    const pod = await podWith(
      `${REPO}:nopull`,
      'imagepull',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(
      pod.status.containerStatuses[0].state.waiting.message,
      `Back-off pulling image "${REPO}:nopull"`,
    );
    const reasons = eventsFor(sim, ns, pod.metadata.name).map((e) => `${e.type}/${e.reason}/${e.message}`);
    assert.ok(reasons.includes('Warning/Failed/Error: ErrImagePull'));
    assert.ok(reasons.includes('Warning/Failed/Error: ImagePullBackOff'));
    assert.ok(reasons.some((r) => r.startsWith(`Warning/Failed/Failed to pull image "${REPO}:nopull": `)));
  });

  it('oomkilled: lastState.terminated OOMKilled with exit code 137 and restarts', async () => {
    const pod = await podWith(
      `${REPO}:oom`,
      { kind: 'oomkilled', restartIntervalMs: 40 },
      (p) => p.status?.containerStatuses?.[0]?.restartCount >= 1,
    );
    const t = pod.status.containerStatuses[0].lastState.terminated;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
  });

  it('pending: PodScheduled False Unschedulable and a FailedScheduling event', async () => {
    const pod = await podWith(
      `${REPO}:big`,
      'pending',
      (p) => condition(p, 'PodScheduled')?.status === 'False',
    );
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.spec.nodeName, undefined);
    const c = condition(pod, 'PodScheduled');
    assert.equal(c?.reason, 'Unschedulable');
    assert.match(c?.message, /^0\/3 nodes are available: 3 Insufficient memory\./);
    const ev = await sim.waitFor(() =>
      eventsFor(sim, ns, pod.metadata.name).find((e) => e.reason === 'FailedScheduling'),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.source.component, 'default-scheduler');
  });

  it('createconfigerror: waiting CreateContainerConfigError', async () => {
    const pod = await podWith(
      `${REPO}:nosecret`,
      'createconfigerror',
      (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message,
    );
    const w = pod.status.containerStatuses[0].state.waiting;
    assert.equal(w.reason, 'CreateContainerConfigError');
    assert.equal(w.message, 'secret "preview-worker-secrets" not found');
  });

  it('readiness-failing: running but not ready, with Unhealthy events', async () => {
    const pod = await podWith(
      `${REPO}:unready`,
      { kind: 'readiness-failing', restartIntervalMs: 40 },
      (p) => p.status?.phase === 'Running',
    );
    assert.equal(pod.status.containerStatuses[0].ready, false);
    assert.ok(pod.status.containerStatuses[0].state.running);
    const ev = await sim.waitFor(() =>
      eventsFor(sim, ns, pod.metadata.name).find((e) => e.reason === 'Unhealthy' && e.count >= 2),
    );
    assert.equal(ev.message, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    assert.equal(ev.type, 'Warning');
  });
});
