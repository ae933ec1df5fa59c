#!/usr/bin/env node
// npm test: provisions the programs the tests need (test/toolchain/manifest.ts) and a Redis, then
// runs every test file under test/ with Node's own test runner (TypeScript through tsx).
//   node test/run.mjs            all tests
//   node test/run.mjs --unit     only test/unit/** (no Redis, no processes, no tools)
//   node test/run.mjs PATTERN    only files whose path contains PATTERN
// The work is in test/runner.ts; this file only loads TypeScript support for it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./runner.ts');
process.exitCode = await main(process.argv.slice(2));
