#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
//   node test/run.mjs            all tests
//   node test/run.mjs --unit     only test/unit/** (no Redis, no processes)
//   node test/run.mjs PATTERN    only files whose path contains PATTERN
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name === 'support' || name === 'fixtures' || name.startsWith('.')) continue;
      out.push(...walk(full));
    } else if (name.endsWith('.test.ts')) {
      out.push(full);
    }
  }
  return out;
}

let files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .sort();
if (unitOnly) files = files.filter((f) => f.startsWith(join('test', 'unit')));
if (filters.length) files = files.filter((f) => filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' } },
);
process.exit(result.status ?? 1);
