import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/deploy/cli/main.js';
import { loadEnvironment, repositoryRoot } from '../../src/deploy/manifests/environment.js';
import { buildManifests } from '../../src/deploy/manifests/index.js';
import { writeRenderedFiles } from '../../src/deploy/manifests/rendered-files.js';
import { BufferStream } from '../../src/deploy/output/io.js';

async function run(args: string[], rootDir?: string) {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  const code = await main(args, { io: { stdout, stderr, env: { NO_COLOR: '1' } }, rootDir });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('mobius-deploy render', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'render-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints every object of the environment as multi-document YAML', async () => {
    const r = await run(['render', '--env', 'production']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepEqual(docs, buildManifests(loadEnvironment('production')));
    assert.match(r.stdout, /^# Kubernetes manifests of the production environment \(namespace production\)/);
    assert.ok(!/kind: Secret\b/.test(r.stdout));
  });

  it('-o json prints a kind: List', async () => {
    const r = await run(['render', '-e', 'staging', '-o', 'json', '--image-tag', '1.4.2']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { kind: string; items: { kind: string; spec?: unknown }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items, buildManifests(loadEnvironment('staging'), { imageTag: '1.4.2' }));
    assert.match(r.stdout, /mobius-preview-worker:1\.4\.2"/);
  });

  it('--out-dir writes one file per object and replaces an earlier render', async () => {
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, '42-configmap-old.yaml'), 'stale\n');
    writeFileSync(join(out, 'notes.txt'), 'not ours\n');
    const r = await run(['render', '-e', 'production', '--out-dir', out, '--application-only']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 10 files to /);
    const files = readdirSync(out).sort();
    assert.deepEqual(files, [
      '00-serviceaccount-preview-worker.yaml',
      '01-configmap-preview-worker-config.yaml',
      '02-persistentvolumeclaim-preview-worker-data.yaml',
      '03-service-preview-worker.yaml',
      '04-deployment-preview-worker.yaml',
      '05-horizontalpodautoscaler-preview-worker.yaml',
      '06-poddisruptionbudget-preview-worker.yaml',
      '07-networkpolicy-preview-worker.yaml',
      '08-servicemonitor-preview-worker.yaml',
      '09-prometheusrule-preview-worker-alerts.yaml',
      'notes.txt',
    ]);
    const deployment = parseAllDocuments(
      readFileSync(join(out, '04-deployment-preview-worker.yaml'), 'utf8'),
    );
    assert.equal(deployment.length, 1);
    assert.equal(deployment[0]!.toJS().kind, 'Deployment');

    const json = await run(['render', '-e', 'production', '--out-dir', out, '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { files: string[]; removed: string[] };
    assert.equal(result.files.length, 14);
    assert.equal(result.files[0], '00-namespace-production.yaml');
    assert.ok(
      result.removed.includes('00-serviceaccount-preview-worker.yaml'),
      'renumbered files are replaced',
    );
    assert.ok(existsSync(join(out, 'notes.txt')), 'files that are not renders are left alone');
  });

  it('explains usage and configuration errors with exit code 2', async () => {
    const noEnv = await run(['render']);
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.stderr, /render needs an environment: give -e\/--env <name>/);

    const unknown = await run(['render', '-e', 'qa']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No environment named "qa".*Known environments: production, staging/);

    const badTag = await run(['render', '-e', 'production', '--image-tag', 'a b']);
    assert.equal(badTag.code, 2);
    assert.match(badTag.stderr, /--image-tag "a b" is not a valid tag/);

    const both = await run(['render', '-e', 'production', '--image-tag', '1', '--image', 'ghcr.io/a/b:1']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --image or --image-tag/);

    const root = join(dir, 'repo');
    mkdirSync(join(root, 'deploy', 'environments'), { recursive: true });
    const text = readFileSync(join(repositoryRoot(), 'deploy', 'environments', 'production.yaml'), 'utf8');
    writeFileSync(
      join(root, 'deploy', 'environments', 'production.yaml'),
      text.replace('replicas: 3', 'replicas: three'),
    );
    const bad = await run(['render', '-e', 'production'], root);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /deploy\/environments\/production\.yaml: replicas: expected an integer from 1 to 50, got "three"/,
    );
    assert.ok(!/\n\s+at /.test(bad.stderr), 'no stack trace');
  });
});

describe('npm run render:k8s (writeRenderedFiles)', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'render-k8s-'));
    cpSync(join(repositoryRoot(), 'deploy', 'environments'), join(root, 'deploy', 'environments'), {
      recursive: true,
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes k8s/<env>/ and deploy/alerts/, and removes files that are no longer generated', () => {
    const first = writeRenderedFiles(root);
    assert.equal(first.written.length, 2 * (14 + 2));
    assert.deepEqual(first.removed, []);
    for (const path of first.written) assert.ok(existsSync(join(root, path)), path);
    assert.equal(
      readFileSync(join(root, 'k8s', 'production', '08-deployment-preview-worker.yaml'), 'utf8'),
      readFileSync(join(repositoryRoot(), 'k8s', 'production', '08-deployment-preview-worker.yaml'), 'utf8'),
    );
    writeFileSync(join(root, 'k8s', 'staging', '99-configmap-gone.yaml'), 'old\n');
    rmSync(join(root, 'deploy', 'environments', 'staging.yaml'));
    mkdirSync(join(root, 'k8s', 'staging'), { recursive: true });
    const second = writeRenderedFiles(root);
    assert.equal(second.written.length, 14 + 2);
    // Files of a deleted environment stay (its directory is not generated any more); only dirs we write are pruned.
    assert.ok(existsSync(join(root, 'k8s', 'staging', '99-configmap-gone.yaml')));
    writeFileSync(join(root, 'k8s', 'production', '99-configmap-gone.yaml'), 'old\n');
    const third = writeRenderedFiles(root);
    assert.deepEqual(third.removed, ['k8s/production/99-configmap-gone.yaml']);
    assert.ok(!existsSync(join(root, 'k8s', 'production', '99-configmap-gone.yaml')));
  });
});
