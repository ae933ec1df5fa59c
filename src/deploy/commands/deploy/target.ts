/**
 * What a deploy applies: with an environment, its application objects and the image they name;
 * with `--image` alone (-n, no environment), no objects: only the live Deployment's image changes.
 */
import type { KubeObject } from '../../kube/apply.js';
import type { Environment } from '../../manifests/environment.js';

export interface DeployTarget {
  objects: KubeObject[] | undefined;
  image: string;
}

export async function deployTarget(
  environment: Environment | undefined,
  flags: { image?: string; imageTag?: string },
): Promise<DeployTarget> {
  if (!environment) return { objects: undefined, image: flags.image as string };
  const manifests = await import('../../manifests/index.js');
  const built = { image: flags.image, imageTag: flags.imageTag };
  return {
    image: manifests.resolveImage(environment, built).image,
    objects: manifests.buildApplicationManifests(environment, built) as unknown as KubeObject[],
  };
}
