#!/usr/bin/env node
/**
 * Bundle the mobius-deploy CLI (src/deploy/cli/main.ts and what it imports) so that it starts fast:
 *   dist/cli-bundle/main.cjs          all of the CLI's own code (and the small pure-JS packages in
 *                                     BUNDLED) in one CommonJS file
 *   dist/cli-bundle/main.cjs.v8cache  V8's compiled code for it, from a warm-up run of the daily
 *                                     commands (build/warm-cli-cache.mjs)
 *   dist/cli-bundle/loader.cjs        src/deploy/cli/bundle-loader.ts: runs main.cjs with that cache
 *
 * Why this shape (measured with `npm run bench:cli`): an ES module graph of many files costs the
 * module loader about a millisecond per file, and compiling the code again on every run costs more
 * than the rest of a quick command. One CommonJS file costs one read; esbuild wraps each module in
 * a lazy initialiser, so a command's code (and the packages it requires) runs only when that
 * command is used; and the code cache removes most of the compile time.
 *
 * Packages stay outside the bundle (loaded from node_modules as before) unless listed in BUNDLED.
 * @kubernetes/client-node in particular stays external: it is large, loaded lazily, and ES-module
 * only, so it is loaded with import(), which bundle-loader.ts supplies as `__mobiusImport` (code
 * from a V8 cache cannot call import() itself in Node 20). Every `import()` left in the output is
 * rewritten to that call, and the build fails if the count differs from esbuild's own list.
 *
 * Run by `npm run build` after tsc; cli/mobius-deploy.js uses the bundle when it is present and
 * not older than the tsc output (else dist/deploy/cli/main.js).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// From the TypeScript sources (tsc has type-checked them; esbuild only strips the types), not from
// tsc's output in dist/, so a tsc writing dist/ at the same time cannot hand us half-written files.
const entry = join(root, 'src', 'deploy', 'cli', 'main.ts');
const loaderEntry = join(root, 'src', 'deploy', 'cli', 'bundle-loader.ts');
// --outdir DIR: bundle elsewhere (the tests do, to check the bundle without touching dist/).
const outArg = process.argv.indexOf('--outdir');
const outdir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'dist', 'cli-bundle');
/** Packages bundled into the CLI (pure JS, small, on the start-up or daily-check path). */
const BUNDLED = new Set(['commander', 'js-yaml']);
/** Single files of external packages bundled all the same (ES-module files CommonJS cannot require). */
const BUNDLED_FILES = new Set(['@kubernetes/client-node/dist/config_types.js']);

for (const file of [entry, loaderEntry]) {
  if (!existsSync(file)) {
    console.error(`bundle-cli: ${file} is missing.`);
    process.exit(2);
  }
}

/** Keep every bare import (a package) external unless it is in BUNDLED or BUNDLED_FILES. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      if (BUNDLED_FILES.has(args.path)) return undefined;
      const name = args.path.startsWith('@')
        ? args.path.split('/').slice(0, 2).join('/')
        : args.path.split('/')[0];
      return BUNDLED.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

/**
 * commander requires node:child_process at load time, only to run executable subcommands, which
 * this CLI has none of; loading it (with net, dgram and streams) costs every run ~3 ms. Inside
 * commander it becomes a stand-in that requires the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy-builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents:
        "module.exports = new Proxy({}, { get: (_target, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

// The output directory is emptied first: refuse anything but a directory of its own in the repository.
const rel = relative(root, outdir);
if (!rel || rel.startsWith('..') || resolve(root, rel) !== outdir || ['src', 'dist', 'build', 'test', 'cli'].includes(rel)) {
  console.error(`bundle-cli: --outdir must be a directory of its own inside ${root} (got ${outdir}).`);
  process.exit(2);
}
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const mainFile = join(outdir, 'main.cjs');
const result = await build({
  entryPoints: [entry],
  outfile: mainFile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.build.json'),
  // Error classes name themselves from new.target.name: keep class and function names.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  // import.meta does not exist in CommonJS: the code's own URL comes from the file name instead.
  define: { 'import.meta.url': '__mobiusModuleUrl' },
  banner: { js: "'use strict';const __mobiusModuleUrl=require('node:url').pathToFileURL(__filename).href;" },
  plugins: [lazyChildProcessForCommander, externalPackages],
  metafile: true,
  write: false,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

// Rewrite import("pkg") to __mobiusImport("pkg") (see the header), checked against esbuild's list.
const expected = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.kind === 'dynamic-import' && i.external).length;
let rewritten = 0;
for (const file of result.outputFiles) {
  if (!file.path.endsWith('.cjs')) {
    writeFileSync(file.path, file.contents);
    continue;
  }
  const code = file.text.replace(/\bimport\(("[^"\\]+")\)/g, (_m, spec) => {
    rewritten += 1;
    return `__mobiusImport(${spec})`;
  });
  if (/\bimport\(/.test(code)) {
    console.error('bundle-cli: an import() is left in main.cjs that is not a string literal; make it one.');
    process.exit(1);
  }
  // bundle-loader.ts reads main.cjs as latin1: it must be ASCII (esbuild's default charset).
  const nonAscii = code.search(/[^\x00-\x7f]/);
  if (nonAscii >= 0) {
    console.error(`bundle-cli: main.cjs has a non-ASCII character at offset ${nonAscii}; keep esbuild's charset: 'ascii'.`);
    process.exit(1);
  }
  writeFileSync(file.path, code);
}
if (rewritten !== expected) {
  console.error(`bundle-cli: rewrote ${rewritten} import() calls, esbuild lists ${expected}.`);
  process.exit(1);
}

const loaderResult = await build({
  entryPoints: [loaderEntry],
  outfile: join(outdir, 'loader.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.build.json'),
  minifyWhitespace: true,
  logLevel: 'warning',
});
if (loaderResult.errors.length > 0) process.exit(1);

// The warm-up and the cache: a process of its own (the same Node and flags as a user's run), the
// daily commands against a local stand-in for the API server (build/warm-cli-cache.mjs).
const warm = spawnSync(process.execPath, [join(root, 'build', 'warm-cli-cache.mjs'), outdir], {
  cwd: root,
  encoding: 'utf8',
  timeout: 120_000,
  env: { PATH: process.env.PATH, NO_COLOR: '1' },
});
if (warm.status !== 0) {
  console.error(
    `bundle-cli: the warm-up run for the code cache failed (${warm.error?.message ?? `exit ${warm.status}`}):\n${warm.stdout}${warm.stderr}`,
  );
  process.exit(1);
}
const kib = (n) => Math.round(n / 1024);
console.log(
  `bundle-cli: ${relative(root, mainFile)} (${kib(statSync(mainFile).size)} KiB), its V8 code cache (${kib(Number(warm.stdout))} KiB) and loader.cjs`,
);
