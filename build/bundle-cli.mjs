#!/usr/bin/env node
/**
 * Bundle the mobius-deploy CLI (src/deploy/cli/main.ts and what it imports) into dist/cli-bundle/
 * so that it starts fast: one ES module for what every command needs (commander
 * and the command definitions) instead of ~50 files the ES module loader resolves, reads and
 * links one by one, and lazy chunks for everything behind a dynamic import() (each command's
 * action, the printers, yaml/zod), loaded only by the command that uses them.
 *
 * Run by `npm run build` after tsc; cli/mobius-deploy.js loads dist/cli-bundle/main.js when it is
 * present and not older than the tsc output (else dist/deploy/cli/main.js).
 *
 * Packages stay outside the bundle (loaded from node_modules as before) unless listed in BUNDLED:
 * small, pure-JS libraries on the start-up path. @kubernetes/client-node in particular stays
 * external: it is large, loaded lazily, and resolves files of its own at run time.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// From the TypeScript sources (tsc has type-checked them; esbuild only strips the types), not from
// tsc's output in dist/, so a tsc writing dist/ at the same time cannot hand us half-written files.
const entry = join(root, 'src', 'deploy', 'cli', 'main.ts');
// --outdir DIR: bundle elsewhere (the tests do, to check the bundle without touching dist/).
const outArg = process.argv.indexOf('--outdir');
const outdir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'dist', 'cli-bundle');
/** Packages bundled into the CLI (pure JS, small, on the start-up or daily-check path). */
const BUNDLED = new Set(['commander', 'js-yaml']);

if (!existsSync(entry)) {
  console.error(`bundle-cli: ${entry} is missing.`);
  process.exit(2);
}

/** Keep every bare import (a package) external unless it is in BUNDLED. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const name = args.path.startsWith('@')
        ? args.path.split('/').slice(0, 2).join('/')
        : args.path.split('/')[0];
      return BUNDLED.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

// The output directory is emptied first: refuse anything but a directory of its own in the repository.
const rel = relative(root, outdir);
if (!rel || rel.startsWith('..') || resolve(root, rel) !== outdir || ['src', 'dist', 'build', 'test', 'cli'].includes(rel)) {
  console.error(`bundle-cli: --outdir must be a directory of its own inside ${root} (got ${outdir}).`);
  process.exit(2);
}
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: entry },
  outdir,
  bundle: true,
  // Splitting keeps each command's code (and the packages it imports statically, such as yaml and
  // zod) out of the start-up path; one file without it measured ~80 ms slower for every command.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.build.json'),
  // Error classes name themselves from new.target.name: keep class and function names.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS (commander) calls require() for Node built-ins.
  banner: {
    js: "import{createRequire as __mobiusCreateRequire}from'node:module';const require=__mobiusCreateRequire(import.meta.url);",
  },
  plugins: [externalPackages],
  metafile: true,
  logLevel: 'warning',
});
if (result.errors.length > 0) process.exit(1);

let files = 0;
let bytes = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.js')) {
      files += 1;
      bytes += statSync(p).size;
    }
  }
};
walk(outdir);
console.log(
  `bundle-cli: ${relative(root, join(outdir, 'main.js'))} and ${files - 1} lazy chunks (${Math.round(bytes / 1024)} KiB)`,
);
