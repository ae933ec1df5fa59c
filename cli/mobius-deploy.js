#!/usr/bin/env node
// The file users type: `node cli/mobius-deploy.js <command>`. A tiny shim into the built CLI.
// `npm run build` compiles src/ with tsc (dist/deploy/cli/main.js) and then bundles the CLI into
// one file with a V8 code cache (dist/cli-bundle/, build/bundle-cli.mjs), which starts much faster:
// see src/deploy/cli/bundle-loader.ts. The bundle is used when it is present and not older than
// the tsc output (a later `tsc` alone must not leave a stale bundle in charge);
// MOBIUS_DEPLOY_NO_BUNDLE=1 forces the unbundled files.
// This file is CommonJS (cli/package.json): a run that never needs the ES module loader starts sooner.
'use strict';
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'deploy', 'cli', 'main.js');
const bundleDir = join(root, 'dist', 'cli-bundle');
const bundled = join(bundleDir, 'main.cjs');

/** The CLI's main(argv), from the bundle or from tsc's output (each file is looked at once). */
async function loadMain() {
  const c = statSync(compiled, { throwIfNoEntry: false });
  if (process.env.MOBIUS_DEPLOY_NO_BUNDLE !== '1') {
    const b = statSync(bundled, { throwIfNoEntry: false });
    if (b && (!c || b.mtimeMs >= c.mtimeMs)) {
      return require(join(bundleDir, 'loader.cjs')).loadBundle(bundled).exports.main;
    }
  }
  if (c) return (await import(pathToFileURL(compiled).href)).main;
  process.stderr.write(`mobius-deploy is not built yet: run \`npm ci && npm run build\` in ${root} first.\n`);
  process.exit(2);
}

// `mobius-deploy history | head`: a reader that closes the pipe early ends the command quietly,
// as with other Unix tools, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

loadMain()
  .then((main) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
