/**
 * The structure docs/ARCHITECTURE.md draws, checked on the import graph of src/: imports point one
 * way (a file may import its own layer or a lower one), no file imports another command's folder,
 * deciding code (a command's run*.ts) never imports its printers, there is no import cycle, no
 * file in src/ is longer than 400 lines, only kube/ spells a Kubernetes API path, and the actions
 * (commands/, health/, release/) use no `any`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 400;

/** Layers from the bottom up; a file may import only its own layer or one below it. */
const LAYERS: [rank: number, prefixes: string[]][] = [
  [0, ['src/contract/']],
  [1, ['src/worker/']],
  [1, ['src/deploy/errors.ts', 'src/deploy/package-root.ts', 'src/deploy/util/']],
  [2, ['src/deploy/output/']],
  [3, ['src/deploy/kube/', 'src/deploy/manifests/', 'src/deploy/patterns/', 'src/deploy/image/']],
  [4, ['src/deploy/ledger/', 'src/deploy/rbac-analysis/']],
  [5, ['src/deploy/incidents/', 'src/deploy/metrics/', 'src/deploy/health/']],
  [6, ['src/deploy/release/']],
  // The CLI's surface: cli/ (main, the command list, global and shared options, the result
  // printer) and each command's folder; the cycle check keeps them apart.
  [7, ['src/deploy/commands/', 'src/deploy/cli/']],
];

function layerOf(file: string): { rank: number; name: string } {
  for (const [rank, prefixes] of LAYERS) {
    const hit = prefixes.find((p) => file.startsWith(p));
    if (hit) return { rank, name: hit };
  }
  throw new Error(`${file} is in no layer: add its folder to LAYERS and to docs/ARCHITECTURE.md`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|\bimport\s*\(?\s*['"](\.[^'"]+)['"]/g;
/** The code without comments, for the rules that read text. */
const codeOf = (file: string) =>
  readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');

const files = sourceFiles('src');
const graph = new Map<string, string[]>(
  files.map((file) => {
    const targets = [...codeOf(file).matchAll(IMPORT)].map((m) =>
      relative(ROOT, resolve(ROOT, dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts'))),
    );
    return [file, targets];
  }),
);

/** The worker and the toolkit share only src/contract/. */
const isWorker = (file: string) => file.startsWith('src/worker/');

const commandOf = (file: string) => /^src\/deploy\/commands\/([^/]+)\//.exec(file)?.[1];

test('imports point down the layers; a command imports no other command; run code imports no printer', () => {
  const wrong: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    for (const to of targets) {
      const b = layerOf(to);
      if (b.rank > a.rank || (b.rank > 0 && isWorker(from) !== isWorker(to))) {
        wrong.push(`${from} → ${to} (${a.name} may not import ${b.name})`);
      } else if (commandOf(from) && commandOf(to) && commandOf(from) !== commandOf(to)) {
        wrong.push(`${from} → ${to} (one command's folder may not import another's)`);
      } else if (/\/run[^/]*\.ts$/.test(from) && /\/print[^/]*\.ts$/.test(to)) {
        wrong.push(`${from} → ${to} (deciding code never imports a printer)`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('only kube/ spells a Kubernetes API path; the actions use no `any`', () => {
  const API_PATH = /['"`]\/(?:apis\/|api\/v1\/namespaces)/;
  const ANY = /(?::|\bas|<|=)\s*any\b(?![-\w])/;
  const actions = /^src\/deploy\/(?:commands|health|release)\//;
  const wrong: string[] = [];
  for (const file of files.filter((f) => f.startsWith('src/deploy/'))) {
    const code = codeOf(file);
    if (!file.startsWith('src/deploy/kube/') && API_PATH.test(code))
      wrong.push(`${file}: builds an API path`);
    if (actions.test(file) && ANY.test(code)) wrong.push(`${file}: uses \`any\``);
  }
  assert.deepEqual(wrong, []);
});

test('no import cycle between files in src/', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const to of graph.get(file) ?? []) visit(to, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test(`no file in src/ is longer than ${MAX_LINES} lines`, () => {
  const long = files
    .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.file}: ${f.lines} lines`);
  assert.deepEqual(long, []);
});
