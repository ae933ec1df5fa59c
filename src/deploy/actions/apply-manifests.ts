/**
 * `apply-manifests`: render an environment's objects and server-side apply them (kube/apply.ts), without
 * waiting for the rollout, taking the deploy lock or writing the ledger: the two-step flow of
 * `update-manifests` + `apply-manifests` (or `kubectl apply -f k8s/<env>/`). `deploy` is the safe path.
 */
import { type AppliedObject, type ApplyTransport, applyObjects, type KubeObject } from '../kube/apply.js';

export interface ApplyManifestsRequest {
  objects: KubeObject[];
  /** Server-side dry run (dryRun=All): the server validates, nothing is stored. */
  dryRun: boolean;
}

export interface ApplyManifestsResult {
  environment: string;
  namespace: string;
  image: string;
  dryRun: boolean;
  objects: Array<Pick<AppliedObject, 'ref' | 'kind' | 'name' | 'action' | 'note' | 'diff'>>;
  counts: Record<'created' | 'configured' | 'unchanged' | 'skipped', number>;
}

export async function applyManifests(
  transport: ApplyTransport,
  request: ApplyManifestsRequest & { environment: string; namespace: string; image: string },
): Promise<ApplyManifestsResult> {
  const applied = await applyObjects(transport, request.objects, { dryRun: request.dryRun, force: true });
  const counts = { created: 0, configured: 0, unchanged: 0, skipped: 0 };
  for (const a of applied) counts[a.action]++;
  return {
    environment: request.environment,
    namespace: request.namespace,
    image: request.image,
    dryRun: request.dryRun,
    objects: applied.map((a) => ({
      ref: a.ref,
      kind: a.kind,
      name: a.name,
      action: a.action,
      ...(a.note ? { note: a.note } : {}),
      ...(request.dryRun && a.diff ? { diff: a.diff } : {}),
    })),
    counts,
  };
}
