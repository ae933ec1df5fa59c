#!/usr/bin/env node
// The file users type: `node cli/mobius-deploy.js <command>`. A tiny shim into the compiled CLI,
// so that `--help` starts fast (heavy modules are loaded lazily by each command).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'deploy', 'cli', 'main.js');
if (!existsSync(entry)) {
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
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
