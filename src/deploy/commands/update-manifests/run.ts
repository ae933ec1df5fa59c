/**
 * `update-manifests`: set image.tag in deploy/environments/<env>.yaml and re-render the committed
 * manifests (k8s/<env>/ and deploy/alerts/) with the same writer as `npm run render:k8s`.
 *
 * The edit is a splice of the tag's scalar in the original text (located with the yaml Document
 * API), so comments, blank lines, key order and the rest of the file stay byte-for-byte the same.
 * The new text is validated before anything is written; a tag that is not valid changes nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isScalar, parse, parseDocument, Scalar } from 'yaml';
import { ConfigError } from '../../errors.js';
import { validateImageTag } from '../../image/image.js';
import { ENVIRONMENTS_DIR, loadEnvironment, parseEnvironmentYaml } from '../../manifests/environment.js';
import { writeRenderedFiles } from '../../manifests/rendered-files.js';

export interface UpdateManifestsRequest {
  environment: string;
  imageTag: string;
  /** Repository root (deploy/environments, k8s). */
  rootDir: string;
}

export interface UpdateManifestsResult {
  environment: string;
  /** Repository-relative path of the environment file. */
  file: string;
  previousTag: string;
  imageTag: string;
  image: string;
  /** False when the file already had this tag (nothing was written). */
  changed: boolean;
  /** Repository-relative generated files whose content changed (k8s/<env>/..., deploy/alerts/...). */
  rendered: string[];
  /** Generated files removed because they are no longer produced. */
  removed: string[];
}

/** The YAML source for `tag`, keeping the original quoting; plain only if it reads back as the same string. */
export function tagSource(tag: string, originalType: Scalar['type']): string {
  if (originalType === Scalar.QUOTE_SINGLE) return `'${tag}'`;
  if (originalType === Scalar.QUOTE_DOUBLE) return JSON.stringify(tag);
  let readsBack = false;
  try {
    readsBack = parse(tag) === tag;
  } catch {
    readsBack = false;
  }
  return readsBack ? tag : JSON.stringify(tag);
}

/**
 * Returns `text` with image.tag replaced by `tag` (only the scalar's characters change).
 * Throws ConfigError when the file has no image.tag scalar.
 */
export function setImageTagInYaml(
  text: string,
  tag: string,
  file: string,
): { text: string; previous: string } {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  }
  const node = doc.getIn(['image', 'tag'], true);
  if (!isScalar(node) || !node.range) {
    throw new ConfigError(`${file}: there is no image.tag to update.`, {
      hint: 'The environment file needs an image: mapping with a tag: key.',
    });
  }
  const [start, end] = node.range;
  if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) {
    throw new ConfigError(`${file}: image.tag is a block scalar; write it on one line (tag: 1.2.3) first.`);
  }
  const updated = text.slice(0, start) + tagSource(tag, node.type) + text.slice(end);
  return { text: updated, previous: String(node.value) };
}

function snapshot(rootDir: string, dirs: string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const dir of dirs) {
    const abs = join(rootDir, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs)) {
      if (name.endsWith('.yaml')) files.set(posix.join(dir, name), readFileSync(join(abs, name), 'utf8'));
    }
  }
  return files;
}

export function updateManifests(request: UpdateManifestsRequest): UpdateManifestsResult {
  const tag = validateImageTag(request.imageTag);
  const env = loadEnvironment(request.environment, request.rootDir);
  const file = posix.join(ENVIRONMENTS_DIR.split('\\').join('/'), `${env.name}.yaml`);
  const path = join(request.rootDir, ENVIRONMENTS_DIR, `${env.name}.yaml`);
  const original = readFileSync(path, 'utf8');
  const base = {
    environment: env.name,
    file,
    previousTag: env.image.tag,
    imageTag: tag,
    image: `${env.image.repository}:${tag}`,
  };
  if (env.image.tag === tag) {
    return { ...base, changed: false, rendered: [], removed: [] };
  }
  const { text } = setImageTagInYaml(original, tag, file);
  // Validate the new content in memory before writing (the same checks loadEnvironment makes).
  parseEnvironmentYaml(text, env.name, file);

  const watched = [
    posix.join('k8s', env.name),
    posix.join('deploy', 'alerts'),
    posix.join('deploy', 'alerts', 'tests'),
  ];
  const before = snapshot(request.rootDir, watched);
  writeFileSync(path, text);
  let written: { written: string[]; removed: string[] };
  try {
    const reloaded = loadEnvironment(env.name, request.rootDir);
    if (reloaded.image.tag !== tag) throw new ConfigError(`${file}: image.tag did not read back as ${tag}.`);
    written = writeRenderedFiles(request.rootDir);
  } catch (err) {
    writeFileSync(path, original);
    throw err;
  }
  const after = snapshot(request.rootDir, watched);
  const rendered = [...after.keys()].filter((p) => before.get(p) !== after.get(p)).sort();
  return { ...base, changed: true, rendered, removed: written.removed };
}
