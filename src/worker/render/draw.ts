/**
 * Drawing: one frame per step, and the contact sheet. Every string goes through
 * `toRenderableText()` (bundled-font glyphs only) and every font is the private bundled family,
 * so the pixels depend only on the payload and the package versions.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { PreparedImage } from './assets.js';
import { fontSpec, toRenderableText } from './fonts.js';
import {
  type ContactSheetLayout,
  cachedMeasure,
  ellipsize,
  type FrameLayout,
  linesThatFit,
  type Measure,
  wrapText,
} from './layout.js';

/**
 * The canvas text language. Set explicitly: the default ('inherit') follows the host's language,
 * which would make shaping and line metrics depend on the machine.
 */
export const TEXT_LANG = 'en';

export const COLORS = {
  background: '#f8fafc',
  titleBar: '#0f172a',
  titleText: '#f8fafc',
  counterText: '#a5b4fc',
  progressTrack: '#e2e8f0',
  progressFill: '#6366f1',
  stepTitle: '#0f172a',
  rule: '#6366f1',
  body: '#334155',
  imagePanel: '#e2e8f0',
  imageBorder: '#cbd5e1',
  sheetBackground: '#f1f5f9',
  sheetTitle: '#0f172a',
  sheetSubtitle: '#475569',
  thumbBorder: '#cbd5e1',
  labelNumber: '#4f46e5',
  labelText: '#334155',
} as const;

/** Measures text in one font on one context, remembering widths (one instance per font per render). */
export class TextMeasurer {
  private readonly byFont = new Map<string, Measure>();
  constructor(private readonly ctx: SKRSContext2D) {}

  for(font: string): Measure {
    let m = this.byFont.get(font);
    if (!m) {
      const ctx = this.ctx;
      m = cachedMeasure((text) => {
        ctx.font = font;
        return ctx.measureText(text).width;
      });
      this.byFont.set(font, m);
    }
    return m;
  }
}

export interface FrameContent {
  previewTitle: string;
  stepNumber: number;
  stepCount: number;
  stepTitle: string;
  text: string;
  image: PreparedImage | null;
}

/** Baseline of a line of `fontSize` text centred vertically in a band starting at `top`. */
function baseline(top: number, bandHeight: number, fontSize: number): number {
  return Math.round(top + bandHeight / 2 + fontSize * 0.36);
}

/** Draws one step's frame onto `ctx` (the whole canvas is repainted). */
export function drawFrame(
  ctx: SKRSContext2D,
  layout: FrameLayout,
  content: FrameContent,
  coverage: ReadonlySet<number>,
  measurer: TextMeasurer,
): void {
  const { width, height, margin } = layout;
  ctx.lang = TEXT_LANG;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';

  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, width, height);

  // title bar: preview title (left) and the step counter (right)
  const tb = layout.titleBar;
  ctx.fillStyle = COLORS.titleBar;
  ctx.fillRect(0, 0, width, tb.h);
  const counterFont = fontSpec(tb.counterFontSize, true);
  const counter = `Step ${content.stepNumber} of ${content.stepCount}`;
  const counterW = measurer.for(counterFont)(counter);
  const titleFont = fontSpec(tb.fontSize, true);
  const titleMax = width - 2 * margin - counterW - Math.max(8, margin / 2);
  const title = ellipsize(
    toRenderableText(content.previewTitle, coverage),
    titleMax,
    measurer.for(titleFont),
  );
  ctx.font = titleFont;
  ctx.fillStyle = COLORS.titleText;
  if (title) ctx.fillText(title, margin, tb.baseline);
  ctx.font = counterFont;
  ctx.fillStyle = COLORS.counterText;
  ctx.fillText(counter, width - margin - counterW, baseline(0, tb.h, tb.counterFontSize));

  // progress: how far through the preview this step is
  ctx.fillStyle = COLORS.progressTrack;
  ctx.fillRect(0, layout.progress.y, width, layout.progress.h);
  ctx.fillStyle = COLORS.progressFill;
  ctx.fillRect(
    0,
    layout.progress.y,
    Math.round((width * content.stepNumber) / content.stepCount),
    layout.progress.h,
  );

  // the step's image, with rounded corners on a light panel (for transparent images) and a hairline border
  if (layout.image && content.image) {
    const { rect, canvas } = content.image;
    const r = Math.min(layout.radius, Math.floor(Math.min(rect.w, rect.h) / 4));
    ctx.save();
    ctx.beginPath();
    ctx.roundRect(rect.x, rect.y, rect.w, rect.h, r);
    ctx.fillStyle = COLORS.imagePanel;
    ctx.fill();
    ctx.clip();
    ctx.drawImage(canvas, rect.x, rect.y);
    ctx.restore();
    ctx.strokeStyle = COLORS.imageBorder;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.roundRect(rect.x + 0.5, rect.y + 0.5, rect.w - 1, rect.h - 1, r);
    ctx.stroke();
  }

  // step title
  const st = layout.stepTitle;
  const stepTitleFont = fontSpec(st.fontSize, true);
  const titleWrap = wrapText(
    toRenderableText(content.stepTitle, coverage),
    st.w,
    measurer.for(stepTitleFont),
    Math.min(st.maxLines, linesThatFit(st.y, layout.body.bottom, st.lineHeight)),
  );
  ctx.font = stepTitleFont;
  ctx.fillStyle = COLORS.stepTitle;
  let y = st.y;
  for (const line of titleWrap.lines) {
    ctx.fillText(line, st.x, baseline(y, st.lineHeight, st.fontSize));
    y += st.lineHeight;
  }

  // accent rule, then the body text
  const rule = layout.rule;
  if (y + rule.gapAbove + rule.h <= layout.body.bottom) {
    ctx.fillStyle = COLORS.rule;
    ctx.fillRect(st.x, y + rule.gapAbove, rule.w, rule.h);
  }
  y += rule.gapAbove + rule.h + rule.gapBelow;

  const body = layout.body;
  const bodyFont = fontSpec(body.fontSize);
  const maxLines = linesThatFit(y, body.bottom, body.lineHeight);
  const wrapped = wrapText(
    toRenderableText(content.text, coverage),
    body.w,
    measurer.for(bodyFont),
    maxLines,
  );
  ctx.font = bodyFont;
  ctx.fillStyle = COLORS.body;
  for (const line of wrapped.lines) {
    if (line) ctx.fillText(line, body.x, baseline(y, body.lineHeight, body.fontSize));
    y += body.lineHeight;
  }
}

