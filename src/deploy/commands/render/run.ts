/**
 * `render`: the Kubernetes objects of an environment, as data (no printing here).
 *
 *   const result = renderManifests({ environment: 'production', imageTag: '1.4.2' });
 *   renderYaml(result)                    // multi-document YAML, apply order
 *   toKubernetesList(result.objects)      // for -o json
 *   writeManifestDir(result, 'out/')      // one file per object
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { toYamlStream } from '../../manifests/canonical.js';
import { type Environment, loadEnvironment } from '../../manifests/environment.js';
import {
  type BuildOptions,
  buildApplicationManifests,
  buildManifests,
  type ManifestObject,
  manifestFileName,
  resolveImage,
} from '../../manifests/index.js';
import { generatedHeader, renderObjectFiles } from '../../manifests/rendered-files.js';

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

function header(result: RenderResult): string {
  return generatedHeader(
    { name: result.environment, file: result.source } as Environment,
    `Kubernetes manifests of the ${result.environment} environment (namespace ${result.namespace}), image ${result.image}.`,
  ).replace('by `npm run render:k8s`', 'by `mobius-deploy render`');
}

/** The objects as one multi-document YAML stream (what `render` prints). */
export function renderYaml(result: RenderResult): string {
  return toYamlStream(result.objects, header(result));
}

/** Files written by --out-dir follow this pattern; only such files are ever removed from the directory. */
export const RENDERED_FILE_PATTERN = /^\d{2}-[a-z]+-[a-z0-9.-]+\.yaml$/;

export interface WriteResult {
  dir: string;
  files: string[];
  /** Files of an earlier render that no longer exist in this one (removed). */
  removed: string[];
}

/** Writes one file per object into `dir` (created if needed), replacing an earlier render there. */
export function writeManifestDir(result: RenderResult, dir: string): WriteResult {
  const target = resolve(dir);
  try {
    mkdirSync(target, { recursive: true });
  } catch (err) {
    throw new ConfigError(`Cannot create --out-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}.`, {
      hint: 'Give a directory you can write to.',
      cause: err,
    });
  }
  const files = renderObjectFiles(result.objects, header(result));
  const removed = readdirSync(target).filter((name) => RENDERED_FILE_PATTERN.test(name) && !files.has(name));
  for (const name of removed) rmSync(join(target, name));
  for (const [name, content] of files) writeFileSync(join(target, name), content);
  return { dir: target, files: result.objects.map((o, i) => manifestFileName(o, i)), removed };
}
