/**
 * The deterministic preview renderer: `renderPreview(payload, options)` turns a validated
 * PreviewPayload into `<dataDir>/previews/<projectId>/<jobId>/`:
 *
 *   frames/step-001.png …   one frame per step at the requested resolution
 *   contact-sheet.png       every frame as a thumbnail, with step numbers
 *   preview.mp4             format "mp4" only (system ffmpeg)
 *   preview.json            title, description, chapterId, metadata, audio, steps, resolution,
 *                           format, total duration, renderer version and render timings
 *   container.json          every other file with path, bytes and sha256, sorted by path
 *
 * Determinism: the frames, the contact sheet and the video are byte-for-byte the same for the same
 * payload on every machine with the same package versions (@napi-rs/canvas, the Node.js zlib build,
 * ffmpeg/x264). Text is drawn only with the bundled DejaVu Sans under a private family name, with
 * characters the font lacks replaced (never a system-font fallback); nothing in the pixels depends
 * on the clock, the locale or the machine (the canvas text language is pinned to `en`, and the
 * canvas library's "portable" text renderer draws with FreeType the same way on every OS).
 * preview.json is NOT covered: it carries render timings (and the runtime versions), which vary
 * run to run, so its bytes and its container.json hash vary. Limits we cannot remove: the canvas
 * library documents that x64 and arm64 builds can differ by one colour level on some edge pixels,
 * and the FREETYPE_PROPERTIES environment variable (if set) changes glyph rendering, so the
 * container must not set it.
 *
 * Atomicity: everything is written into `<dataDir>/previews/<projectId>/.tmp-<jobId>-<random>/`
 * and renamed into place, so a job directory that exists is complete. A repeated jobId whose
 * directory exists renders nothing and returns `alreadyExisted: true` with the files listed in its
 * container.json. On any failure (bad asset, ffmpeg, abort) the temporary directory is removed;
 * temporary directories left by a killed process are removed by a later render in the same project
 * once they are an hour old.
 *
 * Errors: RenderInputError for failures a retry cannot fix (an asset that does not decode, ffmpeg
 * missing, the bundled fonts missing); any other Error (ffmpeg crashing, disk full) is retryable.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Canvas } from '@napi-rs/canvas';
import type { ArtifactEntry } from '../../contract/payload.js';
import { parseResolution } from '../payload-media.js';
import {
  artifactPaths,
  buildContainer,
  CONTAINER_FILE,
  readContainerManifest,
  removeStaleTempDirs,
  serializeContainer,
  sha256,
  sha256File,
} from './artifacts.js';
import { type PreparedImage, prepareImage } from './assets.js';
import { acquireCanvas, freeCanvas, releaseCanvas } from './canvas-pool.js';
import { drawFrame, drawSheetHeader, drawThumbnail, TextMeasurer } from './draw.js';
import { loadRenderFonts } from './fonts.js';
import { computeContactSheetLayout, computeFrameLayout } from './layout.js';
import { encodePng, PngEncoder } from './png.js';
import { RenderInputError, type RenderPreview, type RenderResult, type RenderTimings } from './types.js';
import { assertFfmpegAvailable, chooseFfmpeg, encodeVideo } from './video.js';

export { readContainerManifest } from './artifacts.js';
export { loadRenderFonts } from './fonts.js';
export type { RenderOptions, RenderPreview, RenderResult, RenderTimings } from './types.js';
export { RenderInputError } from './types.js';

/** Bumped whenever the pixels for the same payload change (layout, colours, encoder settings). */
export const RENDERER_VERSION = '1.0.0';

export const FRAMES_DIR = 'frames';
export const CONTACT_SHEET_FILE = 'contact-sheet.png';
export const PREVIEW_JSON_FILE = 'preview.json';
export const VIDEO_FILE = 'preview.mp4';

/** `frames/step-001.png` for step 1 (0-based index 0). */
export function framePath(index: number): string {
  return `${FRAMES_DIR}/step-${String(index + 1).padStart(3, '0')}.png`;
}

