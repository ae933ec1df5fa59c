import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageOnlyDeployment } from '../../src/deploy/commands/deploy/run.js';
import { normalizeForDiff, sortForInstall, unifiedDiff } from '../../src/deploy/kube/apply.js';
import type { KubeRequest, KubeResponse } from '../../src/deploy/kube/client.js';
import {
  type DeploymentObject,
  type ReplicaSetObject,
  type RolloutReader,
  waitForRollout,
} from '../../src/deploy/kube/rollout-watch.js';
import { findRollbackTarget, rollbackPatch, templatesEqual } from '../../src/deploy/kube/undo.js';

const REV = 'deployment.kubernetes.io/revision';

function rs(revision: number, image: string, annotations: Record<string, string> = {}): ReplicaSetObject {
  return {
    metadata: {
      name: `web-${revision}`,
      uid: `rs-${revision}`,
      labels: { app: 'web', 'pod-template-hash': `h${revision}` },
      annotations: { [REV]: String(revision), ...annotations },
      ownerReferences: [{ kind: 'Deployment', name: 'web', uid: 'dep-1', controller: true }],
    },
    spec: {
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': `h${revision}` } },
        spec: { containers: [{ name: 'web', image }] },
      },
    },
  };
}

function deployment(
  revision: number,
  image: string,
  extra: Partial<DeploymentObject['spec']> = {},
): DeploymentObject {
  return {
    metadata: {
      name: 'web',
      uid: 'dep-1',
      generation: 5,
      annotations: { [REV]: String(revision), 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
      ...extra,
    },
    status: {
      observedGeneration: 5,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      readyReplicas: 2,
    },
  };
}

describe('rollback target (kubectl rollout undo semantics)', () => {
  const sets = [rs(3, 'img:3'), rs(1, 'img:1'), rs(4, 'img:4', { 'kubernetes.io/change-cause': 'deploy 4' })];

  it('defaults to the highest revision below the current one', () => {
    const t = findRollbackTarget(deployment(5, 'img:5'), [...sets, rs(5, 'img:5')]);
    assert.equal(t.revision, 4);
    assert.equal(t.image, 'img:4');
    assert.equal(t.unchanged, false);
    assert.equal(
      (t.template.metadata as { labels: Record<string, string> }).labels['pod-template-hash'],
      undefined,
      'pod-template-hash is removed',
    );
  });

  it('names the available revisions when one is missing, and says when there is no history', () => {
    assert.throws(() => findRollbackTarget(deployment(4, 'img:4'), sets, 7), {
      message: 'revision 7 not found; available: 1, 3, 4',
    });
    assert.throws(
      () => findRollbackTarget(deployment(1, 'img:1'), [rs(1, 'img:1')]),
      /no rollout history found/,
    );
  });

  it('is "unchanged" when the live template equals the target (ignoring the hash label)', () => {
    const t = findRollbackTarget(deployment(4, 'img:3'), sets, 3);
    assert.equal(t.unchanged, true);
    assert.ok(templatesEqual(rs(3, 'img:3').spec?.template, deployment(9, 'img:3').spec?.template));
    assert.ok(!templatesEqual(rs(3, 'img:3').spec?.template, deployment(9, 'img:4').spec?.template));
  });

  it('the patch replaces the template and takes annotations from the ReplicaSet, keeping the controller ones', () => {
    const d = deployment(5, 'img:5');
    const t = findRollbackTarget(d, [...sets, rs(5, 'img:5')], 4);
    const patch = rollbackPatch(d, t, 'rollback to revision 4: errors');
    assert.equal(patch[0]?.op, 'replace');
    assert.equal(patch[0]?.path, '/spec/template');
    assert.deepEqual(patch[1], {
      op: 'add',
      path: '/metadata/annotations',
      value: {
        [REV]: '5',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'kubernetes.io/change-cause': 'rollback to revision 4: errors',
      },
    });
  });

  it('-n with --image builds a Deployment that sets only the container image', () => {
    const obj = imageOnlyDeployment(deployment(2, 'img:2'), 'sandbox', 'img:3');
    assert.deepEqual(obj.spec, { template: { spec: { containers: [{ name: 'web', image: 'img:3' }] } } });
    assert.equal(obj.metadata.namespace, 'sandbox');
  });
});

describe('server-side apply helpers', () => {
  it('orders objects like Helm installs them', () => {
    const kinds = sortForInstall([
      { kind: 'Deployment' },
      { kind: 'PrometheusRule' },
      { kind: 'ConfigMap' },
      { kind: 'ServiceAccount' },
      { kind: 'Service' },
      { kind: 'Widget' },
    ]).map((o) => o.kind);
    assert.deepEqual(kinds, [
      'ServiceAccount',
      'ConfigMap',
      'Service',
      'Deployment',
      'PrometheusRule',
      'Widget',
    ]);
  });

  it('drops server-managed noise before diffing', () => {
    const n = normalizeForDiff({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'x',
        resourceVersion: '12',
        uid: 'u',
        managedFields: [{}],
        creationTimestamp: 't',
        generation: 3,
        annotations: { [REV]: '3' },
      },
      data: { b: '2', a: '1' },
      status: { phase: 'x' },
    });
    assert.deepEqual(n, {
      apiVersion: 'v1',
      data: { a: '1', b: '2' },
      kind: 'ConfigMap',
      metadata: { name: 'x' },
    });
  });

  it('a unified diff shows changed lines with context, nothing for equal texts', () => {
    const before = ['a: 1', 'b: 2', 'c: 3', 'd: 4', 'e: 5', 'f: 6', 'g: 7', 'h: 8'].join('\n');
    const after = before.replace('b: 2', 'b: 20').replace('h: 8', 'h: 8\ni: 9');
    const diff = unifiedDiff(before, after, 'ConfigMap/x');
    assert.equal(
      diff,
      [
        '--- live ConfigMap/x',
        '+++ desired ConfigMap/x',
        '@@ -1,8 +1,9 @@',
        ' a: 1',
        '-b: 2',
        '+b: 20',
        ' c: 3',
        ' d: 4',
        ' e: 5',
        ' f: 6',
        ' g: 7',
        ' h: 8',
        '+i: 9',
        '',
      ].join('\n'),
    );
    assert.equal(unifiedDiff(before, before, 'x'), '');
    assert.match(unifiedDiff('', 'a: 1\n', 'New/x'), /@@ -0,0 \+1,1 @@\n\+a: 1/);
  });
});

