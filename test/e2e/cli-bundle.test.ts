/**
 * The bundled CLI (build/bundle-cli.mjs, dist/cli-bundle/ after `npm run build`): it must behave as
 * the tsc output does. Bundled into a directory of its own under test/.artifacts, so the check
 * neither needs nor disturbs dist/. Covers what moves when code is bundled: lookups relative to a
 * module (package.json version, deploy/environments), error class names (exit codes), and the
 * lazy loading of heavy modules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test', '.artifacts', `cli-bundle-${process.pid}`);

/** Run main(args) from the bundle in a fresh process; the modules it loaded are listed on stderr. */
function runBundled(args: string[], env: NodeJS.ProcessEnv = {}) {
  const script = `
    const { main } = await import(${JSON.stringify(pathToFileURL(join(OUT, 'main.js')).href)});
    process.exitCode = await main(${JSON.stringify(args)});
  `;
  // --trace-... is not stable across Node versions: list the loaded chunk files with a load hook instead.
  const hook = `data:text/javascript,${encodeURIComponent(
    'export async function load(u, c, n) { if (u.startsWith("file:")) process.stderr.write("LOADED " + u + "\\n"); return n(u, c); }',
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register(${JSON.stringify(hook)});`,
  )}`;
  const r = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: join(OUT, 'home'), NO_COLOR: '1', ...env },
  });
  const loaded = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !l.startsWith('LOADED '))
    .join('\n');
  return { code: r.status, stdout: r.stdout, stderr, loaded };
}

before(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'build', 'bundle-cli.mjs'), '--outdir', OUT], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `bundle-cli failed:\n${r.stdout}\n${r.stderr}`);
});
after(() => rmSync(OUT, { recursive: true, force: true }));

describe('bundled CLI', () => {
  it('is one entry module plus lazy chunks, and refuses to empty a directory that is not its own', () => {
    assert.ok(existsSync(join(OUT, 'main.js')));
    const chunks = readdirSync(join(OUT, 'chunks')).filter((f) => f.endsWith('.js'));
    assert.ok(
      chunks.some((f) => f.startsWith('status-')),
      `a status chunk among ${chunks.join(', ')}`,
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'build', 'bundle-cli.mjs'), '--outdir', ROOT], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--outdir must be a directory of its own/);
  });

  it('--version reads the package version although main.js sits at another depth', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    const r = runBundled(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  });

  it('--help loads no command action and no Kubernetes client', () => {
    const r = runBundled(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: mobius-deploy/);
    assert.match(r.stdout, /status/);
    const lazy = r.loaded.filter((u) => /\/chunks\/(status|client|verify|deploy|js-yaml)-/.test(u));
    assert.deepEqual(lazy, [], 'action chunks loaded for --help');
    assert.ok(!r.loaded.some((u) => u.includes('@kubernetes/client-node')), r.loaded.join('\n'));
  });

  it('-e finds deploy/environments/<name>.yaml from a lazy chunk (render -e staging)', () => {
    const staging = readFileSync(join(ROOT, 'deploy', 'environments', 'staging.yaml'), 'utf8');
    const ns = /^\s*namespace:\s*(\S+)/m.exec(staging)?.[1];
    assert.ok(ns, 'staging.yaml names a namespace');
    const r = runBundled(['render', '-e', 'staging', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: Array<{ kind: string; metadata: { namespace?: string } }> };
    const deployment = list.items.find((o) => o.kind === 'Deployment');
    assert.equal(deployment?.metadata.namespace, ns);
    assert.ok(
      r.loaded.some((u) => /\/chunks\/environment-/.test(u)),
      'environment chunk loaded lazily',
    );
  });

  it('errors keep their class names and exit codes (unknown environment: 2; no kubeconfig: 2)', () => {
    const unknown = runBundled(['status', '-e', 'no-such-env']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no-such-env/);
    assert.doesNotMatch(unknown.stderr, /\n\s+at /, 'no stack trace');
    const nokube = runBundled(['status', '-n', 'production'], { KUBECONFIG: join(OUT, 'missing.yaml') });
    assert.equal(nokube.code, 2, nokube.stderr);
    assert.match(nokube.stderr, /kubeconfig/i);
  });
});
