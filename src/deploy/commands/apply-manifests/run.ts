/**
 * `apply-manifests`: render an environment's objects and server-side apply them (kube/apply.ts), without
 * waiting for the rollout, taking the deploy lock or writing the ledger: the two-step flow of
 * `update-manifests` + `apply-manifests` (or `kubectl apply -f k8s/<env>/`). `deploy` is the safe path.
 */
import { UsageError } from '../../errors.js';
import {
  type AppliedObject,
  type ApplyTransport,
  applyObjects,
  type KubeObject,
  readLive,
  refOf,
  sortForInstall,
} from '../../kube/apply.js';
import { renderManifests } from '../../manifests/render.js';
import { plural } from '../../output/plural.js';

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

export interface RunApplyManifestsRequest {
  environment: string;
  rootDir?: string;
  imageTag?: string;
  applicationOnly: boolean;
  dryRun: boolean;
  /** The namespace given with -n, if any: it must be the environment's. */
  namespaceFlag?: string;
}

/** Render the environment, check -n against it, then apply (or server-side dry-run) the objects. */
export async function runApplyManifests(
  deps: { kube: () => Promise<ApplyTransport>; progress: (message: string) => void },
  request: RunApplyManifestsRequest,
): Promise<ApplyManifestsResult> {
  if (request.imageTag !== undefined) {
    const { validateImageTag } = await import('../../image/image.js');
    validateImageTag(request.imageTag);
  }
  const rendered = renderManifests({
    environment: request.environment,
    rootDir: request.rootDir,
    imageTag: request.imageTag,
    applicationOnly: request.applicationOnly,
  });
  if (request.namespaceFlag !== undefined && request.namespaceFlag !== rendered.namespace) {
    throw new UsageError(
      `-n ${request.namespaceFlag} disagrees with environment ${request.environment}, whose objects live in namespace ${rendered.namespace}.`,
      { hint: 'Leave out -n: the environment file names the namespace.' },
    );
  }
  const kube = await deps.kube();
  deps.progress(`applying ${plural(rendered.objects.length, 'object')} to namespace ${rendered.namespace}`);
  return applyManifests(kube, {
    objects: rendered.objects as unknown as KubeObject[],
    dryRun: request.dryRun,
    environment: rendered.environment,
    namespace: rendered.namespace,
    image: rendered.image,
  });
}

export async function applyManifests(
  transport: ApplyTransport,
  request: ApplyManifestsRequest & { environment: string; namespace: string; image: string },
): Promise<ApplyManifestsResult> {
  const applied = await applyOrDryRun(transport, request.objects, request.dryRun);
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

/**
 * A server-side dry run of objects in a namespace that does not exist yet cannot be checked by the
 * server (it answers 404 for the namespace, like `kubectl apply --dry-run=server`): then only the
 * Namespace is dry-run and the namespaced objects are listed as to be created, with a note.
 */
async function applyOrDryRun(
  transport: ApplyTransport,
  objects: KubeObject[],
  dryRun: boolean,
): Promise<AppliedObject[]> {
  if (dryRun) {
    const namespaceObject = objects.find((o) => o.kind === 'Namespace' && o.apiVersion === 'v1');
    if (namespaceObject && !(await readLive(transport, namespaceObject))) {
      const name = namespaceObject.metadata.name;
      const rest = sortForInstall(objects.filter((o) => o !== namespaceObject));
      const first = await applyObjects(transport, [namespaceObject], { dryRun: true, force: true });
      return [
        ...first,
        ...rest.map((o) => ({
          ref: refOf(o),
          kind: o.kind,
          name: o.metadata.name,
          action: 'created' as const,
          note: `namespace ${name} does not exist yet, so the server did not check this object`,
        })),
      ];
    }
  }
  return applyObjects(transport, objects, { dryRun, force: true });
}
