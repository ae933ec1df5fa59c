/** PersistentVolumeClaims bind at once (a dynamic provisioner that always succeeds). */
import type { KObj } from '../status.js';
import { type ControllerContext, R } from './context.js';

export function syncPvc(ctx: ControllerContext, pvc: KObj): void {
  if (pvc.status?.phase === 'Bound') return;
  const { store } = ctx;
  const volumeName = `pvc-${pvc.metadata.uid}`;
  store.mutate(R.pvcs, pvc.metadata.namespace, pvc.metadata.name, (o) => {
    o.spec.volumeName ??= volumeName;
    o.spec.storageClassName ??= 'standard';
    o.spec.volumeMode ??= 'Filesystem';
    o.metadata.annotations = {
      ...(o.metadata.annotations ?? {}),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/storage-provisioner': 'kube-sim.io/provisioner',
    };
    o.status = {
      phase: 'Bound',
      accessModes: o.spec.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: o.spec.resources?.requests?.storage ?? '1Gi' },
    };
  });
  const bound = store.peek(R.pvcs, pvc.metadata.namespace, pvc.metadata.name);
  if (bound) {
    ctx.events.record({
      involvedObject: bound,
      reason: 'ProvisioningSucceeded',
      message: `Successfully provisioned volume ${volumeName}`,
      component: 'kube-sim.io/provisioner',
    });
  }
}
