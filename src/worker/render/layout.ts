/**
 * Layout math for frames and the contact sheet, and text wrapping. Pure: no canvas, no I/O, so it
 * is unit-tested directly. Text widths come from a `measure` function the caller supplies (the
 * canvas in production, a fixed-width stub in tests).
 *
 * Frames are designed at 1280x720 and scaled by `min(width/1280, height/720)` (portrait frames
 * against 720x1280), with minimum sizes so that the smallest allowed frame (160x90) still has
 * legible text and margins.
 */

export type Measure = (text: string) => number;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const ELLIPSIS = '\u2026';

const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Splits a string into user-perceived characters (so a break never splits an accent from its letter). */
export function graphemes(text: string): string[] {
  const out: string[] = [];
  for (const s of graphemeSegmenter.segment(text)) out.push(s.segment);
  return out;
}

/**
 * A measure function that remembers widths. Wrapping measures each word (and grapheme, for hard
 * breaks) once, then sums: the widths of words joined by a space add up, because the bundled
 * font has no kerning across a space.
 */
export function cachedMeasure(measure: Measure): Measure {
  const cache = new Map<string, number>();
  return (text: string) => {
    let w = cache.get(text);
    if (w === undefined) {
      w = measure(text);
      cache.set(text, w);
    }
    return w;
  };
}

/** Shortens `text` with a trailing ellipsis until it fits `maxWidth`; returns it unchanged when it fits. */
export function ellipsize(text: string, maxWidth: number, measure: Measure): string {
  if (measure(text) <= maxWidth) return text;
  const parts = graphemes(text);
  // Binary search for the longest prefix that fits with the ellipsis.
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const candidate = parts.slice(0, mid).join('').trimEnd() + ELLIPSIS;
    if (measure(candidate) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0) return measure(ELLIPSIS) <= maxWidth ? ELLIPSIS : '';
  return parts.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

export interface WrapResult {
  lines: string[];
  /** true when text was cut to fit `maxLines` (the last line then ends in an ellipsis). */
  truncated: boolean;
}

/**
 * Word-wraps `text` to `maxWidth`, at most `maxLines` lines.
 * - `\n` starts a new line; blank lines are kept (runs of them collapse to one); spaces collapse.
 * - A word wider than the line is hard-broken between graphemes.
 * - When the text needs more lines than allowed, the last allowed line ends in an ellipsis.
 */
export function wrapText(text: string, maxWidth: number, measure: Measure, maxLines: number): WrapResult {
  const limit = Math.max(0, Math.floor(maxLines));
  const paragraphs = text
    .replace(/[ \t]+/g, ' ')
    .split('\n')
    .map((p) => p.trim());
  // trim leading/trailing blank paragraphs, collapse runs of blank ones
  while (paragraphs.length && paragraphs[0] === '') paragraphs.shift();
  while (paragraphs.length && paragraphs[paragraphs.length - 1] === '') paragraphs.pop();
  const cleaned: string[] = [];
  for (const p of paragraphs) if (p !== '' || cleaned[cleaned.length - 1] !== '') cleaned.push(p);
  if (cleaned.length === 0) return { lines: [], truncated: false };
  if (limit === 0 || maxWidth <= 0) return { lines: [], truncated: true };

  const spaceWidth = measure(' ');
  const lines: string[] = [];
  let overflow = false;

  const push = (line: string): boolean => {
    if (lines.length >= limit) {
      overflow = true;
      return false;
    }
    lines.push(line);
    return true;
  };

  outer: for (const paragraph of cleaned) {
    if (paragraph === '') {
      if (!push('')) break;
      continue;
    }
    let current = '';
    let currentWidth = 0;
    for (const word of paragraph.split(' ')) {
      const wordWidth = measure(word);
      if (current !== '' && currentWidth + spaceWidth + wordWidth <= maxWidth) {
        current += ' ' + word;
        currentWidth += spaceWidth + wordWidth;
        continue;
      }
      if (current !== '') {
        if (!push(current)) break outer;
        current = '';
        currentWidth = 0;
      }
      if (wordWidth <= maxWidth) {
        current = word;
        currentWidth = wordWidth;
        continue;
      }
      // hard-break a word wider than the line
      let piece = '';
      let pieceWidth = 0;
      for (const g of graphemes(word)) {
        const gw = measure(g);
        if (piece !== '' && pieceWidth + gw > maxWidth) {
          if (!push(piece)) break outer;
          piece = '';
          pieceWidth = 0;
        }
        piece += g;
        pieceWidth += gw;
      }
      current = piece;
      currentWidth = pieceWidth;
    }
    if (current !== '' && !push(current)) break;
  }

  if (overflow && lines.length > 0) {
    const last = lines[lines.length - 1]!;
    lines[lines.length - 1] = ellipsize(last + ELLIPSIS, maxWidth, measure);
    // `last + ELLIPSIS` may fit as is; ellipsize keeps it then, which is what we want
  }
  // drop a trailing blank line left by the cut
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines, truncated: overflow };
}