/** A scripted cluster: each poll reads the next state (the last one repeats). */
function scriptedReader(
  states: { deployment: DeploymentObject; replicaSets: ReplicaSetObject[]; pods: unknown[] }[],
  logs = 'line 1\nline 2\nboom\n',
): RolloutReader & { polls: number; logQueries: string[] } {
  let i = 0;
  const reader = {
    polls: 0,
    logQueries: [] as string[],
    async getJson<T>(path: string): Promise<T> {
      const s = states[Math.min(i, states.length - 1)]!;
      if (path.endsWith('/deployments/web')) {
        reader.polls++;
        return s.deployment as T;
      }
      if (path.endsWith('/replicasets')) return { items: s.replicaSets } as T;
      if (path.endsWith('/pods')) {
        i++;
        return { items: s.pods } as T;
      }
      throw new Error(`unexpected ${path}`);
    },
    async request(req: KubeRequest): Promise<KubeResponse> {
      reader.logQueries.push(JSON.stringify(req.query));
      return { statusCode: 200, headers: {}, body: Buffer.from(logs) };
    },
  };
  return reader;
}

function pod(
  name: string,
  hash: string,
  container: Record<string, unknown>,
  phase = 'Running',
  ready = false,
) {
  return {
    metadata: {
      name,
      labels: { app: 'web', 'pod-template-hash': hash },
      creationTimestamp: new Date(0).toISOString(),
    },
    spec: { containers: [{ name: 'web' }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'web', ready, ...container }],
    },
  };
}

const crashing = (restarts: number) => ({
  restartCount: restarts,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
  lastState: {
    terminated: {
      reason: 'Error',
      exitCode: 1,
      message: 'REDIS_URL missing',
      finishedAt: '2026-01-01T00:00:00Z',
    },
  },
});
const pulling = { restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } };

