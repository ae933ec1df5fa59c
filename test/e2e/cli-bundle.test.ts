/**
 * The bundled CLI (build/bundle-cli.mjs, dist/cli-bundle/ after `npm run build`): one CommonJS file
 * run through src/deploy/cli/bundle-loader.ts with a V8 code cache. It must behave as the tsc output
 * does. Bundled into a directory of its own under test/.artifacts, so the check neither needs nor
 * disturbs dist/. Covers what moves when code is bundled: lookups relative to a module (package.json
 * version, deploy/environments), error class names (exit codes), the lazy loading of heavy modules,
 * and the code cache (used when it matches, ignored when it does not).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'test', '.artifacts', `cli-bundle-${process.pid}`);

interface BundledRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The code cache's fate: used, rejected, stale or missing. */
  cache: string;
  /** Packages and files loaded (CommonJS require and ES module import), and Node built-ins. */
  loaded: string[];
}

/**
 * Run main(args) from the bundle in a fresh process, the way cli/mobius-deploy.js does; what it
 * loaded is listed on stderr (CommonJS from require.cache, ES modules through a load hook, built-ins
 * from process.moduleLoadList).
 */
function runBundled(args: string[], env: NodeJS.ProcessEnv = {}, dir = OUT): BundledRun {
  const script = `
    const { loadBundle } = require(${JSON.stringify(join(dir, 'loader.cjs'))});
    const bundle = loadBundle(${JSON.stringify(join(dir, 'main.cjs'))});
    process.on('exit', () => {
      process.stderr.write('CACHE ' + bundle.cache + '\\n');
      for (const f of Object.keys(require.cache)) process.stderr.write('LOADED ' + f + '\\n');
      for (const m of process.moduleLoadList) process.stderr.write('LOADED builtin:' + m + '\\n');
    });
    bundle.exports.main(${JSON.stringify(args)}).then((code) => { process.exitCode = code; });
  `;
  const hook = `data:text/javascript,${encodeURIComponent(
    'export async function load(u, c, n) { if (u.startsWith("file:")) process.stderr.write("LOADED " + u + "\\n"); return n(u, c); }',
  )}`;
  const register = `data:text/javascript,${encodeURIComponent(
    `import { register } from 'node:module'; register(${JSON.stringify(hook)});`,
  )}`;
  const r = spawnSync(process.execPath, ['--import', register, '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: join(OUT, 'home'), NO_COLOR: '1', ...env },
  });
  const lines = r.stderr.split('\n');
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: lines.filter((l) => !l.startsWith('LOADED ') && !l.startsWith('CACHE ')).join('\n'),
    cache: lines.find((l) => l.startsWith('CACHE '))?.slice('CACHE '.length) ?? '',
    loaded: lines.filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length)),
  };
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
  it('is one CommonJS file with a code cache and a loader, and refuses to empty a directory that is not its own', () => {
    for (const f of ['main.cjs', 'main.cjs.v8cache', 'loader.cjs']) assert.ok(existsSync(join(OUT, f)), f);
    const code = readFileSync(join(OUT, 'main.cjs'), 'latin1');
    assert.doesNotMatch(code, /\bimport\(/, 'every import() goes through __mobiusImport');
    assert.match(code, /__mobiusImport\("@kubernetes\/client-node"\)/);
    assert.doesNotMatch(code, /[^\x00-\x7f]/, 'ASCII only (the loader reads it as latin1)');
    const r = spawnSync(process.execPath, [join(ROOT, 'build', 'bundle-cli.mjs'), '--outdir', ROOT], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--outdir must be a directory of its own/);
  });

  it('--version reads the package version although main.cjs sits at another depth; the cache is used', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    const r = runBundled(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
    assert.equal(r.cache, 'used');
  });

  it('--help loads neither the Kubernetes client, yaml, zod, TLS nor child_process', () => {
    const r = runBundled(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: mobius-deploy/);
    assert.match(r.stdout, /status/);
    const heavy = r.loaded.filter((u) =>
      /@kubernetes[\\/]client-node|node_modules[\\/](yaml|zod)[\\/]|^builtin:NativeModule (https|tls|child_process)$/.test(
        u,
      ),
    );
    assert.deepEqual(heavy, [], 'loaded for --help');
  });

  it('a cache made for another bundle, a damaged one and one V8 refuses are ignored; all still run', () => {
    const dir = join(OUT, 'copy');
    mkdirSync(dir, { recursive: true });
    for (const f of ['main.cjs', 'main.cjs.v8cache', 'loader.cjs']) copyFileSync(join(OUT, f), join(dir, f));
    // copyFileSync gives main.cjs a new mtime: the header no longer names it.
    const stale = runBundled(['--version'], {}, dir);
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(stale.cache, 'stale');

    const cache = readFileSync(join(OUT, 'main.cjs.v8cache'));
    const data = cache.subarray(cache.indexOf(10) + 1);
    const st = statSync(join(dir, 'main.cjs'));
    const writeCache = (payload: Buffer, crc: number) => {
      const header = JSON.stringify({
        bundleSize: st.size,
        bundleMtimeMs: st.mtimeMs,
        crc32: crc,
        node: 'x',
      });
      writeFileSync(join(dir, 'main.cjs.v8cache'), Buffer.concat([Buffer.from(`${header}\n`), payload]));
    };
    // Damaged bytes under a header that names this bundle: caught by the checksum, never run.
    const damaged = Buffer.from(data);
    damaged.fill(7, 64);
    writeCache(damaged, crc32(data));
    const bad = runBundled(['status', '--help'], {}, dir);
    assert.equal(bad.code, 0, bad.stderr);
    assert.match(bad.stdout, /Usage: mobius-deploy status/);
    assert.equal(bad.cache, 'damaged');
    // Intact bytes V8 cannot use (cut short): V8's own checks reject it.
    const cut = data.subarray(0, data.length - 1000);
    writeCache(cut, crc32(cut));
    const rejected = runBundled(['status', '--help'], {}, dir);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, /Usage: mobius-deploy status/);
    assert.equal(rejected.cache, 'rejected');
  });

  it('-e finds deploy/environments/<name>.yaml (render -e staging)', () => {
    const staging = readFileSync(join(ROOT, 'deploy', 'environments', 'staging.yaml'), 'utf8');
    const ns = /^\s*namespace:\s*(\S+)/m.exec(staging)?.[1];
    assert.ok(ns, 'staging.yaml names a namespace');
    const r = runBundled(['render', '-e', 'staging', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { items: Array<{ kind: string; metadata: { namespace?: string } }> };
    const deployment = list.items.find((o) => o.kind === 'Deployment');
    assert.equal(deployment?.metadata.namespace, ns);
  });

  it('-o yaml output works from the bundle (the yaml package loads on demand)', () => {
    const r = runBundled(['render', '-e', 'staging', '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kind: Deployment$/m);
    assert.ok(
      r.loaded.some((u) => /node_modules[\\/]yaml[\\/]/.test(u)),
      'yaml loaded',
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
