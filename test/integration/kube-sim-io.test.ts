// kube-sim's streams and side doors, through @kubernetes/client-node: pod logs (container,
// tailLines, sinceSeconds, sinceTime, previous, timestamps, follow and cut streams), metrics.k8s.io,
// the pod and service proxy to a real local HTTP server, RBAC denials and injected faults.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ApiException, AuthorizationV1Api, CoreV1Api, Log, Metrics, Watch } from '@kubernetes/client-node';
import { type KObj, type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'production';
const REPO = 'ghcr.io/mobius/preview-worker';

async function get(sim: KubeSim, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${sim.token}`, ...(init.headers ?? {}) },
  });
}

async function logText(sim: KubeSim, pod: string, query: string): Promise<{ status: number; text: string }> {
  const res = await get(sim, `/api/v1/namespaces/${NS}/pods/${pod}/log?${query}`);
  return { status: res.status, text: await res.text() };
}

describe('kube-sim logs, metrics, proxy, RBAC and faults', () => {
  let sim: KubeSim;
  let core: CoreV1Api;
  let pods: string[];
  let backend: Server;
  let backendUrl: string;
  const seenByBackend: { method: string; url: string; body: string; auth?: string; custom?: string }[] = [];

  before(async () => {
    sim = await startKubeSim({ readyDelayMs: 30 });
    core = sim.kubeConfig().makeApiClient(CoreV1Api);
    const seeded = await sim.seedDeployment({
      namespace: NS,
      name: 'preview-worker',
      image: `${REPO}:1.0.0`,
      replicas: 2,
    });
    pods = seeded.pods.map((p) => p.metadata.name).sort();
    backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        seenByBackend.push({
          method: req.method ?? '',
          url: req.url ?? '',
          body: Buffer.concat(chunks).toString(),
          auth: req.headers.authorization,
          custom: req.headers['x-custom'] as string | undefined,
        });
        res.writeHead(req.url === '/readyz' ? 503 : 200, {
          'Content-Type': 'application/json',
          'X-Backend': 'yes',
        });
        res.end(JSON.stringify({ path: req.url }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  });
  after(async () => {
    await sim.close();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  it('serves the lines a test sets, with tailLines, sinceSeconds, sinceTime and timestamps', async () => {
    const now = Date.now();
    sim.setPodLogs(NS, pods[0], [
      { time: now - 3_600_000, text: 'an hour ago' },
      { time: now - 120_000, text: 'two minutes ago' },
      { time: now - 1_000, text: 'just now' },
    ]);
    assert.equal((await logText(sim, pods[0], '')).text, 'an hour ago\ntwo minutes ago\njust now\n');
    assert.equal((await logText(sim, pods[0], 'tailLines=1')).text, 'just now\n');
    assert.equal((await logText(sim, pods[0], 'sinceSeconds=300')).text, 'two minutes ago\njust now\n');
    const since = new Date(now - 60_000).toISOString();
    assert.equal((await logText(sim, pods[0], `sinceTime=${encodeURIComponent(since)}`)).text, 'just now\n');
    const ts = (await logText(sim, pods[0], 'timestamps=true&tailLines=1')).text;
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z just now\n$/);
    const bad = await logText(sim, pods[0], 'container=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /container nope is not valid for pod/);
  });

  it('answers previous=true with 400 when there is no terminated container, and the last instance after a crash', async () => {
    const none = await logText(sim, pods[0], 'previous=true');
    assert.equal(none.status, 400);
    assert.equal(
      JSON.parse(none.text).message,
      `previous terminated container "worker" in pod "${pods[0]}" not found`,
    );
    sim.setImageBehavior(`${REPO}:crash`, {
      kind: 'crashloop',
      restartIntervalMs: 60,
      crashLogLines: ['booting', 'fatal: no redis'],
    });
    await sim.seedDeployment({
      namespace: NS,
      name: 'crasher',
      image: `${REPO}:crash`,
      replicas: 1,
      wait: false,
      hpa: false,
      service: false,
      workerLogs: false,
    });
    const pod = await sim.waitFor(() =>
      sim.podsOf(NS, 'crasher').find((p) => p.status?.containerStatuses?.[0]?.lastState?.terminated),
    );
    const prev = await logText(sim, pod.metadata.name, 'previous=true');
    assert.equal(prev.status, 200);
    assert.equal(prev.text, 'booting\nfatal: no redis\n');
  });

  it('explains why a waiting container has no logs', async () => {
    sim.setImageBehavior(`${REPO}:nopull`, 'imagepull');
    await sim.seedDeployment({
      namespace: NS,
      name: 'nopull',
      image: `${REPO}:nopull`,
      replicas: 1,
      wait: false,
      hpa: false,
      service: false,
    });
    const pod = await sim.waitFor(() =>
      sim
        .podsOf(NS, 'nopull')
        .find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'),
    );
    const res = await logText(sim, pod.metadata.name, '');
    assert.equal(res.status, 400);
    assert.equal(
      JSON.parse(res.text).message,
      `container "worker" in pod "${pod.metadata.name}" is waiting to start: trying and failing to pull image`,
    );
  });

  it('follows a log through client-node Log, streams appended lines, and ends when the stream is cut', async () => {
    sim.setPodLogs(NS, pods[1], ['first']);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => {
      text += c.toString();
    });
    const ended = new Promise<void>((resolve) => {
      out.on('end', () => resolve());
      out.on('close', () => resolve());
      out.on('error', () => resolve());
    });
    await new Log(sim.kubeConfig()).log(NS, pods[1], 'worker', out, { follow: true });
    await sim.waitFor(() => text.includes('first'));
    sim.appendPodLog(NS, pods[1], ['second', 'third']);
    await sim.waitFor(() => text.includes('third'));
    assert.equal(sim.cutLogStreams('end'), 1);
    await ended;
    assert.equal(text, 'first\nsecond\nthird\n');
  });

  it('ends a follow stream when the pod is deleted', async () => {
    const res = await get(sim, `/api/v1/namespaces/${NS}/pods/${pods[1]}/log?follow=true`);
    const reader = res.body!.getReader();
    const done = (async () => {
      let s = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return s;
        s += Buffer.from(value).toString();
      }
    })();
    await sim.waitFor(() =>
      sim.requests().some((r) => r.path.endsWith(`${pods[1]}/log`) && r.query.includes('follow=true')),
    );
    await core.deleteNamespacedPod({ name: pods[1], namespace: NS });
    assert.match(await done, /third\n$/);
  });

  it('ends open watches on cutWatchStreams, so clients see the server close them', async () => {
    let closedWith: unknown = 'open';
    const ended = new Promise<void>((resolve) => {
      new Watch(sim.kubeConfig())
        .watch(
          `/api/v1/namespaces/${NS}/pods`,
          {},
          () => {},
          (err) => {
            closedWith = err;
            resolve();
          },
        )
        .then((ctl) => after(() => ctl.abort()));
    });
    await sim.waitFor(() =>
      sim.requests().some((r) => r.path.endsWith('/pods') && r.query.includes('watch=true')),
    );
    await sim.waitFor(() => sim.cutWatchStreams() > 0 || undefined);
    await ended;
    assert.equal(closedWith, null, 'a clean end, as after a server-side timeout');
  });

  it('runs each container of a pod by its own image behavior and asks which container to log', async () => {
    sim.setImageBehavior(`${REPO}:sidecar-crash`, { kind: 'crashloop', restartIntervalMs: 50 });
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'two-containers' },
        spec: {
          containers: [
            { name: 'app', image: `${REPO}:1.0.0` },
            { name: 'sidecar', image: `${REPO}:sidecar-crash` },
          ],
        },
      },
    });
    const pod = await sim.waitFor(() => {
      const p = sim.get('pods', NS, 'two-containers');
      const byName = Object.fromEntries((p?.status?.containerStatuses ?? []).map((c: KObj) => [c.name, c]));
      return byName.app?.ready && byName.sidecar?.restartCount >= 1 ? p : undefined;
    });
    assert.equal(pod.status.conditions.find((c: KObj) => c.type === 'Ready').status, 'False');
    assert.equal(
      pod.status.conditions.find((c: KObj) => c.type === 'ContainersReady').message,
      'containers with unready status: [sidecar]',
    );
    const which = await logText(sim, 'two-containers', '');
    assert.equal(which.status, 400);
    assert.equal(
      JSON.parse(which.text).message,
      'a container name must be specified for pod two-containers, choose one of: [app sidecar]',
    );
    assert.equal((await logText(sim, 'two-containers', 'container=sidecar&previous=true')).status, 200);
  });

  it('starts a watch with sendInitialEvents: current objects, then a bookmark marking the end of them', async () => {
    const res = await get(
      sim,
      `/api/v1/namespaces/${NS}/services?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: KObj });
    assert.equal(lines[0].type, 'ADDED');
    assert.equal(lines[0].object.metadata.name, 'preview-worker');
    const bookmark = lines.find((l) => l.type === 'BOOKMARK');
    assert.equal(bookmark?.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    assert.ok(Number(bookmark?.object.metadata.resourceVersion) > 0);
  });

  it('serves metrics.k8s.io pod metrics, settable per pod, and 404 once switched off', async () => {
    const live = sim.podsOf(NS, 'preview-worker').filter((p) => p.status.phase === 'Running');
    sim.setPodMetrics(NS, live[0].metadata.name, { cpu: '12345678n', memory: '150Mi' });
    const list = await new Metrics(sim.kubeConfig()).getPodMetrics(NS);
    const mine = list.items.find((m) => m.metadata.name === live[0].metadata.name);
    assert.deepEqual(mine?.containers, [{ name: 'worker', usage: { cpu: '12345678n', memory: '150Mi' } }]);
    const other = list.items.find((m) => m.metadata.name === live[1]?.metadata.name);
    if (live[1]) assert.match(other?.containers[0].usage.cpu ?? '', /^\d+n$/);
    sim.disableMetricsApi();
    const res = await get(sim, `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`);
    assert.equal(res.status, 404);
    const groups = (await (await get(sim, '/apis')).json()) as { groups: { name: string }[] };
    assert.ok(!groups.groups.some((g) => g.name === 'metrics.k8s.io'));
    await assert.rejects(
      new Metrics(sim.kubeConfig()).getPodMetrics(NS),
      (e: unknown) => e instanceof ApiException && e.code === 404,
    );
    sim.enableMetricsApi();
  });

  it('proxies GET and POST to a pod (headers and body forwarded), to a service, and 503 without a target', async () => {
    const pod = sim.podsOf(NS, 'preview-worker').find((p) => p.status.phase === 'Running')!.metadata.name;
    const none = await get(sim, `/api/v1/namespaces/${NS}/pods/${pod}:3000/proxy/livez`);
    assert.equal(none.status, 503);
    assert.match(
      ((await none.json()) as { message: string }).message,
      /^error trying to reach service: dial tcp [\d.]+:3000: connect: connection refused$/,
    );
    sim.setProxyTarget(NS, pod, backendUrl);
    const live = await get(sim, `/api/v1/namespaces/${NS}/pods/${pod}:3000/proxy/livez?verbose=1`, {
      headers: { 'X-Custom': 'kept' },
    });
    assert.equal(live.status, 200);
    assert.equal(live.headers.get('x-backend'), 'yes');
    assert.deepEqual(await live.json(), { path: '/livez?verbose=1' });
    const ready = await get(sim, `/api/v1/namespaces/${NS}/pods/${pod}:3000/proxy/readyz`);
    assert.equal(ready.status, 503, 'the backend status comes through');
    const posted = await get(sim, `/api/v1/namespaces/${NS}/pods/http:${pod}:3000/proxy/v1/previews`, {
      method: 'POST',
      body: '{"jobId":"a"}',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(posted.status, 200);
    const hit = seenByBackend.find((s) => s.method === 'POST');
    assert.equal(hit?.url, '/v1/previews');
    assert.equal(hit?.body, '{"jobId":"a"}');
    assert.equal(hit?.auth, undefined, 'the API token is not forwarded to the pod');
    assert.equal(seenByBackend.find((s) => s.url.startsWith('/livez'))?.custom, 'kept');
    sim.setProxyTarget(NS, '*', backendUrl);
    const viaSvc = await get(sim, `/api/v1/namespaces/${NS}/services/preview-worker:http/proxy/metrics`);
    assert.equal(viaSvc.status, 200);
    assert.deepEqual(await viaSvc.json(), { path: '/metrics' });
    sim.clearProxyTarget(NS, '*');
  });

  it('denies by RBAC rule with the API server message, and SelfSubjectAccessReview agrees', async () => {
    const undo = sim.deny({ verb: 'get', resource: 'pods/log', namespace: NS });
    const res = await logText(sim, pods[0], '');
    assert.equal(res.status, 403);
    const status = JSON.parse(res.text);
    assert.equal(status.reason, 'Forbidden');
    assert.equal(
      status.message,
      `pods "${pods[0]}" is forbidden: User "system:serviceaccount:ci:mobius-deployer" cannot get resource "pods/log" in API group "" in the namespace "production"`,
    );
    const authz = sim.kubeConfig().makeApiClient(AuthorizationV1Api);
    const review = (verb: string, resource: string, subresource?: string) =>
      authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace: NS, verb, resource, subresource } } },
      });
    assert.equal((await review('get', 'pods', 'log')).status?.allowed, false);
    assert.equal((await review('get', 'pods')).status?.allowed, true);
    undo();
    assert.equal((await review('get', 'pods', 'log')).status?.allowed, true);
    sim.deny({ verb: 'list', resource: 'pods', namespace: NS });
    const e = await core.listNamespacedPod({ namespace: NS }).catch((err) => err);
    assert.ok(e instanceof ApiException);
    assert.equal(e.code, 403);
    assert.match(
      String(e.body),
      /pods is forbidden: User \\?"system:serviceaccount:ci:mobius-deployer\\?" cannot list resource \\?"pods\\?" in API group \\?"\\?" in the namespace \\?"production\\?"/,
    );
    sim.clearDenials();
  });

  it('injects 500, 429 with Retry-After, dropped connections and delays, for a number of times', async () => {
    const f500 = sim.injectFault({ method: 'GET', path: /\/pods$/, status: 500, times: 1 });
    const r1 = await get(sim, `/api/v1/namespaces/${NS}/pods`);
    assert.equal(r1.status, 500);
    assert.equal(((await r1.json()) as { reason: string }).reason, 'InternalError');
    assert.equal((await get(sim, `/api/v1/namespaces/${NS}/pods`)).status, 200, 'times: 1 applies once');
    assert.equal(f500.hits(), 1);
    const f429 = sim.injectFault({ path: '/services', status: 429, retryAfterSeconds: 3 });
    const r2 = await get(sim, `/api/v1/namespaces/${NS}/services`);
    assert.equal(r2.status, 429);
    assert.equal(r2.headers.get('retry-after'), '3');
    f429.clear();
    assert.equal((await get(sim, `/api/v1/namespaces/${NS}/services`)).status, 200);
    sim.injectFault({ path: '/configmaps', drop: true, times: 1 });
    await assert.rejects(get(sim, `/api/v1/namespaces/${NS}/configmaps`));
    const slow = sim.injectFault({ path: '/secrets', delayMs: 150, times: 1 });
    const r3 = await get(sim, `/api/v1/namespaces/${NS}/secrets`);
    assert.equal(r3.status, 200, 'a delay alone lets the request through');
    assert.equal(slow.hits(), 1);
    sim.clearFaults();
  });
});
