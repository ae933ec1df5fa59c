import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectorToString } from '../../src/deploy/commands/logs/targets.js';

describe('selectorToString (pods of a Deployment by its spec.selector)', () => {
  it('renders matchLabels and every matchExpressions operator as a label selector', () => {
    assert.equal(
      selectorToString({
        matchLabels: { 'app.kubernetes.io/name': 'preview-worker', tier: 'worker' },
        matchExpressions: [
          { key: 'track', operator: 'In', values: ['stable', 'canary'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
      'app.kubernetes.io/name=preview-worker,tier=worker,track in (stable,canary),env notin (dev),owner,!legacy',
    );
  });

  it('is empty for an empty selector', () => {
    assert.equal(selectorToString({}), '');
    assert.equal(selectorToString(undefined), '');
  });
});
