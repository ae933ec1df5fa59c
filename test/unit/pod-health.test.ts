import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyPodHealth, type PodLike, podStatusLabel } from '../../src/deploy/kube/pod-health.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

/** A realistic pod as the API returns it, with the container status given. */
function pod(
  container: Record<string, unknown>,
  extra: { phase?: string; conditions?: unknown[]; created?: string; deletion?: string } = {},
): PodLike {
  return {
    metadata: {
      name: 'preview-worker-7d9f8c6b5-abcde',
      namespace: 'production',
      creationTimestamp: extra.created ?? ago(30 * 60_000),
      deletionTimestamp: extra.deletion,
      labels: { 'app.kubernetes.io/name': 'preview-worker', 'pod-template-hash': '7d9f8c6b5' },
    },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'worker', image: 'ghcr.io/mobius/preview-worker:1.2.0' }],
    },
    status: {
      phase: extra.phase ?? 'Running',
      startTime: ago(30 * 60_000),
      conditions: (extra.conditions as never) ?? [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: (container as { ready?: boolean }).ready ? 'True' : 'False' },
      ],
      containerStatuses: [
        {
          name: 'worker',
          image: 'ghcr.io/mobius/preview-worker:1.2.0',
          restartCount: 0,
          ready: false,
          ...container,
        } as never,
      ],
    },
  };
}

