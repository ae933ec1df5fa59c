import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type DeploymentLike,
  deploymentRevision,
  deploymentRolloutStatus,
  labelSelectorToString,
} from '../../src/deploy/kube/rollout.js';

function dep(over: {
  generation?: number;
  observed?: number;
  replicas?: number;
  current?: number;
  updated?: number;
  available?: number;
  paused?: boolean;
  progressing?: string;
}): DeploymentLike {
  return {
    metadata: {
      name: 'preview-worker',
      generation: over.generation ?? 2,
      annotations: { 'deployment.kubernetes.io/revision': '4' },
    },
    spec: { replicas: over.replicas, paused: over.paused },
    status: {
      observedGeneration: over.observed ?? 2,
      replicas: over.current,
      updatedReplicas: over.updated,
      availableReplicas: over.available,
      conditions: over.progressing
        ? [
            {
              type: 'Progressing',
              status: over.progressing === 'ProgressDeadlineExceeded' ? 'False' : 'True',
              reason: over.progressing,
            },
          ]
        : [],
    },
  };
}

// Table of kubectl rollout status outcomes (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go tests).
const table: Array<{ name: string; d: DeploymentLike; done: boolean; phase: string; message: string }> = [
  {
    name: 'generation not yet observed',
    d: dep({ generation: 3, observed: 2, replicas: 1, current: 1, updated: 1, available: 1 }),
    done: false,
    phase: 'waiting-for-observation',
    message: 'Waiting for deployment spec update to be observed...',
  },
  {
    name: 'progress deadline exceeded',
    d: dep({ replicas: 3, current: 3, updated: 1, available: 2, progressing: 'ProgressDeadlineExceeded' }),
    done: false,
    phase: 'failed',
    message: 'deployment "preview-worker" exceeded its progress deadline',
  },
  {
    name: 'new replicas not all updated',
    d: dep({ replicas: 3, current: 3, updated: 1, available: 3, progressing: 'ReplicaSetUpdated' }),
    done: false,
    phase: 'progressing',
    message:
      'Waiting for deployment "preview-worker" rollout to finish: 1 out of 3 new replicas have been updated...',
  },
  {
    name: 'old replicas pending termination',
    d: dep({ replicas: 3, current: 5, updated: 3, available: 3 }),
    done: false,
    phase: 'progressing',
    message:
      'Waiting for deployment "preview-worker" rollout to finish: 2 old replicas are pending termination...',
  },
  {
    name: 'updated replicas not yet available',
    d: dep({ replicas: 3, current: 3, updated: 3, available: 1 }),
    done: false,
    phase: 'progressing',
    message:
      'Waiting for deployment "preview-worker" rollout to finish: 1 of 3 updated replicas are available...',
  },
  {
    name: 'complete',
    d: dep({ replicas: 3, current: 3, updated: 3, available: 3, progressing: 'NewReplicaSetAvailable' }),
    done: true,
    phase: 'complete',
    message: 'deployment "preview-worker" successfully rolled out',
  },
  {
    name: 'scaled to zero is complete',
    d: dep({ replicas: 0, current: 0, updated: 0, available: 0 }),
    done: true,
    phase: 'complete',
    message: 'deployment "preview-worker" successfully rolled out',
  },
  {
    name: 'spec.replicas unset: the updated check is skipped like kubectl',
    d: dep({ current: 1, updated: 1, available: 1 }),
    done: true,
    phase: 'complete',
    message: 'deployment "preview-worker" successfully rolled out',
  },
];

describe('deploymentRolloutStatus follows kubectl rollout status', () => {
  for (const row of table) {
    it(row.name, () => {
      const s = deploymentRolloutStatus(row.d);
      assert.equal(s.done, row.done);
      assert.equal(s.phase, row.phase);
      assert.equal(s.message, row.message);
    });
  }

  it('the deadline is only checked once the generation is observed (kubectl order)', () => {
    const s = deploymentRolloutStatus(
      dep({ generation: 5, observed: 4, progressing: 'ProgressDeadlineExceeded' }),
    );
    assert.equal(s.phase, 'waiting-for-observation');
  });

  it('a paused, unfinished rollout says paused and how to resume', () => {
    const s = deploymentRolloutStatus(
      dep({ replicas: 3, current: 3, updated: 1, available: 3, paused: true }),
    );
    assert.equal(s.phase, 'paused');
    assert.equal(s.done, false);
    assert.match(s.message, /kubectl rollout resume deployment\/preview-worker/);
  });

  it('a paused deployment that finished is complete', () => {
    const s = deploymentRolloutStatus(
      dep({ replicas: 2, current: 2, updated: 2, available: 2, paused: true }),
    );
    assert.equal(s.phase, 'complete');
    assert.equal(s.paused, true);
  });

  it('counts old replicas', () => {
    assert.equal(
      deploymentRolloutStatus(dep({ replicas: 3, current: 5, updated: 3, available: 3 })).oldReplicas,
      2,
    );
  });

  it('reads the revision annotation', () => {
    assert.equal(deploymentRevision(dep({})), 4);
    assert.equal(deploymentRevision({ metadata: {} }), undefined);
  });
});

describe('labelSelectorToString', () => {
  it('joins matchLabels and matchExpressions in the string grammar', () => {
    assert.equal(
      labelSelectorToString({
        matchLabels: { 'app.kubernetes.io/name': 'preview-worker', tier: 'render' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['staging', 'production'] },
          { key: 'canary', operator: 'NotIn', values: ['true'] },
          { key: 'team', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
      'app.kubernetes.io/name=preview-worker,tier=render,env in (production,staging),canary notin (true),team,!legacy',
    );
  });
  it('is empty for no selector and rejects unknown operators', () => {
    assert.equal(labelSelectorToString(undefined), '');
    assert.throws(
      () => labelSelectorToString({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
      /Unknown label selector operator/,
    );
  });
});
