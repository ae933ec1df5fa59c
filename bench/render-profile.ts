/**
 * Renderer profile: where the time of one preview goes, and the PNG encoder choice.
 *
 *   npm run bench:render                       # the sample payload (10 steps, 1280x720), 20 runs
 *   npm run bench:render -- --runs 50 --mp4    # also time format mp4 (needs ffmpeg)
 *   taskset -c 0 npm run bench:render          # pinned to one core
 *
 * Prints p50/p95 of the whole render (wall clock and this process's CPU time, which a busy machine
 * inflates less) and the share of raster / PNG encode / write, then the PNG
 * encoder comparison on one rendered frame as a ratio against the canvas library's own encoder
 * measured in the same run (DESIGN.md: benchmarks print ratios against an in-run baseline).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Canvas } from '@napi-rs/canvas';
import { parsePreviewPayload } from '../src/worker/payload.js';
import { drawFrame, TextMeasurer } from '../src/worker/render/draw.js';
import { loadRenderFonts } from '../src/worker/render/fonts.js';
import { renderPreview } from '../src/worker/render/index.js';
import { computeFrameLayout } from '../src/worker/render/layout.js';
import { encodePng } from '../src/worker/render/png.js';
import type { RenderTimings } from '../src/worker/render/types.js';
import { percentile } from './stats.js';

const args = process.argv.slice(2);
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : 20;
const WITH_MP4 = args.includes('--mp4');
const root = resolve(import.meta.dirname, '..');

function loadSample(format: 'png' | 'mp4', jobId: string) {
  const raw = JSON.parse(readFileSync(join(root, 'examples', 'sample-preview.json'), 'utf8')) as {
    jobId: string;
    previewRequest: { options?: { format?: string } };
  };
  raw.jobId = jobId;
  raw.previewRequest.options = { ...(raw.previewRequest.options ?? {}), format };
  const parsed = parsePreviewPayload(raw);
  if (!parsed.ok)
    throw new Error(`examples/sample-preview.json is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

async function profile(format: 'png' | 'mp4', runs: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'render-bench-'));
  try {
    // warm-up: font registration, JIT, first canvas allocation
    await renderPreview(loadSample(format, 'warmup'), { dataDir });
    const all: RenderTimings[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const before = process.cpuUsage();
      const r = await renderPreview(loadSample(format, `bench-${i}`), { dataDir });
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1000);
      all.push(r.timings);
      rmSync(r.dir, { recursive: true, force: true });
    }
    cpu.sort((a, b) => a - b);
    const totals = all.map((t) => t.totalMs).sort((a, b) => a - b);
    const sum = (k: keyof RenderTimings) => all.reduce((s, t) => s + t[k], 0);
    const total = sum('totalMs');
    const share = (k: keyof RenderTimings) => `${((sum(k) / total) * 100).toFixed(1)}%`;
    const p = loadSample(format, 'x');
    console.log(
      `render ${format} (${p.previewRequest.steps.length} steps, ${p.previewRequest.options.resolution}, ${runs} runs): ` +
        `p50 ${percentile(totals, 50).toFixed(1)} ms, p95 ${percentile(totals, 95).toFixed(1)} ms; ` +
        `raster ${share('rasterMs')}, png encode ${share('encodeMs')}, video ${share('videoMs')}, write ${share('writeMs')}; ` +
        `CPU time of this process (all threads, not ffmpeg) p50 ${percentile(cpu, 50).toFixed(1)} ms, p95 ${percentile(cpu, 95).toFixed(1)} ms`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function timeIt(label: string, n: number, fn: () => unknown): Promise<number> {
  await fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const ms = (performance.now() - t) / n;
  console.log(`  ${label.padEnd(34)} ${ms.toFixed(2)} ms/frame`);
  return ms;
}

async function encoderComparison(): Promise<void> {
  const fonts = loadRenderFonts();
  const sample = loadSample('png', 'enc');
  const canvas = new Canvas(1280, 720);
  const ctx = canvas.getContext('2d');
  const step = sample.previewRequest.steps[1]!;
  drawFrame(
    ctx,
    computeFrameLayout(1280, 720, false),
    {
      previewTitle: sample.previewRequest.title,
      stepNumber: 2,
      stepCount: 10,
      stepTitle: step.title,
      text: step.text,
      image: null,
    },
    fonts.coverage,
    new TextMeasurer(ctx),
  );
  const n = 20;
  console.log('png encoders on one 1280x720 frame:');
  const baseline = await timeIt("canvas.encode('png') (baseline)", n, () => canvas.encode('png'));
  const encodeSync = await timeIt("canvas.encodeSync('png')", n, () => canvas.encodeSync('png'));
  const toBuffer = await timeIt("canvas.toBuffer('image/png')", n, () => canvas.toBuffer('image/png'));
  const ours = await timeIt('encodePng (ours, zlib level 3)', n, () => encodePng(canvas.data(), 1280, 720));
  const sizes = {
    baseline: (await canvas.encode('png')).length,
    ours: (await encodePng(canvas.data(), 1280, 720)).length,
  };
  console.log(
    `  ratio vs baseline: encodeSync ${(encodeSync / baseline).toFixed(2)}, toBuffer ${(toBuffer / baseline).toFixed(2)}, ` +
      `ours ${(ours / baseline).toFixed(2)} (bytes: baseline ${sizes.baseline}, ours ${sizes.ours})`,
  );
}

await profile('png', RUNS);
if (WITH_MP4) await profile('mp4', Math.max(3, Math.floor(RUNS / 4)));
await encoderComparison();
