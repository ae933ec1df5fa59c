// kube-sim as an API server, driven through @kubernetes/client-node: CRUD, Status errors,
// optimistic concurrency, generation rules, selectors, every PATCH type, server-side apply,
// dry runs, cascading deletes, discovery and watch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  Watch,
} from '@kubernetes/client-node';
import { type KObj, type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'api-tests';

function deployment(name: string, image = 'example/app:1', replicas = 1): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: KObj }> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${err}`);
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, body };
  }
  assert.fail('the request was expected to fail');
}

describe('kube-sim REST semantics through client-node', () => {
  let sim: KubeSim;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 30, requireToken: true, namespaceTerminationMs: 1500 });
    const kc = sim.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  });
  after(() => sim.close());

  it('creates, reads, lists and deletes a ConfigMap with server-set metadata', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'settings', labels: { tier: 'a' } }, data: { k: 'v' } },
    });
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(created.metadata?.creationTimestamp?.toISOString() ?? '', /^\d{4}-/);
    assert.ok(Number(created.metadata?.resourceVersion) > 0);
    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: NS });
    assert.equal(read.data?.k, 'v');
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    assert.equal(list.kind, 'ConfigMapList');
    assert.ok(Number(list.metadata?.resourceVersion) >= Number(created.metadata?.resourceVersion));
    assert.deepEqual(
      list.items.map((i) => i.metadata?.name),
      ['settings'],
    );
    await core.deleteNamespacedConfigMap({ name: 'settings', namespace: NS });
    const gone = await apiError(core.readNamespacedConfigMap({ name: 'settings', namespace: NS }));
    assert.equal(gone.code, 404);
    assert.equal(gone.body.kind, 'Status');
    assert.equal(gone.body.reason, 'NotFound');
    assert.equal(gone.body.message, 'configmaps "settings" not found');
    assert.deepEqual(gone.body.details, { name: 'settings', kind: 'configmaps' });
  });

  it('rejects a wrong token with 401 and a duplicate create with 409 AlreadyExists', async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    const secret = await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: 'dup' }, stringData: { a: 'b' } },
    });
    assert.deepEqual(
      secret.data,
      { a: Buffer.from('b').toString('base64') },
      'stringData is folded into data',
    );
    assert.equal(secret.stringData, undefined);
    assert.equal(secret.type, 'Opaque');
    const e = await apiError(
      core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'dup' } } }),
    );
    assert.equal(e.code, 409);
    assert.equal(e.body.reason, 'AlreadyExists');
    assert.equal(e.body.message, 'secrets "dup" already exists');
    const missingNs = await apiError(
      core.createNamespacedConfigMap({ namespace: 'nope', body: { metadata: { name: 'x' } } }),
    );
    assert.equal(missingNs.code, 404);
    assert.equal(missingNs.body.message, 'namespaces "nope" not found');
  });

  it('answers 409 Conflict for an update with a stale resourceVersion', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'occ' }, data: { n: '1' } },
    });
    const fresh = await core.replaceNamespacedConfigMap({
      name: 'occ',
      namespace: NS,
      body: { ...cm, data: { n: '2' } },
    });
    assert.notEqual(fresh.metadata?.resourceVersion, cm.metadata?.resourceVersion);
    const e = await apiError(
      core.replaceNamespacedConfigMap({ name: 'occ', namespace: NS, body: { ...cm, data: { n: '3' } } }),
    );
    assert.equal(e.code, 409);
    assert.equal(e.body.reason, 'Conflict');
    assert.equal(
      e.body.message,
      'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal((await core.readNamespacedConfigMap({ name: 'occ', namespace: NS })).data?.n, '2');
  });

  it('bumps generation on spec changes only, and ignores status on the main resource', async () => {
    const d = await apps.createNamespacedDeployment({ namespace: NS, body: deployment('gen') });
    assert.equal(d.metadata?.generation, 1);
    const labelled = await apps.patchNamespacedDeployment(
      { name: 'gen', namespace: NS, body: { metadata: { labels: { extra: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(labelled.metadata?.generation, 1, 'metadata-only change keeps generation');
    const scaled = await apps.patchNamespacedDeployment(
      { name: 'gen', namespace: NS, body: { spec: { replicas: 2 }, status: { replicas: 99 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(scaled.metadata?.generation, 2, 'spec change bumps generation');
    assert.notEqual(scaled.status?.replicas, 99, 'status is not writable through the main resource');
    const before = (await apps.readNamespacedDeployment({ name: 'gen', namespace: NS })).metadata?.generation;
    await apps.patchNamespacedDeploymentStatus(
      { name: 'gen', namespace: NS, body: { status: { observedGeneration: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.equal(
      (await apps.readNamespacedDeployment({ name: 'gen', namespace: NS })).metadata?.generation,
      before,
    );
  });

  it('validates like the API server: 422 Invalid with causes', async () => {
    const bad = deployment('bad');
    bad.spec!.template.metadata!.labels = { app: 'other' };
    const e = await apiError(apps.createNamespacedDeployment({ namespace: NS, body: bad }));
    assert.equal(e.code, 422);
    assert.equal(e.body.reason, 'Invalid');
    assert.match(
      e.body.message,
      /^Deployment\.apps "bad" is invalid: spec\.template\.metadata\.labels: Invalid value/,
    );
    assert.equal(e.body.details.causes[0].field, 'spec.template.metadata.labels');
    const badName = await apiError(
      core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'Bad_Name' } } }),
    );
    assert.equal(badName.code, 422);
    assert.match(badName.body.message, /a lowercase RFC 1123 subdomain/);
  });

  it('filters lists by label and field selectors, and pages with limit/continue', async () => {
    for (const [name, tier] of [
      ['sel-a', 'web'],
      ['sel-b', 'web'],
      ['sel-c', 'db'],
    ]) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name, labels: { tier, group: 'sel' } } },
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: NS, labelSelector, fieldSelector })).items.map(
        (i) => i.metadata?.name,
      );
    assert.deepEqual(await names('tier=web'), ['sel-a', 'sel-b']);
    assert.deepEqual(await names('group=sel,tier!=web'), ['sel-c']);
    assert.deepEqual(await names('tier in (db,cache)'), ['sel-c']);
    assert.deepEqual(await names('group=sel', 'metadata.name=sel-b'), ['sel-b']);
    const e = await apiError(core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'spec.foo=bar' }));
    assert.equal(e.code, 400);
    const page1 = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'group=sel', limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.ok(page1.metadata?._continue);
    const page2 = await core.listNamespacedConfigMap({
      namespace: NS,
      labelSelector: 'group=sel',
      limit: 2,
      _continue: page1.metadata?._continue,
    });
    assert.deepEqual(
      page2.items.map((i) => i.metadata?.name),
      ['sel-c'],
    );
  });

  it('applies strategic merge (containers by name), JSON merge and JSON patch', async () => {
    const body = deployment('patchy');
    body.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'example/sidecar:1' });
    await apps.createNamespacedDeployment({ namespace: NS, body });
    const smp = await apps.patchNamespacedDeployment(
      {
        name: 'patchy',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'example/app:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const cs = smp.spec?.template.spec?.containers ?? [];
    assert.deepEqual(
      cs.map((c) => `${c.name}=${c.image}`),
      ['main=example/app:2', 'sidecar=example/sidecar:1'],
      'strategic merge keeps the sidecar and updates main by name',
    );
    const merge = await apps.patchNamespacedDeployment(
      {
        name: 'patchy',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'example/only:1' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(
      merge.spec?.template.spec?.containers.map((c) => c.name),
      ['only'],
      'JSON merge patch replaces lists',
    );
    const jp = await apps.patchNamespacedDeployment(
      {
        name: 'patchy',
        namespace: NS,
        body: [
          { op: 'replace', path: '/spec/replicas', value: 3 },
          { op: 'add', path: '/metadata/annotations', value: { note: 'json-patch' } },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    assert.equal(jp.spec?.replicas, 3);
    assert.equal(jp.metadata?.annotations?.note, 'json-patch');
    const failed = await apiError(
      apps.patchNamespacedDeployment(
        { name: 'patchy', namespace: NS, body: [{ op: 'test', path: '/spec/replicas', value: 7 }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
    assert.equal(failed.code, 422);
  });

  it('server-side apply creates, records managedFields, detects conflicts and honours force and dryRun', async () => {
    const client = KubernetesObjectApi.makeApiClient(sim.kubeConfig());
    const spec = {
      ...deployment('applied', 'example/app:1', 2),
      metadata: { name: 'applied', namespace: NS, labels: { app: 'applied' } },
    };
    const dry = await client.patch(
      spec,
      undefined,
      'All',
      'deployer',
      undefined,
      PatchStrategy.ServerSideApply,
    );
    assert.equal(dry.metadata?.name, 'applied');
    assert.equal(sim.get('deployments', NS, 'applied'), undefined, 'dry-run apply stores nothing');
    const created = (await client.patch(
      spec,
      undefined,
      undefined,
      'deployer',
      undefined,
      PatchStrategy.ServerSideApply,
    )) as V1Deployment;
    assert.equal(created.spec?.replicas, 2);
    const mf = created.metadata?.managedFields ?? [];
    assert.equal(mf[0]?.manager, 'deployer');
    assert.equal(mf[0]?.operation, 'Apply');
    assert.ok(JSON.stringify(mf[0]?.fieldsV1).includes('f:replicas'));
    // another manager takes spec.replicas with an update
    await apps.patchNamespacedDeployment(
      { name: 'applied', namespace: NS, body: { spec: { replicas: 5 } }, fieldManager: 'hpa-like' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const conflict = await apiError(
      client.patch(spec, undefined, undefined, 'deployer', undefined, PatchStrategy.ServerSideApply),
    );
    assert.equal(conflict.code, 409);
    assert.match(
      conflict.body.message,
      /Apply failed with 1 conflict: conflict with "hpa-like" using apps\/v1: \.spec\.replicas/,
    );
    const forced = (await client.patch(
      spec,
      undefined,
      undefined,
      'deployer',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1Deployment;
    assert.equal(forced.spec?.replicas, 2);
    // a field dropped from the applied config is removed
    const noLabel = { ...spec, metadata: { name: 'applied', namespace: NS } };
    const pruned = (await client.patch(
      noLabel,
      undefined,
      undefined,
      'deployer',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1Deployment;
    assert.equal(pruned.metadata?.labels?.app, undefined);
    // dry run of an update returns the would-be object and stores nothing
    const dryUpdate = (await client.patch(
      { ...spec, spec: { ...spec.spec, replicas: 9 } },
      undefined,
      'All',
      'deployer',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1Deployment;
    assert.equal(dryUpdate.spec?.replicas, 9);
    assert.equal(sim.get('deployments', NS, 'applied')?.spec.replicas, 2);
  });

  it('dry-run create and delete change nothing', async () => {
    const res = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'dry' } },
      dryRun: 'All',
    });
    assert.equal(res.metadata?.name, 'dry');
    assert.equal(sim.get('configmaps', NS, 'dry'), undefined);
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dry' } } });
    await core.deleteNamespacedConfigMap({ name: 'dry', namespace: NS, dryRun: 'All' });
    assert.ok(sim.get('configmaps', NS, 'dry'));
  });

  it('cascades deletes: deployment → replicasets → pods, and namespace → contents (Terminating meanwhile)', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('cascade', 'example/app:1', 2) });
    await sim.waitForRollout(NS, 'cascade');
    assert.equal(sim.podsOf(NS, 'cascade').length, 2);
    const rsNames = sim.replicaSetsOf(NS, 'cascade').map((r) => r.metadata.name);
    await apps.deleteNamespacedDeployment({ name: 'cascade', namespace: NS });
    for (const n of rsNames) assert.equal(sim.get('replicasets', NS, n), undefined);
    assert.equal(sim.list('pods', NS, { labelSelector: 'app=cascade' }).length, 0);
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'inside' } } });
    const nsDel = (await core.deleteNamespace({ name: 'doomed' })) as unknown as {
      status?: { phase?: string };
    };
    assert.equal(nsDel.status?.phase, 'Terminating');
    assert.equal(sim.list('configmaps', 'doomed').length, 0);
    const refused = await apiError(
      core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }),
    );
    assert.equal(refused.code, 403);
    assert.equal(
      refused.body.message,
      'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await sim.waitFor(() => !sim.get('namespaces', undefined, 'doomed'), {
      message: 'the namespace to go away',
    });
    assert.equal((await apiError(core.readNamespace({ name: 'doomed' }))).code, 404);
  });

  it('serves discovery with kinds, verbs and short names', async () => {
    const res = await fetch(`${sim.url}/apis/apps/v1`, { headers: { Authorization: `Bearer ${sim.token}` } });
    const doc = (await res.json()) as {
      resources: { name: string; kind: string; shortNames?: string[]; verbs: string[] }[];
    };
    const deploy = doc.resources.find((r) => r.name === 'deployments');
    assert.equal(deploy?.kind, 'Deployment');
    assert.deepEqual(deploy?.shortNames, ['deploy']);
    assert.ok(deploy?.verbs.includes('watch'));
    assert.ok(doc.resources.some((r) => r.name === 'deployments/scale'));
    const core1 = (await (
      await fetch(`${sim.url}/api/v1`, { headers: { Authorization: `Bearer ${sim.token}` } })
    ).json()) as {
      resources: { name: string; shortNames?: string[] }[];
    };
    assert.deepEqual(core1.resources.find((r) => r.name === 'pods')?.shortNames, ['po']);
    assert.ok(core1.resources.some((r) => r.name === 'pods/log'));
  });

  it('watches from a resourceVersion with ADDED, MODIFIED and DELETED events', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const events: string[] = [];
    const watch = new Watch(sim.kubeConfig());
    const seen = new Promise<void>((resolve, reject) => {
      watch
        .watch(
          `/api/v1/namespaces/${NS}/configmaps`,
          { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watched=yes' },
          (type, obj) => {
            events.push(`${type}:${obj.metadata.name}:${obj.data?.v ?? ''}`);
            if (type === 'DELETED') resolve();
          },
          (err) => (err ? reject(err) : undefined),
        )
        .then((ctl) => {
          sim
            .waitFor(() => sim.requests().some((r) => r.query.includes('watch=true')))
            .then(async () => {
              await core.createNamespacedConfigMap({
                namespace: NS,
                body: { metadata: { name: 'w1', labels: { watched: 'yes' } }, data: { v: '1' } },
              });
              await core.createNamespacedConfigMap({
                namespace: NS,
                body: { metadata: { name: 'ignored' } },
              });
              await core.patchNamespacedConfigMap(
                { name: 'w1', namespace: NS, body: { data: { v: '2' } } },
                setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
              );
              await core.deleteNamespacedConfigMap({ name: 'w1', namespace: NS });
            });
          after(() => ctl.abort());
        });
    });
    await seen;
    assert.deepEqual(events, ['ADDED:w1:1', 'MODIFIED:w1:2', 'DELETED:w1:2']);
  });

  it('answers a watch from a too-old resourceVersion with a 410 Expired ERROR event', async () => {
    const res = await fetch(`${sim.url}/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=1`, {
      headers: { Authorization: `Bearer ${sim.token}` },
    });
    const text = await res.text();
    const ev = JSON.parse(text.trim());
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
  });

  it('runs a bare pod created through the API to Running and Ready, and reports it through the scale subresource', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'bare', labels: { kind: 'bare' } },
        spec: { containers: [{ name: 'c', image: 'example/app:1' }] },
      },
    });
    const pod = await sim.waitFor(() => {
      const p = sim.get('pods', NS, 'bare');
      return p?.status?.conditions?.some((c: KObj) => c.type === 'Ready' && c.status === 'True')
        ? p
        : undefined;
    });
    assert.equal(pod.status.phase, 'Running');
    assert.match(pod.spec.nodeName, /^kube-sim-node-\d$/);
    assert.match(pod.status.podIP, /^10\.244\./);
    const running = await core.listNamespacedPod({
      namespace: NS,
      fieldSelector: 'status.phase=Running',
      labelSelector: 'kind=bare',
    });
    assert.deepEqual(
      running.items.map((p) => p.metadata?.name),
      ['bare'],
    );
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('scaled', 'example/app:1', 1) });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'scaled', namespace: NS });
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.selector, 'app=scaled');
    await apps.patchNamespacedDeploymentScale(
      { name: 'scaled', namespace: NS, body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await sim.waitFor(() => sim.get('deployments', NS, 'scaled')?.status?.readyReplicas === 2);
  });

  it('orphans children with propagationPolicy=Orphan and deletes collections by selector', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('orphaner', 'example/app:1', 1),
    });
    await sim.waitForRollout(NS, 'orphaner');
    const [rs] = sim.replicaSetsOf(NS, 'orphaner');
    await apps.deleteNamespacedDeployment({ name: 'orphaner', namespace: NS, propagationPolicy: 'Orphan' });
    const kept = sim.get('replicasets', NS, rs.metadata.name);
    assert.ok(kept, 'the ReplicaSet survives');
    assert.equal(kept.metadata.ownerReferences, undefined, 'and no longer names its owner');
    for (const name of ['dc-1', 'dc-2']) {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name, labels: { batch: 'dc' } } },
      });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: NS, labelSelector: 'batch=dc' });
    assert.equal(sim.list('configmaps', NS, { labelSelector: 'batch=dc' }).length, 0);
  });

  it('feeds a client-node informer: initial list, then adds, updates and deletes', async () => {
    const kc = sim.kubeConfig();
    const informer = makeInformer(
      kc,
      `/api/v1/namespaces/${NS}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'informed=yes' }),
      'informed=yes',
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) =>
      seen.push(`update:${o.metadata?.name}:${(o as { data?: Record<string, string> }).data?.v}`),
    );
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'inf-0', labels: { informed: 'yes' } } },
    });
    await informer.start();
    try {
      await sim.waitFor(() => seen.includes('add:inf-0'));
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: 'inf-1', labels: { informed: 'yes' } }, data: { v: '1' } },
      });
      await sim.waitFor(() => seen.includes('add:inf-1'));
      await core.patchNamespacedConfigMap(
        { name: 'inf-1', namespace: NS, body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await sim.waitFor(() => seen.includes('update:inf-1:2'));
      await core.deleteNamespacedConfigMap({ name: 'inf-1', namespace: NS });
      await sim.waitFor(() => seen.includes('delete:inf-1'));
      assert.deepEqual(
        informer.list(NS).map((o) => o.metadata?.name),
        ['inf-0'],
      );
    } finally {
      await informer.stop();
    }
  });
});
