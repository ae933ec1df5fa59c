/**
 * Which Warning events the status snapshot shows: those of the Deployment, its ReplicaSets and its
 * pods, including pods already gone, but not those of another Deployment whose name starts the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { type WarningEvent, workloadEvents } from '../../src/deploy/health/events.js';

const at = '2026-12-03T10:00:00Z';
const event = (kind: string, name: string): WarningEvent => ({
  metadata: { name: `${name}.1` },
  involvedObject: { kind, name },
  type: 'Warning',
  reason: 'BackOff',
  lastTimestamp: new Date(at),
});
const rs = (name: string, owner: string): V1ReplicaSet => ({
  metadata: { name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: 'u' }] },
});

test('events of gone pods count when the pod was one of the Deployment ReplicaSets', () => {
  const events = [
    event('Pod', 'preview-worker-7d9f8b6c5-abcde'), // a gone pod of an owned ReplicaSet
    event('Pod', 'preview-worker-5c6d7e8f9-xyz12'), // a gone pod of a ReplicaSet not listed (403)
    event('Pod', 'preview-worker-canary-6b5a4c3d2-qwert'), // another Deployment's pod
    event('ReplicaSet', 'preview-worker-canary-6b5a4c3d2'),
    event('Deployment', 'preview-worker-canary'),
    event('Deployment', 'preview-worker'),
  ];
  const shown = workloadEvents(
    events,
    'preview-worker',
    [
      rs('preview-worker-7d9f8b6c5', 'preview-worker'),
      rs('preview-worker-canary-6b5a4c3d2', 'preview-worker-canary'),
    ],
    [],
    0,
  ).map((e) => `${e.involvedObject?.kind}/${e.involvedObject?.name}`);
  assert.deepEqual(shown, [
    'Pod/preview-worker-7d9f8b6c5-abcde',
    'Pod/preview-worker-5c6d7e8f9-xyz12',
    'Deployment/preview-worker',
  ]);
});
