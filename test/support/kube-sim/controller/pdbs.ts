/** PodDisruptionBudget status: healthy, desired and expected pods, disruptions allowed. */
import { deepEqual } from '../patch.js';
import { labelSelectorObjectMatcher } from '../selectors.js';
import type { KObj } from '../status.js';
import { type ControllerContext, intOrPercent, isReady, R } from './context.js';

export function syncPdb(ctx: ControllerContext, pdb: KObj): void {
  const { store } = ctx;
  const ns = pdb.metadata.namespace;
  const matcher = labelSelectorObjectMatcher(pdb.spec?.selector);
  const pods = store
    .peekList(R.pods, ns)
    .filter((p) => matcher(p.metadata.labels) && !p.metadata.deletionTimestamp);
  const expected = pods.length;
  const healthy = pods.filter(isReady).length;
  let desired = 0;
  if (pdb.spec?.minAvailable !== undefined) desired = intOrPercent(pdb.spec.minAvailable, expected, true);
  else if (pdb.spec?.maxUnavailable !== undefined) {
    desired = Math.max(0, expected - intOrPercent(pdb.spec.maxUnavailable, expected, true));
  }
  const allowed = Math.max(0, healthy - desired);
  const prev = ((pdb.status?.conditions ?? []) as KObj[]).find((c) => c.type === 'DisruptionAllowed');
  const condStatus = allowed > 0 ? 'True' : 'False';
  const status: KObj = {
    observedGeneration: pdb.metadata.generation,
    disruptionsAllowed: allowed,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: condStatus,
        reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        observedGeneration: pdb.metadata.generation,
        lastTransitionTime: prev && prev.status === condStatus ? prev.lastTransitionTime : ctx.ts(),
      },
    ],
  };
  if (!deepEqual(status, pdb.status)) {
    store.mutate(R.pdbs, ns, pdb.metadata.name, (o) => {
      o.status = status;
    });
  }
}
