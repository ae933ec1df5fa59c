#!/usr/bin/env node
// The file users type: `node cli/mobius-deploy.js <command>`. A tiny shim into the built CLI,
// so that `--help` starts fast (heavy modules are loaded lazily by each command).
// `npm run build` compiles src/ with tsc (dist/deploy/cli/main.js) and then bundles the CLI
// (dist/cli-bundle/main.js, build/bundle-cli.mjs), which starts faster: one module instead of
// dozens for the ES module loader to resolve and link. The bundle is used when it is present and
// not older than the tsc output (a later `tsc` alone must not leave a stale bundle in charge);
// MOBIUS_DEPLOY_NO_BUNDLE=1 forces the unbundled files.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'deploy', 'cli', 'main.js');
const bundled = join(root, 'dist', 'cli-bundle', 'main.js');

function pickEntry() {
  const c = statSync(compiled, { throwIfNoEntry: false });
  if (process.env.MOBIUS_DEPLOY_NO_BUNDLE !== '1') {
    const b = statSync(bundled, { throwIfNoEntry: false });
    if (b && (!c || b.mtimeMs >= c.mtimeMs)) return bundled;
  }
  return c ? compiled : undefined;
}

const entry = pickEntry();
if (!entry || !existsSync(entry)) {
  process.stderr.write(
    'mobius-deploy is not built yet: run `npm ci && npm run build` in ' + root + ' first.\n',
  );
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
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