describe('classifyPodHealth', () => {
  it('a running, ready pod is healthy', () => {
    const h = classifyPodHealth(pod({ ready: true, state: { running: { startedAt: ago(29 * 60_000) } } }), {
      now: NOW,
    });
    assert.equal(h.state, 'healthy');
    assert.equal(h.reason, undefined);
    assert.equal(h.readyContainers, 1);
  });

  it('CrashLoopBackOff with the last terminated reason, exit code and message', () => {
    const p = pod({
      restartCount: 7,
      state: {
        waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=worker' },
      },
      lastState: {
        terminated: {
          reason: 'Error',
          exitCode: 1,
          message: 'REDIS_URL is not a valid URL',
          finishedAt: ago(60_000),
          startedAt: ago(62_000),
        },
      },
    });
    const h = classifyPodHealth(p, { now: NOW });
    assert.equal(h.state, 'unhealthy');
    assert.equal(h.reason, 'CrashLoopBackOff');
    assert.match(h.message ?? '', /CrashLoopBackOff/);
    assert.match(h.message ?? '', /exit code 1: REDIS_URL is not a valid URL/);
    assert.equal(h.restarts, 7);
    assert.equal(h.lastRestartAt, ago(60_000));
    assert.deepEqual(h.lastTermination, {
      container: 'worker',
      reason: 'Error',
      exitCode: 1,
      message: 'REDIS_URL is not a valid URL',
      finishedAt: ago(60_000),
    });
    assert.equal(podStatusLabel(p, h), 'CrashLoopBackOff');
  });

  it('OOMKilled in lastState is named as such', () => {
    const p = pod({
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: ago(30_000) } },
    });
    const h = classifyPodHealth(p, { now: NOW });
    assert.equal(h.reason, 'OOMKilled');
    assert.match(h.message ?? '', /OOMKilled.*CrashLoopBackOff/);
    assert.match(h.message ?? '', /exit code 137/);
  });

  it('a running container that was OOMKilled recently is still healthy now, with the restart recorded', () => {
    const h = classifyPodHealth(
      pod({
        ready: true,
        restartCount: 1,
        state: { running: {} },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: ago(120_000) } },
      }),
      { now: NOW },
    );
    assert.equal(h.state, 'healthy');
    assert.equal(h.lastTermination?.reason, 'OOMKilled');
    assert.equal(h.lastRestartAt, ago(120_000));
  });

  for (const reason of [
    'ImagePullBackOff',
    'ErrImagePull',
    'CreateContainerConfigError',
    'InvalidImageName',
  ]) {
    it(`${reason} is unhealthy with the waiting message`, () => {
      const msg =
        reason === 'CreateContainerConfigError'
          ? 'secret "preview-worker-redis" not found'
          : 'Back-off pulling image "ghcr.io/mobius/preview-worker:nope"';
      const h = classifyPodHealth(
        pod({ state: { waiting: { reason, message: msg } } }, { phase: 'Pending' }),
        { now: NOW },
      );
      assert.equal(h.state, 'unhealthy');
      assert.equal(h.reason, reason);
      assert.ok(h.message?.includes(msg), h.message);
    });
  }

  it('Unschedulable from the PodScheduled condition', () => {
    const p = pod(
      { state: { waiting: { reason: 'ContainerCreating' } } },
      {
        phase: 'Pending',
        created: ago(10_000),
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available: 3 Insufficient memory.',
          },
        ],
      },
    );
    const h = classifyPodHealth(p, { now: NOW });
    assert.equal(h.reason, 'Unschedulable');
    assert.equal(h.message, '0/3 nodes are available: 3 Insufficient memory.');
    assert.equal(podStatusLabel(p, h), 'Unschedulable');
  });

  it('Pending: progressing at first, unhealthy after the timeout', () => {
    const young = pod(
      { state: { waiting: { reason: 'ContainerCreating' } } },
      { phase: 'Pending', created: ago(30_000), conditions: [] },
    );
    assert.equal(classifyPodHealth(young, { now: NOW }).state, 'progressing');
    assert.equal(classifyPodHealth(young, { now: NOW }).reason, 'ContainerCreating');
    const old = pod(
      { state: { waiting: { reason: 'ContainerCreating' } } },
      { phase: 'Pending', created: ago(11 * 60_000), conditions: [] },
    );
    const h = classifyPodHealth(old, { now: NOW, pendingTimeoutMs: 10 * 60_000 });
    assert.equal(h.state, 'unhealthy');
    assert.equal(h.reason, 'PendingTooLong');
    assert.match(h.message ?? '', /Pending for 11m \(ContainerCreating\)/);
  });

  it('Running but not Ready with Unhealthy events: the readiness probe is failing', () => {
    const p = pod({ ready: false, state: { running: { startedAt: ago(20 * 60_000) } } });
    const h = classifyPodHealth(p, {
      now: NOW,
      events: [
        {
          type: 'Warning',
          reason: 'Unhealthy',
          message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
          involvedObject: { kind: 'Pod', name: 'preview-worker-7d9f8c6b5-abcde' },
          lastTimestamp: ago(5_000),
        },
        {
          type: 'Warning',
          reason: 'Unhealthy',
          message: 'Readiness probe failed: other pod',
          involvedObject: { kind: 'Pod', name: 'other' },
          lastTimestamp: ago(1_000),
        },
      ],
    });
    assert.equal(h.reason, 'ReadinessProbeFailed');
    assert.equal(h.message, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
  });

  it('Running but not Ready without events: starting within the grace period, NotReady after it', () => {
    const starting = pod({ ready: false, state: { running: { startedAt: ago(10_000) } } });
    assert.equal(classifyPodHealth(starting, { now: NOW }).state, 'progressing');
    const stuck = pod({ ready: false, state: { running: { startedAt: ago(10 * 60_000) } } });
    const h = classifyPodHealth(stuck, { now: NOW });
    assert.equal(h.state, 'unhealthy');
    assert.equal(h.reason, 'NotReady');
  });

  it('Terminating when a deletion timestamp is set', () => {
    const p = pod({ ready: true, state: { running: {} } }, { deletion: ago(1000) });
    const h = classifyPodHealth(p, { now: NOW });
    assert.equal(h.reason, 'Terminating');
    assert.equal(podStatusLabel(p, h), 'Terminating');
  });

  it('Evicted pods (phase Failed)', () => {
    const p = pod({ state: { terminated: { reason: 'Error', exitCode: 137 } } }, { phase: 'Failed' });
    (p.status as { reason?: string; message?: string }).reason = 'Evicted';
    (p.status as { reason?: string; message?: string }).message = 'The node was low on resource: memory.';
    const h = classifyPodHealth(p, { now: NOW });
    assert.equal(h.reason, 'Evicted');
    assert.equal(h.message, 'The node was low on resource: memory.');
  });
});
