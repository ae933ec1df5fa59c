/**
 * The generated files committed to the repository, from the environment files:
 *   k8s/<env>/NN-<kind>-<name>.yaml          one object per file, in apply order (kubectl/GitOps users)
 *   deploy/alerts/<env>.rules.yaml           the alert rules as a plain Prometheus rules file
 *   deploy/alerts/tests/<env>.test.yaml      promtool unit tests for every alert
 * `npm run render:k8s` writes them (writeRenderedFiles); a test re-renders them in memory and fails when
 * the committed copies differ.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { buildPromtoolTests } from './alert-tests.js';
import { buildPrometheusRulesFile } from './alerts.js';
import { toYamlDocument, toYamlStream } from './canonical.js';
import { type Environment, listEnvironments, loadEnvironment, repositoryRoot } from './environment.js';
import { buildManifests, type ManifestObject, manifestFileName } from './index.js';

export const RENDER_COMMAND = 'npm run render:k8s';

/** The comment at the top of every generated file. */
export function generatedHeader(env: Environment, what: string): string {
  return (
    `${what}\n` +
    `Generated from ${env.file} by \`${RENDER_COMMAND}\`: do not edit by hand;\n` +
    'change the environment file (or src/deploy/manifests/) and re-render.'
  );
}

function comment(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => (l ? `# ${l}` : '#'))
      .join('\n') + '\n'
  );
}

/** One object per file, as `render --out-dir` writes them: file name -> content. */
export function renderObjectFiles(objects: readonly ManifestObject[], header: string): Map<string, string> {
  const files = new Map<string, string>();
  objects.forEach((o, i) => {
    files.set(manifestFileName(o, i), toYamlStream([o], header));
  });
  return files;
}

/** Every generated file of one environment: repository-relative path (with /) -> content. */
export function renderEnvironmentFiles(env: Environment): Map<string, string> {
  const files = new Map<string, string>();
  const objects = buildManifests(env);
  const header = generatedHeader(
    env,
    `Kubernetes manifests of the ${env.name} environment (namespace ${env.namespace}).`,
  );
  for (const [name, content] of renderObjectFiles(objects, header)) {
    files.set(posix.join('k8s', env.name, name), content);
  }
  const rulesName = `${env.name}.rules.yaml`;
  files.set(
    posix.join('deploy', 'alerts', rulesName),
    comment(
      generatedHeader(
        env,
        `Prometheus alert rules of the ${env.name} environment (the PrometheusRule's groups).`,
      ),
    ) + toYamlDocument(buildPrometheusRulesFile(env)),
  );
  files.set(
    posix.join('deploy', 'alerts', 'tests', `${env.name}.test.yaml`),
    comment(
      generatedHeader(
        env,
        `promtool unit tests of the ${env.name} alert rules: promtool test rules deploy/alerts/tests/${env.name}.test.yaml`,
      ),
    ) + toYamlDocument(buildPromtoolTests(env, posix.join('..', rulesName))),
  );
  return files;
}

/** Every generated file of every environment in deploy/environments. */
export function renderAllFiles(rootDir: string = repositoryRoot()): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of listEnvironments(rootDir)) {
    for (const [path, content] of renderEnvironmentFiles(loadEnvironment(name, rootDir)))
      files.set(path, content);
  }
  return files;
}

/** Files under k8s/<env>/ and deploy/alerts/ that exist on disk but would not be generated any more. */
export function staleGeneratedFiles(rootDir: string, files: Map<string, string>): string[] {
  const stale: string[] = [];
  const dirs = new Set<string>();
  for (const path of files.keys()) dirs.add(posix.dirname(path));
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = readdirSync(join(rootDir, dir));
    } catch {
      continue;
    }
    for (const name of names) {
      const path = posix.join(dir, name);
      if (name.endsWith('.yaml') && !files.has(path)) stale.push(path);
    }
  }
  return stale.sort();
}

/** Writes every generated file and removes generated files that are no longer produced. */
export function writeRenderedFiles(rootDir: string = repositoryRoot()): {
  written: string[];
  removed: string[];
} {
  const files = renderAllFiles(rootDir);
  const removed = staleGeneratedFiles(rootDir, files);
  for (const path of removed) rmSync(join(rootDir, path));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(rootDir, path)), { recursive: true });
    writeFileSync(join(rootDir, path), content);
  }
  return { written: [...files.keys()], removed };
}