/**
 * Largest rectangle of the source's aspect ratio that fits `box`: centred horizontally, and
 * vertically centred or aligned to the top of the box.
 */
export function fitRect(srcW: number, srcH: number, box: Rect, vAlign: 'center' | 'top' = 'center'): Rect {
  if (srcW <= 0 || srcH <= 0 || box.w <= 0 || box.h <= 0) return { x: box.x, y: box.y, w: 0, h: 0 };
  const scale = Math.min(box.w / srcW, box.h / srcH);
  const w = Math.min(box.w, Math.max(1, Math.round(srcW * scale)));
  const h = Math.min(box.h, Math.max(1, Math.round(srcH * scale)));
  const y = vAlign === 'top' ? box.y : box.y + Math.floor((box.h - h) / 2);
  return { x: box.x + Math.floor((box.w - w) / 2), y, w, h };
}

export interface FrameLayout {
  width: number;
  height: number;
  scale: number;
  margin: number;
  titleBar: { h: number; fontSize: number; baseline: number; counterFontSize: number };
  progress: { y: number; h: number };
  /** Step title block: at most `maxLines` lines. */
  stepTitle: { x: number; y: number; w: number; fontSize: number; lineHeight: number; maxLines: number };
  /** Short accent rule between the step title and the text. */
  rule: { w: number; h: number; gapAbove: number; gapBelow: number };
  /** Body text column; `y` is resolved per frame once the title's line count is known. */
  body: { x: number; w: number; bottom: number; fontSize: number; lineHeight: number };
  /** Reserved area for the step's image (null when the step names no asset). */
  image: Rect | null;
  /** Corner radius of the image panel. */
  radius: number;
  /** y where the text column starts (top of the step title). */
  contentTop: number;
}

const BASE_W = 1280;
const BASE_H = 720;

/** Computes where everything goes on a frame of `width` x `height`. */
export function computeFrameLayout(width: number, height: number, hasImage: boolean): FrameLayout {
  // designed at 1280x720; portrait frames scale against the same design turned upright
  const [baseW, baseH] = width >= height ? [BASE_W, BASE_H] : [BASE_H, BASE_W];
  const scale = Math.min(width / baseW, height / baseH);
  const px = (v: number, min: number) => Math.max(min, Math.round(v * scale));

  const margin = px(56, 6);
  const titleBarH = px(68, 14);
  const titleFont = px(26, 8);
  const counterFont = px(22, 7);
  const progressH = px(5, 2);
  const gapTop = px(44, 5);
  const stepTitleFont = px(44, 9);
  const stepTitleLine = Math.round(stepTitleFont * 1.22);
  const bodyFont = px(27, 7);
  const bodyLine = Math.round(bodyFont * 1.5);
  const columnGap = px(48, 6);
  const bottomPad = px(48, 5);

  const contentTop = titleBarH + progressH + gapTop;
  const contentBottom = height - bottomPad;
  const contentLeft = margin;
  const contentW = width - 2 * margin;

  let textX = contentLeft;
  let textW = contentW;
  let textTop = contentTop;
  let image: Rect | null = null;
  if (hasImage) {
    if (width >= height) {
      // landscape: image column on the right
      const imageW = Math.round(contentW * 0.44);
      image = { x: contentLeft + contentW - imageW, y: contentTop, w: imageW, h: contentBottom - contentTop };
      textW = contentW - imageW - columnGap;
    } else {
      // portrait: image band on top of the text
      const imageH = Math.round((contentBottom - contentTop) * 0.42);
      image = { x: contentLeft, y: contentTop, w: contentW, h: imageH };
      textTop = contentTop + imageH + columnGap;
    }
    textX = contentLeft;
  }
  // Full-width body text on a large frame makes lines of 90+ characters; keep a readable measure
  // (about 75 characters). Small frames need every pixel, so only from half the base size up.
  const bodyW = !hasImage && scale >= 0.5 ? Math.min(textW, Math.round(1000 * scale)) : textW;
  const available = Math.max(0, contentBottom - textTop);
  const titleLines = Math.max(1, Math.min(3, Math.floor((available * 0.45) / stepTitleLine)));

  return {
    width,
    height,
    scale,
    margin,
    titleBar: {
      h: titleBarH,
      fontSize: titleFont,
      baseline: Math.round(titleBarH / 2 + titleFont * 0.36),
      counterFontSize: counterFont,
    },
    progress: { y: titleBarH, h: progressH },
    stepTitle: {
      x: textX,
      y: textTop,
      w: Math.max(1, textW),
      fontSize: stepTitleFont,
      lineHeight: stepTitleLine,
      maxLines: titleLines,
    },
    rule: { w: px(56, 12), h: px(5, 2), gapAbove: px(18, 3), gapBelow: px(26, 4) },
    body: {
      x: textX,
      w: Math.max(1, bodyW),
      bottom: contentBottom,
      fontSize: bodyFont,
      lineHeight: bodyLine,
    },
    image,
    radius: px(14, 2),
    contentTop,
  };
}

