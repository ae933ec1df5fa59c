/** The comment at the top of what `render` prints and writes: where the objects came from. */
import type { Environment } from '../../manifests/environment.js';
import type { RenderResult } from '../../manifests/render.js';
import { generatedHeader } from '../../manifests/rendered-files.js';

export function renderedHeader(result: RenderResult): string {
  return generatedHeader(
    { name: result.environment, file: result.source } as Environment,
    `Kubernetes manifests of the ${result.environment} environment (namespace ${result.namespace}), image ${result.image}.`,
  ).replace('by `npm run render:k8s`', 'by `mobius-deploy render`');
}
