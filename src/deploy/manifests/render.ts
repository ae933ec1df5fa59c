/**
 * An environment's Kubernetes objects, as data: what `render`, `apply-manifests` and the committed
 * k8s/<env>/ files are built from.
 *
 *   const result = renderManifests({ environment: 'production', imageTag: '1.4.2' });
 */
import { loadEnvironment } from './environment.js';
import {
  type BuildOptions,
  buildApplicationManifests,
  buildManifests,
  type ManifestObject,
  resolveImage,
} from './index.js';

export interface RenderRequest extends BuildOptions {
  /** Environment name: deploy/environments/<name>.yaml. */
  environment: string;
  /** Repository root holding deploy/environments (default: this package's root). */
  rootDir?: string;
  /** Leave out the bootstrap objects (Namespace, deployer RBAC): what `deploy` applies. */
  applicationOnly?: boolean;
}

export interface RenderResult {
  environment: string;
  namespace: string;
  image: string;
  /** The environment file the objects were built from. */
  source: string;
  objects: ManifestObject[];
}

export function renderManifests(request: RenderRequest): RenderResult {
  // Errors are EnvironmentConfigError / ImageOptionError: CLI ConfigErrors (exit 2) naming file, key or flag.
  const env = loadEnvironment(request.environment, request.rootDir);
  const options = { image: request.image, imageTag: request.imageTag };
  const { image } = resolveImage(env, options);
  const objects = request.applicationOnly
    ? buildApplicationManifests(env, options)
    : buildManifests(env, options);
  return { environment: env.name, namespace: env.namespace, image, source: env.file, objects };
}