export interface SheetHeader {
  title: string;
  subtitle: string;
}

/** Paints the contact sheet's background and header. Thumbnails are added with drawThumbnail(). */
export function drawSheetHeader(
  ctx: SKRSContext2D,
  layout: ContactSheetLayout,
  header: SheetHeader,
  coverage: ReadonlySet<number>,
  measurer: TextMeasurer,
): void {
  ctx.lang = TEXT_LANG;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = COLORS.sheetBackground;
  ctx.fillRect(0, 0, layout.width, layout.height);
  const maxW = layout.width - 2 * layout.padding;
  const titleFont = fontSpec(layout.header.titleFont, true);
  ctx.font = titleFont;
  ctx.fillStyle = COLORS.sheetTitle;
  const title = ellipsize(toRenderableText(header.title, coverage), maxW, measurer.for(titleFont));
  if (title) ctx.fillText(title, layout.padding, layout.padding + layout.header.titleFont);
  const subFont = fontSpec(layout.header.subtitleFont);
  ctx.font = subFont;
  ctx.fillStyle = COLORS.sheetSubtitle;
  const sub = ellipsize(header.subtitle, maxW, measurer.for(subFont));
  ctx.fillText(
    sub,
    layout.padding,
    layout.padding + layout.header.titleFont + 12 + layout.header.subtitleFont,
  );
}

/**
 * Draws frame `index` (0-based) as a thumbnail with its step number and title. `paintFrame`
 * draws the frame in its own coordinates; it runs again here under a scale transform rather than
 * copying the rendered frame canvas: re-drawing the vector content (text, fills, the pre-scaled
 * image) at thumbnail size is sharper and several times cheaper than resampling a full-size
 * canvas (which also makes Skia copy the frame surface on its next write).
 */
export function drawThumbnail(
  ctx: SKRSContext2D,
  layout: ContactSheetLayout,
  index: number,
  frameSize: { width: number; height: number },
  paintFrame: (ctx: SKRSContext2D) => void,
  stepTitle: string,
  coverage: ReadonlySet<number>,
  measurer: TextMeasurer,
): void {
  const cell = layout.cellAt(index);
  const { w, h } = layout.thumb;
  const x = cell.x + Math.floor((layout.cell.w - w) / 2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, cell.y, w, h);
  ctx.clip();
  ctx.translate(x, cell.y);
  ctx.scale(w / frameSize.width, h / frameSize.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  paintFrame(ctx);
  ctx.restore();
  ctx.strokeStyle = COLORS.thumbBorder;
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, cell.y - 0.5, w + 1, h + 1);

  const fontSize = layout.label.fontSize;
  const labelBaseline = cell.y + h + Math.round(layout.label.h / 2 + fontSize * 0.36);
  const numberFont = fontSpec(fontSize, true);
  const number = String(index + 1);
  const numberW = measurer.for(numberFont)(number);
  ctx.font = numberFont;
  ctx.fillStyle = COLORS.labelNumber;
  ctx.fillText(number, cell.x, labelBaseline);
  const textFont = fontSpec(fontSize);
  const gap = 8;
  const textMax = layout.cell.w - numberW - gap;
  const label = ellipsize(toRenderableText(stepTitle, coverage), textMax, measurer.for(textFont));
  if (label) {
    ctx.font = textFont;
    ctx.fillStyle = COLORS.labelText;
    ctx.fillText(label, cell.x + numberW + gap, labelBaseline);
  }
}
