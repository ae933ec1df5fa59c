import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  EnvironmentConfigError,
  listEnvironments,
  loadEnvironment,
  parseEnvironmentYaml,
} from '../../src/deploy/manifests/environment.js';

const FILE = 'deploy/environments/production.yaml';
const productionText = readFileSync(
  new URL('../../deploy/environments/production.yaml', import.meta.url),
  'utf8',
);

function problemsFor(text: string): string[] {
  try {
    parseEnvironmentYaml(text, 'production', FILE);
  } catch (err) {
    assert.ok(err instanceof EnvironmentConfigError, `expected EnvironmentConfigError, got ${err}`);
    assert.equal(err.exitCode, 2);
    return err.problems;
  }
  assert.fail('expected the environment to be rejected');
}

function edit(from: string, to: string): string {
  assert.ok(productionText.includes(from), `fixture text not found: ${from}`);
  return productionText.replace(from, to);
}

describe('loadEnvironment', () => {
  it('loads production and staging from deploy/environments with their namespaces', () => {
    const production = loadEnvironment('production');
    assert.equal(production.name, 'production');
    assert.equal(production.namespace, 'production');
    assert.equal(production.file, FILE);
    assert.equal(production.image.repository, 'ghcr.io/mobius-org/mobius-preview-worker');
    assert.match(production.image.tag, /^\d+\.\d+\.\d+$/);
    assert.equal(production.resources.requests.memory, '256Mi');
    assert.equal(production.redis.secretKey, 'REDIS_URL');
    assert.equal(production.worker.shutdownTimeoutSeconds, 25);
    const staging = loadEnvironment('staging');
    assert.equal(staging.namespace, 'staging');
    assert.equal(staging.resources.requests.memory, '256Mi');
    assert.deepEqual(listEnvironments(), ['production', 'staging']);
  });

  it('reads from a given root directory', () => {
    const root = mkdtempSync(join(tmpdir(), 'env-root-'));
    try {
      mkdirSync(join(root, 'deploy', 'environments'), { recursive: true });
      writeFileSync(
        join(root, 'deploy', 'environments', 'qa.yaml'),
        productionText.replace('namespace: production', 'namespace: qa'),
      );
      const qa = loadEnvironment('qa', root);
      assert.equal(qa.name, 'qa');
      assert.equal(qa.namespace, 'qa');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the known environments when the name is unknown', () => {
    assert.throws(
      () => loadEnvironment('prod'),
      (err: unknown) =>
        err instanceof EnvironmentConfigError &&
        /No environment named "prod"/.test(err.message) &&
        /Known environments: production, staging/.test(err.message),
    );
  });

  it('refuses names that could leave the environments directory', () => {
    for (const name of ['../package', 'a/b', '', 'Production']) {
      assert.throws(
        () => loadEnvironment(name),
        (err: unknown) =>
          err instanceof EnvironmentConfigError && /not a valid environment name/.test(err.message),
      );
    }
  });
});

describe('environment schema errors name the file, the key path and what is allowed', () => {
  it('a bad replica count', () => {
    assert.deepEqual(problemsFor(edit('replicas: 3', 'replicas: three')), [
      `${FILE}: replicas: expected an integer from 1 to 50, got "three"`,
    ]);
  });

  it('an unknown key, listing the allowed keys', () => {
    assert.deepEqual(problemsFor(edit('  tag: 0.1.0', '  tag: 0.1.0\n  tagg: oops')), [
      `${FILE}: image.tagg: unknown key; allowed here: repository, tag, digest, pullPolicy, pullSecret`,
    ]);
    assert.match(
      problemsFor(`${productionText}\nreplica: 2\n`)[0]!,
      /: replica: unknown key; allowed here: .*replicas/,
    );
  });

  it('a missing key', () => {
    assert.deepEqual(problemsFor(edit('namespace: production\n', '')), [
      `${FILE}: namespace: missing; expected a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
    ]);
  });

  it('a value outside an enum', () => {
    assert.deepEqual(problemsFor(edit('pullPolicy: IfNotPresent', 'pullPolicy: Sometimes')), [
      `${FILE}: image.pullPolicy: expected one of "IfNotPresent", "Always", "Never", got "Sometimes"`,
    ]);
  });

  it('quantities and fractions', () => {
    assert.match(
      problemsFor(edit('    memory: 256Mi', '    memory: 256MB'))[0]!,
      /resources\.requests\.memory: expected a memory quantity/,
    );
    assert.match(
      problemsFor(edit('  concurrency: 2', '  concurrency: 2.5'))[0]!,
      /worker\.concurrency: expected an integer from 1 to 64, got 2\.5/,
    );
    assert.match(
      problemsFor(edit('jobFailureRatio: 0.05', 'jobFailureRatio: 5'))[0]!,
      /alerts\.jobFailureRatio: expected a number above 0 and below 1, got 5/,
    );
  });

  it('lists every problem, not only the first', () => {
    const problems = problemsFor(edit('replicas: 3', 'replicas: 0').replace('  size: 100Gi', '  size: lots'));
    assert.equal(problems.length, 2);
    assert.ok(problems.some((p) => p.includes('replicas:')));
    assert.ok(problems.some((p) => p.includes('storage.size:')));
  });

  it('cross-field rules name both keys', () => {
    assert.deepEqual(problemsFor(edit('    memory: 256Mi', '    memory: 2Gi')), [
      `${FILE}: resources.requests.memory: expected at most resources.limits.memory (1Gi), got "2Gi"`,
    ]);
    assert.deepEqual(problemsFor(edit('replicas: 3', 'replicas: 20')), [
      `${FILE}: replicas: expected an integer from autoscaling.minReplicas (3) to autoscaling.maxReplicas (12), got 20`,
    ]);
    assert.match(
      problemsFor(edit('    namespaceSelector:', '    cidr: 10.0.0.0/8\n    namespaceSelector:'))[0]!,
      /redis\.egress: expected either cidr or namespaceSelector\/podSelector .*got both/,
    );
  });

  it('label maps check their keys and values', () => {
    assert.deepEqual(problemsFor(edit('    release: kube-prometheus-stack', '    "bad key!": x')), [
      `${FILE}: monitoring.labels: the key "bad key!" is not valid: expected a label key ([prefix/]name; the name up to 63 letters, digits, "-", "_" and ".")`,
    ]);
    assert.deepEqual(problemsFor(edit('    release: kube-prometheus-stack', '    release: has space')), [
      `${FILE}: monitoring.labels.release: expected a label value (up to 63 characters), got "has space"`,
    ]);
  });

  it('broken YAML reports the line', () => {
    assert.match(
      problemsFor(edit('replicas: 3', 'replicas: [')).join('\n'),
      /not valid YAML \(line \d+, column \d+\)/,
    );
  });

  it('an empty file or a list is rejected as a whole', () => {
    assert.match(problemsFor('')[0]!, /expected a YAML mapping/);
    assert.match(problemsFor('- a\n- b\n')[0]!, /expected a YAML mapping/);
  });
});
