/**
 * Looking at the built image without running the worker: its configuration and labels, its size and
 * what each layer above the base adds, the packages in /app/node_modules (no dev dependency) and
 * whether the canvas native module loads in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  devDependencyProblems,
  formatSize,
  type ImageExpectations,
  imageProblems,
  MAX_IMAGE_BYTES,
} from './checks.js';
import { runInImage } from './container.js';
import {
  formatMiB,
  type LayerSummary,
  layersAboveBase,
  parseHistory,
  parseImageInspect,
  podman,
} from './podman.js';
import type { Progress } from './progress.js';

/** Lists /app/node_modules as package-lock.json spells its paths, and loads the canvas module. */
const LOOK_INSIDE = `
import { readdirSync } from 'node:fs';
const found = [];
const walk = (dir) => {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const names = e.name.startsWith('@') ? readdirSync(dir + '/' + e.name).map((s) => e.name + '/' + s) : [e.name];
    for (const name of names) { found.push(dir + '/' + name); walk(dir + '/' + name + '/node_modules'); }
  }
};
walk('node_modules');
let canvas = 'loaded';
try { const c = await import('@napi-rs/canvas'); c.createCanvas(2, 2).getContext('2d').fillRect(0, 0, 1, 1); }
catch (err) { canvas = err.message.split('\\n')[0]; }
const mnt = readdirSync('/mnt');
console.log(JSON.stringify({ packages: found, canvas, mnt }));
`;

export interface ImageReport {
  sizeBytes: number;
  baseSizeBytes: number;
  layers: LayerSummary[];
}

export function inspectImage(
  root: string,
  image: string,
  baseImage: string,
  want: ImageExpectations,
  progress: Progress,
): ImageReport {
  const facts = parseImageInspect(podman.ok(['image', 'inspect', image]));
  const base = parseImageInspect(podman.ok(['image', 'inspect', baseImage]));
  const problems = imageProblems(facts, want);
  if (problems.length === 0) {
    progress.pass(
      `labels (version ${want.version}, revision ${want.revision.slice(0, 12)}, created ${want.created}), USER ${facts.user}, port ${want.containerPort}`,
    );
  }
  for (const p of problems) progress.fail(p);

  const layers = layersAboveBase(
    parseHistory(podman.ok(['history', '--format', 'json', image])),
    parseHistory(podman.ok(['history', '--format', 'json', baseImage])),
  );
  const lines = layers
    .filter((l) => l.sizeBytes > 0)
    .map((l) => `${formatMiB(l.sizeBytes).padStart(10)}  ${l.instruction.slice(0, 100)}`);
  progress.info(
    `size ${formatSize(facts.sizeBytes)}: base ${formatSize(base.sizeBytes)} + ${formatMiB(facts.sizeBytes - base.sizeBytes)} in these layers:\n${lines.join('\n')}`,
  );
  if (facts.sizeBytes < MAX_IMAGE_BYTES) {
    progress.pass(`size ${formatSize(facts.sizeBytes)} is under ${MAX_IMAGE_BYTES / 1e6} MB`);
  }

  const inside = JSON.parse(
    runInImage(image, 'node', ['--input-type=module', '-e', LOOK_INSIDE]).trim().split('\n').pop()!,
  ) as { packages: string[]; canvas: string; mnt: string[] };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const dev = devDependencyProblems(inside.packages, lock);
  if (dev.length === 0)
    progress.pass(`no dev dependency among the ${inside.packages.length} packages in /app/node_modules`);
  for (const p of dev) progress.fail(p);
  if (inside.canvas === 'loaded')
    progress.pass('the canvas native module (@napi-rs/canvas) loads in the image');
  else progress.fail(`the canvas native module does not load in the image: ${inside.canvas}`);
  if (inside.mnt.length === 0)
    progress.pass("the build's CA mount left nothing in the image (/mnt is empty)");
  else progress.fail(`/mnt in the image holds ${inside.mnt.join(', ')}: the build's CA mount left it behind`);
  return { sizeBytes: facts.sizeBytes, baseSizeBytes: base.sizeBytes, layers };
}
