/**
 * Canvases reused across renders. A canvas's pixel memory is native (Skia), invisible to V8's
 * heap accounting, so canvases dropped after each job pile up until some unrelated GC runs:
 * measured, ~80 MiB of extra RSS over 40 sample renders. Reusing the frame and contact-sheet
 * canvases (and shrinking the ones we give up, which frees their pixels at once) keeps the
 * renderer's memory flat.
 */
import { Canvas } from '@napi-rs/canvas';

/** Idle canvases kept for reuse (two concurrent jobs x frame + sheet). */
export const MAX_IDLE_CANVASES = 4;

const idle: Canvas[] = [];

/** A canvas of exactly w x h: an idle one of that size, or a new one. Its content is undefined. */
export function acquireCanvas(width: number, height: number): Canvas {
  const i = idle.findIndex((c) => c.width === width && c.height === height);
  if (i >= 0) return idle.splice(i, 1)[0]!;
  return new Canvas(width, height);
}

/**
 * Gives a canvas back. Only canvases whose drawing state is clean (a render that finished) may be
 * reused; `reusable: false` frees the pixels instead.
 */
export function releaseCanvas(canvas: Canvas, reusable = true): void {
  if (!reusable) {
    freeCanvas(canvas);
    return;
  }
  idle.push(canvas);
  while (idle.length > MAX_IDLE_CANVASES) freeCanvas(idle.shift()!);
}

/** Frees a canvas's pixel memory now (a 0x0 surface) instead of whenever V8 collects the object. */
export function freeCanvas(canvas: Canvas): void {
  canvas.width = 0;
  canvas.height = 0;
}

/** Number of idle canvases (tests). */
export function idleCanvasCount(): number {
  return idle.length;
}