/** How many text lines of `lineHeight` fit between `top` and `bottom`. */
export function linesThatFit(top: number, bottom: number, lineHeight: number): number {
  if (lineHeight <= 0) return 0;
  return Math.max(0, Math.floor((bottom - top) / lineHeight));
}

export interface ContactSheetLayout {
  width: number;
  height: number;
  columns: number;
  rows: number;
  padding: number;
  header: { h: number; titleFont: number; subtitleFont: number };
  cell: { w: number; h: number; gap: number };
  thumb: { w: number; h: number };
  label: { h: number; fontSize: number };
  /** Top-left of the cell of step `index` (0-based). */
  cellAt(index: number): { x: number; y: number };
}

/** Thumbnail bounds: 320x240, or 224x168 past 30 steps (keeps a 100-step sheet near 20 MB of pixels). */
export function thumbnailBounds(steps: number): { w: number; h: number } {
  return steps > 30 ? { w: 224, h: 168 } : { w: 320, h: 240 };
}

/**
 * The contact sheet: a header, then a grid of thumbnails (within thumbnailBounds(), aspect kept,
 * never upscaled) with a label row under each. Its size depends only on the frame size and the
 * number of steps.
 */
export function computeContactSheetLayout(frameW: number, frameH: number, steps: number): ContactSheetLayout {
  const n = Math.max(1, steps);
  const bounds = thumbnailBounds(n);
  const scale = Math.min(bounds.w / frameW, bounds.h / frameH, 1);
  const thumbW = Math.max(1, Math.round(frameW * scale));
  const thumbH = Math.max(1, Math.round(frameH * scale));
  const columns = Math.min(n, Math.max(5, Math.ceil(Math.sqrt(n))));
  const rows = Math.ceil(n / columns);
  const padding = 32;
  const gap = 20;
  const labelH = 34;
  const cellW = Math.max(thumbW, 140);
  const cellH = thumbH + labelH;
  const headerH = 84;
  const width = padding * 2 + columns * cellW + (columns - 1) * gap;
  const height = headerH + padding + rows * cellH + (rows - 1) * gap + padding;
  return {
    width,
    height,
    columns,
    rows,
    padding,
    header: { h: headerH, titleFont: 24, subtitleFont: 15 },
    cell: { w: cellW, h: cellH, gap },
    thumb: { w: thumbW, h: thumbH },
    label: { h: labelH, fontSize: 14 },
    cellAt(index: number) {
      const col = index % columns;
      const row = Math.floor(index / columns);
      return { x: padding + col * (cellW + gap), y: headerH + padding + row * (cellH + gap) };
    },
  };
}