function progressing(revision: number): DeploymentObject {
  const d = deployment(revision, 'img:new');
  d.status = {
    observedGeneration: 5,
    replicas: 3,
    updatedReplicas: 1,
    availableReplicas: 2,
    readyReplicas: 2,
  };
  return d;
}

function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe('waiting for a rollout', () => {
  const sets = [rs(2, 'img:new'), rs(1, 'img:old')];

  it('succeeds when kubectl rollout status would', async () => {
    const reader = scriptedReader([
      { deployment: progressing(2), replicaSets: sets, pods: [] },
      { deployment: deployment(2, 'img:new'), replicaSets: sets, pods: [] },
    ]);
    const c = clock();
    const out = await waitForRollout(reader, { namespace: 'ns', deployment: 'web', ...c });
    assert.equal(out.ok, true);
    assert.equal(out.revision, 2);
    assert.equal(reader.polls, 2);
  });

  it('fails fast on CrashLoopBackOff past --max-restarts, with the last termination and logs', async () => {
    const reader = scriptedReader([
      { deployment: progressing(2), replicaSets: sets, pods: [pod('web-2-a', 'h2', crashing(1))] },
      { deployment: progressing(2), replicaSets: sets, pods: [pod('web-2-a', 'h2', crashing(2))] },
      { deployment: progressing(2), replicaSets: sets, pods: [pod('web-2-a', 'h2', crashing(3))] },
    ]);
    const c = clock();
    const out = await waitForRollout(reader, {
      namespace: 'ns',
      deployment: 'web',
      maxRestarts: 2,
      logLines: 3,
      ...c,
    });
    assert.equal(out.ok, false);
    assert.equal(out.failure?.failureClass, 'CrashLoopBackOff');
    assert.equal(out.failure?.pod, 'web-2-a');
    assert.equal(out.failure?.lastTermination?.message, 'REDIS_URL missing');
    assert.deepEqual(out.failure?.logs, ['line 1', 'line 2', 'boom']);
    assert.match(reader.logQueries[0] ?? '', /"previous":true/);
    assert.equal(reader.polls, 3, 'not before the third restart');
  });

  it('gives ImagePullBackOff the grace period, then fails', async () => {
    const reader = scriptedReader([
      { deployment: progressing(2), replicaSets: sets, pods: [pod('web-2-a', 'h2', pulling, 'Pending')] },
    ]);
    const c = clock();
    const out = await waitForRollout(reader, {
      namespace: 'ns',
      deployment: 'web',
      gracePeriodMs: 1000,
      pollIntervalMs: 250,
      ...c,
    });
    assert.equal(out.failure?.failureClass, 'ImagePullBackOff');
    assert.equal(reader.polls, 5, 'seen at 0, 250, 500, 750 ms, failed at 1000 ms');
  });

  it('ignores old pods that crash; reports ProgressDeadlineExceeded from the Deployment', async () => {
    const stuck = progressing(2);
    stuck.status!.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
    const reader = scriptedReader([
      { deployment: progressing(2), replicaSets: sets, pods: [pod('web-1-a', 'h1', crashing(9))] },
      { deployment: stuck, replicaSets: sets, pods: [pod('web-1-a', 'h1', crashing(9))] },
    ]);
    const out = await waitForRollout(reader, { namespace: 'ns', deployment: 'web', ...clock() });
    assert.equal(out.failure?.failureClass, 'ProgressDeadlineExceeded');
    assert.equal(out.failure?.pod, undefined, 'the crashing pod is from the old ReplicaSet');
  });

  it('gives up at --timeout', async () => {
    const reader = scriptedReader([{ deployment: progressing(2), replicaSets: sets, pods: [] }]);
    const out = await waitForRollout(reader, {
      namespace: 'ns',
      deployment: 'web',
      timeoutMs: 2000,
      ...clock(),
    });
    assert.equal(out.failure?.failureClass, 'Timeout');
    assert.match(out.failure?.message ?? '', /did not finish within 2s/);
  });
});
