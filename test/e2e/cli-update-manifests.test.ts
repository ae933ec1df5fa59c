/**
 * update-manifests end to end: the built CLI run from a copy of the repository (dist/, cli/, deploy/,
 * k8s/) in a temp dir, so the real files are never touched. The environment file keeps every byte but
 * the tag's; k8s/<env>/ is re-rendered exactly as `npm run render:k8s` renders it; bad tags change nothing.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { renderAllFiles } from '../../src/deploy/manifests/rendered-files.js';
import { type CliResult, ensureBuilt, parseJsonOutput, REPO_ROOT, runCli } from '../support/cli.js';

let root: string;

function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'update-manifests-'));
  for (const path of ['package.json', 'cli', 'dist', 'deploy', 'k8s']) {
    cpSync(join(REPO_ROOT, path), join(dir, path), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The CLI of the sandbox copy, run in the sandbox. */
function run(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: root, cliPath: join(root, 'cli', 'mobius-deploy.js') });
}

/** Every file under deploy/ and k8s/ of the sandbox: relative path -> content. */
function tree(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  walk('deploy');
  walk('k8s');
  return files;
}

const STAGING = 'deploy/environments/staging.yaml';

before(() => {
  ensureBuilt();
});

beforeEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = copyRepo();
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('update-manifests', () => {
  test('changes only the tag in the environment file and re-renders k8s/<env>/ like render:k8s', async () => {
    const before = tree();
    const original = before.get(STAGING)!;
    const currentTag = /^ {2}tag: (\S+)$/m.exec(original)![1]!;
    assert.notEqual(currentTag, '1.4.2');

    const r = await run(['update-manifests', '--env', 'staging', '--image-tag', '1.4.2', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = parseJsonOutput<Record<string, unknown>>(r);
    assert.equal(out.changed, true);
    assert.equal(out.previousTag, currentTag);
    assert.equal(out.imageTag, '1.4.2');

    const afterFiles = tree();
    const updated = afterFiles.get(STAGING)!;
    // Byte for byte: comments, blank lines and order are kept; only the tag line differs.
    assert.equal(updated, original.replace(`\n  tag: ${currentTag}\n`, '\n  tag: 1.4.2\n'));
    const origLines = original.split('\n');
    const newLines = updated.split('\n');
    assert.equal(newLines.length, origLines.length);
    assert.deepEqual(
      newLines.flatMap((l, i) => (l === origLines[i] ? [] : [l])),
      ['  tag: 1.4.2'],
    );

    // The generated files are exactly what the render:k8s writer produces for the new file.
    const expected = renderAllFiles(root);
    for (const [path, content] of expected) assert.equal(afterFiles.get(path), content, path);
    const deployment = [...afterFiles.keys()].find((p) => /^k8s\/staging\/\d+-deployment-/.test(p))!;
    assert.match(afterFiles.get(deployment)!, /image: ghcr\.io\/mobius-org\/mobius-preview-worker:1\.4\.2/);
    assert.ok((out.rendered as string[]).includes(deployment), JSON.stringify(out.rendered));
    // Production is untouched.
    for (const [path, content] of before) {
      if (path.includes('production')) assert.equal(afterFiles.get(path), content, path);
    }
  });

  test('the same tag again is a no-op and says so', async () => {
    const first = await run(['update-manifests', '-e', 'staging', '--image-tag', '1.4.2']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /image\.tag \S+ → 1\.4\.2/);
    const snapshot = tree();
    const again = await run(['update-manifests', '-e', 'staging', '--image-tag', '1.4.2']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already has image\.tag 1\.4\.2: nothing changed/);
    assert.deepEqual(tree(), snapshot);
  });

  test('a tag YAML would read as a number is quoted so it stays a string', async () => {
    const r = await run(['update-manifests', '-e', 'staging', '--image-tag', '2.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(root, STAGING), 'utf8'), /^ {2}tag: "2\.0"$/m);
    const render = await run(['render', '-e', 'staging']);
    assert.match(render.stdout, /mobius-preview-worker:2\.0\n/);
  });

  test('invalid tags exit 2 and leave every file untouched', async () => {
    const snapshot = tree();
    for (const tag of ['bad tag', '-x', 'a:b', 'x'.repeat(129)]) {
      const r = await run(['update-manifests', '--env', 'staging', '--image-tag', tag]);
      assert.equal(r.code, 2, `${tag}: ${r.stderr}`);
      assert.match(r.stderr, /is not a valid image tag/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
    assert.deepEqual(tree(), snapshot);
  });

  test('usage errors: no --env, no --image-tag, unknown environment', async () => {
    const snapshot = tree();
    for (const [args, message] of [
      [['update-manifests', '--image-tag', '1.0.0'], /needs an environment/],
      [['update-manifests', '--env', 'staging'], /needs --image-tag/],
      [['update-manifests', '--env', 'qa', '--image-tag', '1.0.0'], /qa/],
    ] as Array<[string[], RegExp]>) {
      const r = await run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(tree(), snapshot);
  });

  test('an environment file that would not validate afterwards is left as it was', async () => {
    // A file whose tag is fine but which is otherwise broken is rejected before anything is written.
    const path = join(root, STAGING);
    const broken = readFileSync(path, 'utf8').replace(/^replicas: \d+$/m, 'replicas: 99');
    writeFileSync(path, broken);
    const r = await run(['update-manifests', '--env', 'staging', '--image-tag', '1.4.2']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /replicas/);
    assert.equal(readFileSync(path, 'utf8'), broken);
  });
});