const canvasVersion = (() => {
  try {
    return (createRequire(import.meta.url)('@napi-rs/canvas/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('render aborted');
  }
}

async function existingResult(dir: string, startedAt: number): Promise<RenderResult | null> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const files = await readContainerManifest(dir);
  const frames = files.filter((f) => f.path.startsWith(`${FRAMES_DIR}/`)).length;
  const totalMs = roundMs(performance.now() - startedAt);
  return {
    dir,
    files,
    frames,
    timings: { rasterMs: 0, encodeMs: 0, videoMs: 0, writeMs: totalMs, totalMs },
    alreadyExisted: true,
  };
}

export const renderPreview: RenderPreview = async (payload, options) => {
  const startedAt = performance.now();
  const { signal, onProgress } = options;
  const paths = artifactPaths(options.dataDir, payload.projectId, payload.jobId);

  const existing = await existingResult(paths.finalDir, startedAt);
  if (existing) return existing;

  const req = payload.previewRequest;
  const size = parseResolution(req.options.resolution);
  if (!size) {
    throw new RenderInputError(
      `resolution "${req.options.resolution}" must be "WxH" between 160x90 and 1920x1080`,
    );
  }
  const { width, height } = size;
  const format = req.options.format;
  const ffmpeg = format === 'mp4' ? chooseFfmpeg(options.ffmpegPath) : null;
  if (ffmpeg) assertFfmpegAvailable(ffmpeg);
  const fonts = loadRenderFonts();
  throwIfAborted(signal);

  const steps = req.steps;
  const total = steps.length + 1 + (format === 'mp4' ? 1 : 0);
  const timings: RenderTimings = { rasterMs: 0, encodeMs: 0, videoMs: 0, writeMs: 0, totalMs: 0 };
  const known = new Map<string, ArtifactEntry>();

  let t = performance.now();
  await removeStaleTempDirs(paths.projectDir);
  await mkdir(join(paths.tempDir, FRAMES_DIR), { recursive: true });
  timings.writeMs += performance.now() - t;

  const canvases: Canvas[] = [];
  const images = new Map<string, PreparedImage>();
  let canvasesClean = false;
  try {
    // decode and pre-scale the images the steps use (fails before any frame is drawn)
    t = performance.now();
    const frameCanvas = acquireCanvas(width, height);
    canvases.push(frameCanvas);
    const frameEncoder = new PngEncoder(width, height);
    const ctx = frameCanvas.getContext('2d');
    const measurer = new TextMeasurer(ctx);
    const plainLayout = computeFrameLayout(width, height, false);
    const imageLayout = computeFrameLayout(width, height, true);
    const assetsById = new Map(req.assets.map((a) => [a.id, a]));
    for (const step of steps) {
      if (step.assetId === undefined || images.has(step.assetId)) continue;
      const asset = assetsById.get(step.assetId);
      if (!asset) throw new RenderInputError(`a step names asset "${step.assetId}", which is not in assets`);
      images.set(step.assetId, await prepareImage(asset.id, asset.source, imageLayout.image!));
      throwIfAborted(signal);
    }

    const sheetLayout = computeContactSheetLayout(width, height, steps.length);
    const sheet = acquireCanvas(sheetLayout.width, sheetLayout.height);
    canvases.push(sheet);
    const sheetCtx = sheet.getContext('2d');
    const totalDurationSec = Math.round(steps.reduce((s, st) => s + st.durationSec, 0) * 1000) / 1000;
    drawSheetHeader(
      sheetCtx,
      sheetLayout,
      {
        title: req.title,
        subtitle: `${steps.length} ${steps.length === 1 ? 'step' : 'steps'} \u00b7 ${formatDuration(totalDurationSec)} \u00b7 ${width}x${height}`,
      },
      fonts.coverage,
      measurer,
    );
    timings.rasterMs += performance.now() - t;

    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const image = step.assetId !== undefined ? (images.get(step.assetId) ?? null) : null;
      t = performance.now();
      const layout = image ? imageLayout : plainLayout;
      const content = {
        previewTitle: req.title,
        stepNumber: i + 1,
        stepCount: steps.length,
        stepTitle: step.title,
        text: step.text,
        image,
      };
      const paint = (target: typeof ctx) => drawFrame(target, layout, content, fonts.coverage, measurer);
      paint(ctx);
      drawThumbnail(sheetCtx, sheetLayout, i, size, paint, step.title, fonts.coverage, measurer);
      // The canvas records drawing and rasterizes when the pixels are read: that is drawing time.
      const pixels = frameCanvas.data();
      timings.rasterMs += performance.now() - t;

      t = performance.now();
      const png = await frameEncoder.encode(pixels);
      timings.encodeMs += performance.now() - t;

      t = performance.now();
      const rel = framePath(i);
      await writeFile(join(paths.tempDir, rel), png);
      known.set(rel, { path: rel, bytes: png.length, sha256: sha256(png) });
      timings.writeMs += performance.now() - t;

      await onProgress?.(i + 1, total);
      throwIfAborted(signal);
    }

    t = performance.now();
    const sheetPixels = sheet.data();
    canvasesClean = true; // all drawing done, every save() restored
    timings.rasterMs += performance.now() - t;
    t = performance.now();
    const sheetPng = await encodePng(sheetPixels, sheetLayout.width, sheetLayout.height);
    timings.encodeMs += performance.now() - t;
    t = performance.now();
    await writeFile(join(paths.tempDir, CONTACT_SHEET_FILE), sheetPng);
    known.set(CONTACT_SHEET_FILE, {
      path: CONTACT_SHEET_FILE,
      bytes: sheetPng.length,
      sha256: sha256(sheetPng),
    });
    timings.writeMs += performance.now() - t;
    let done = steps.length + 1;
    await onProgress?.(done, total);

    if (ffmpeg) {
      t = performance.now();
      await encodeVideo({
        ffmpegPath: ffmpeg,
        cwd: paths.tempDir,
        frames: steps.map((s, i) => ({ path: framePath(i), durationSec: s.durationSec })),
        output: VIDEO_FILE,
        signal,
      });
      timings.videoMs += performance.now() - t;
      t = performance.now();
      known.set(VIDEO_FILE, { path: VIDEO_FILE, ...(await sha256File(join(paths.tempDir, VIDEO_FILE))) });
      timings.writeMs += performance.now() - t;
      done += 1;
      await onProgress?.(done, total);
    }
    throwIfAborted(signal);

    t = performance.now();
    const previewJson = buildPreviewJson(payload, {
      width,
      height,
      totalDurationSec,
      hasVideo: ffmpeg !== null,
      timings: {
        rasterMs: roundMs(timings.rasterMs),
        encodeMs: roundMs(timings.encodeMs),
        videoMs: roundMs(timings.videoMs),
        writeMs: roundMs(timings.writeMs + (performance.now() - t)),
        totalMs: roundMs(performance.now() - startedAt),
      },
    });
    const previewBytes = Buffer.from(previewJson, 'utf8');
    await writeFile(join(paths.tempDir, PREVIEW_JSON_FILE), previewBytes);
    known.set(PREVIEW_JSON_FILE, {
      path: PREVIEW_JSON_FILE,
      bytes: previewBytes.length,
      sha256: sha256(previewBytes),
    });

    const files = await buildContainer(paths.tempDir, known);
    await writeFile(join(paths.tempDir, CONTAINER_FILE), serializeContainer(files));

    try {
      await rename(paths.tempDir, paths.finalDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY') {
        // another attempt finished the same job first: keep its directory
        await rm(paths.tempDir, { recursive: true, force: true });
        const other = await existingResult(paths.finalDir, startedAt);
        if (other) return other;
      }
      throw err;
    }
    timings.writeMs += performance.now() - t;
    for (const k of Object.keys(timings) as (keyof RenderTimings)[]) timings[k] = roundMs(timings[k]);
    timings.totalMs = roundMs(performance.now() - startedAt);
    return { dir: paths.finalDir, files, frames: steps.length, timings, alreadyExisted: false };
  } catch (err) {
    await rm(paths.tempDir, { recursive: true, force: true });
    throw err;
  } finally {
    // a canvas from a render that stopped half-way may hold a transform or clip: free it instead
    for (const c of canvases) releaseCanvas(c, canvasesClean);
    for (const img of images.values()) freeCanvas(img.canvas);
  }
};

/** "40 s", "2:05". */
export function formatDuration(totalSec: number): string {
  if (totalSec < 60) return `${Number(totalSec.toFixed(1))} s`;
  const s = Math.round(totalSec);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

interface PreviewJsonContext {
  width: number;
  height: number;
  totalDurationSec: number;
  hasVideo: boolean;
  timings: RenderTimings;
}

function buildPreviewJson(payload: Parameters<RenderPreview>[0], c: PreviewJsonContext): string {
  const req = payload.previewRequest;
  const doc = {
    rendererVersion: RENDERER_VERSION,
    jobId: payload.jobId,
    projectId: payload.projectId,
    ...(payload.requestId !== undefined ? { requestId: payload.requestId } : {}),
    title: req.title,
    ...(req.description !== undefined ? { description: req.description } : {}),
    ...(req.chapterId !== undefined ? { chapterId: req.chapterId } : {}),
    ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
    ...(req.audio !== undefined ? { audio: req.audio } : {}),
    resolution: `${c.width}x${c.height}`,
    width: c.width,
    height: c.height,
    format: req.options.format,
    totalDurationSec: c.totalDurationSec,
    steps: req.steps.map((s, i) => ({
      number: i + 1,
      title: s.title,
      durationSec: s.durationSec,
      frame: framePath(i),
      ...(s.assetId !== undefined ? { assetId: s.assetId } : {}),
    })),
    contactSheet: CONTACT_SHEET_FILE,
    ...(c.hasVideo ? { video: VIDEO_FILE } : {}),
    engine: { node: process.version, zlib: process.versions.zlib, canvas: canvasVersion },
    timings: c.timings,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
