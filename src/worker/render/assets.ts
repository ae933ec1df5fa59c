/**
 * Step images: decoded once per render from their `data:` URIs and pre-scaled to the exact size
 * they are drawn at, so a frame only copies pixels and memory stays bounded (a 2 MiB JPEG can
 * hold tens of megapixels; we keep only the scaled bitmap).
 *
 * Checks before decoding: PNG and JPEG headers are read for the pixel size (a tiny file can claim
 * a huge image: at most MAX_ASSET_PIXELS), a PNG must end in IEND and a JPEG must hold an EOI
 * marker (the decoder would otherwise draw a truncated file half grey). SVG is rendered as vector
 * at the target size; XML entity declarations are refused, images it embeds as data: URIs must be
 * PNG or JPEG within the same pixel limit, every font-family is rewritten to the bundled font and
 * characters it lacks in the SVG's text are replaced, so SVG text cannot pull in a system font. Skia's SVG renderer loads no
 * external resources (no network, no files), which we rely on and the tests check.
 */
import { Canvas, Image } from '@napi-rs/canvas';
import { decodeDataUri } from '../payload-media.js';
import { FONT_FAMILY, loadRenderFonts } from './fonts.js';
import { fitRect, type Rect } from './layout.js';
import { RenderInputError } from './types.js';

/** Pixel limit for a raster asset (about 4096x4096), to bound decode memory. */
export const MAX_ASSET_PIXELS = 16_777_216;

export interface PreparedImage {
  /** The image, already scaled to `rect.w` x `rect.h`. */
  canvas: Canvas;
  /** Where to draw it: inside the reserved image area, centred horizontally, aligned to its top. */
  rect: Rect;
}

function bad(assetId: string, why: string): RenderInputError {
  return new RenderInputError(`asset "${assetId}" cannot be used: ${why}`);
}

/** Reads a PNG's size and checks it is complete. */
export function inspectPng(bytes: Buffer): { width: number; height: number } | string {
  if (bytes.length < 33 || bytes.readUInt32BE(0) !== 0x89504e47 || bytes.readUInt32BE(4) !== 0x0d0a1a0a) {
    return 'it is not a PNG file (bad signature)';
  }
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') return 'the PNG has no IHDR header';
  if (bytes.lastIndexOf('IEND', undefined, 'latin1') < 0) return 'the PNG is truncated (no IEND chunk)';
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Reads a JPEG's size from its SOF segment and checks it has an end marker. */
export function inspectJpeg(bytes: Buffer): { width: number; height: number } | string {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    return 'it is not a JPEG file (bad signature)';
  let pos = 2;
  let size: { width: number; height: number } | null = null;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return 'the JPEG segment structure is corrupt';
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or start of scan
    if (marker >= 0xd0 && marker <= 0xd7) {
      pos += 2;
      continue;
    }
    const len = bytes.readUInt16BE(pos + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof && pos + 9 <= bytes.length) {
      size = { height: bytes.readUInt16BE(pos + 5), width: bytes.readUInt16BE(pos + 7) };
    }
    pos += 2 + len;
  }
  if (!size) return 'the JPEG has no frame header (SOF)';
  const eoi = bytes.lastIndexOf(Buffer.from([0xff, 0xd9]));
  if (eoi < pos) return 'the JPEG is truncated (no end-of-image marker)';
  return size;
}

const SVG_ROOT = /<svg\b[^>]*>/i;
const ATTR = /([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

function svgLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(px|pt|pc|in|cm|mm)?\s*$/i.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'px').toLowerCase();
  const factor: Record<string, number> = { px: 1, pt: 4 / 3, pc: 16, in: 96, cm: 96 / 2.54, mm: 96 / 25.4 };
  const px = n * factor[unit]!;
  return Number.isFinite(px) && px > 0 ? px : null;
}

export interface SvgInfo {
  /** Intrinsic size (from width/height, else the viewBox, else 300x150 as browsers do). */
  width: number;
  height: number;
  viewBox: string | null;
  rootTag: string;
  rootIndex: number;
  attrs: Map<string, string>;
}

const HREF = /href\s*=\s*("([^"]*)"|'([^']*)')/gi;

/**
 * Checks the images an SVG embeds as data: URIs (Skia draws them): only PNG or JPEG, within the
 * same pixel limit as a top-level asset. Returns an error string, or null when they are fine.
 */
export function checkEmbeddedImages(text: string): string | null {
  for (const m of text.matchAll(HREF)) {
    const value = (m[2] ?? m[3] ?? '').trim();
    if (!/^data:/i.test(value)) continue; // external references are never loaded
    const decoded = decodeDataUri(value.replace(/\s+/g, ''));
    if (!decoded || decoded.mediaType === 'image/svg+xml') {
      return 'the SVG embeds an image that is not a PNG or JPEG data: URI';
    }
    const header = decoded.mediaType === 'image/png' ? inspectPng(decoded.bytes) : inspectJpeg(decoded.bytes);
    if (typeof header === 'string') return `the SVG embeds a broken image: ${header}`;
    if (header.width * header.height > MAX_ASSET_PIXELS) {
      return `the SVG embeds a ${header.width}x${header.height} image; the limit is ${MAX_ASSET_PIXELS} pixels`;
    }
  }
  return null;
}

/** Reads an SVG's root element: intrinsic size and attributes. Returns an error string when it is not an SVG. */
export function inspectSvg(text: string): SvgInfo | string {
  if (/<!ENTITY/i.test(text)) return 'the SVG declares XML entities, which are not allowed';
  const embedded = checkEmbeddedImages(text);
  if (embedded) return embedded;
  const m = SVG_ROOT.exec(text);
  if (!m) return 'it is not an SVG document (no <svg> element)';
  const attrs = new Map<string, string>();
  for (const a of m[0].matchAll(ATTR)) attrs.set(a[1]!.toLowerCase(), a[3] ?? a[4] ?? '');
  const viewBoxText = attrs.get('viewbox') ?? null;
  let vb: number[] | null = null;
  if (viewBoxText !== null) {
    const nums = viewBoxText
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (nums.length === 4 && nums.every(Number.isFinite) && nums[2]! > 0 && nums[3]! > 0) vb = nums;
  }
  let w = svgLength(attrs.get('width'));
  let h = svgLength(attrs.get('height'));
  if (w === null && h === null) {
    if (vb) {
      w = vb[2]!;
      h = vb[3]!;
    } else {
      w = 300;
      h = 150;
    }
  } else if (w === null) {
    w = vb ? (h! * vb[2]!) / vb[3]! : 300;
  } else if (h === null) {
    h = vb ? (w * vb[3]!) / vb[2]! : 150;
  }
  return {
    width: w!,
    height: h!,
    viewBox: vb ? vb.join(' ') : null,
    rootTag: m[0],
    rootIndex: m.index,
    attrs,
  };
}

/**
 * Rewrites an SVG so it renders at exactly `w` x `h` pixels with the bundled font: the root gets
 * explicit width/height (and a viewBox of its intrinsic size when it had none, so content scales),
 * and every font-family names the bundled family.
 */
export function prepareSvgSource(text: string, info: SvgInfo, w: number, h: number): string {
  const keep: string[] = [];
  for (const [name, value] of info.attrs) {
    if (name === 'width' || name === 'height' || name === 'viewbox' || name === 'font-family') continue;
    keep.push(`${name}="${rewriteCssFonts(value).replace(/"/g, '&quot;')}"`);
  }
  const viewBox = info.viewBox ?? `0 0 ${info.width} ${info.height}`;
  const selfClosing = /\/\s*>$/.test(info.rootTag);
  const root = `<svg ${keep.join(' ')} width="${w}" height="${h}" viewBox="${viewBox}" font-family="${FONT_FAMILY}"${selfClosing ? '/>' : '>'}`;
  const before = text.slice(0, info.rootIndex);
  const after = rewriteCssFonts(
    text
      .slice(info.rootIndex + info.rootTag.length)
      .replace(/font-family\s*=\s*("[^"]*"|'[^']*')/gi, `font-family="${FONT_FAMILY}"`),
  );
  return before + root + replaceUncoveredInCharacterData(after, loadRenderFonts().coverage);
}

/**
 * In an SVG's character data (between tags: the text it draws), replaces characters the bundled
 * font has no glyph for with U+FFFD, so SVG text never falls back to a system font either.
 */
export function replaceUncoveredInCharacterData(svg: string, coverage: ReadonlySet<number>): string {
  return svg.replace(/>([^<]+)</g, (_m, data: string) => {
    let out = '';
    for (const ch of data) {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x80 || coverage.has(cp) ? ch : '\uFFFD';
    }
    return `>${out}<`;
  });
}

/** Rewrites CSS `font-family:` declarations (style attributes, <style>) to the bundled family. */
function rewriteCssFonts(text: string): string {
  return text.replace(/font-family\s*:\s*(?:"[^"]*"|'[^']*'|[^;}"'<>])+/gi, `font-family:${FONT_FAMILY}`);
}

function loadImage(bytes: Buffer): Promise<Image> {
  const img = new Image();
  img.onerror = () => {};
  img.src = bytes;
  return img.decode().then(() => img);
}

/** Draws `source` (an Image) into a new canvas of exactly w x h with high-quality scaling. */
function rasterize(source: Image, w: number, h: number): Canvas {
  const canvas = new Canvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, w, h);
  return canvas;
}

/**
 * Decodes one asset and scales it to fit `box` (aspect kept, centred). Throws RenderInputError
 * naming the asset when it does not decode.
 */
export async function prepareImage(assetId: string, source: string, box: Rect): Promise<PreparedImage> {
  const decoded = decodeDataUri(source);
  if (!decoded) throw bad(assetId, 'its source is not a data: URI of image/png, image/jpeg or image/svg+xml');
  const { mediaType, bytes } = decoded;
  if (bytes.length === 0) throw bad(assetId, 'its data is empty');

  if (mediaType === 'image/svg+xml') {
    const text = bytes.toString('utf8');
    const info = inspectSvg(text);
    if (typeof info === 'string') throw bad(assetId, info);
    const rect = fitRect(info.width, info.height, box, 'top');
    if (rect.w === 0 || rect.h === 0) throw bad(assetId, 'the SVG has no usable size');
    let img: Image;
    try {
      img = await loadImage(Buffer.from(prepareSvgSource(text, info, rect.w, rect.h), 'utf8'));
    } catch {
      throw bad(assetId, 'the SVG does not parse');
    }
    if (img.width === 0 || img.height === 0) throw bad(assetId, 'the SVG does not parse');
    return { canvas: rasterize(img, rect.w, rect.h), rect };
  }

  const header = mediaType === 'image/png' ? inspectPng(bytes) : inspectJpeg(bytes);
  const kind = mediaType === 'image/png' ? 'PNG' : 'JPEG';
  if (typeof header === 'string') throw bad(assetId, header);
  if (header.width === 0 || header.height === 0) throw bad(assetId, `the ${kind} has a zero size`);
  if (header.width * header.height > MAX_ASSET_PIXELS) {
    throw bad(
      assetId,
      `the ${kind} is ${header.width}x${header.height} pixels; the limit is ${MAX_ASSET_PIXELS} pixels (about 4096x4096)`,
    );
  }
  let img: Image;
  try {
    img = await loadImage(bytes);
  } catch {
    throw bad(assetId, `the ${kind} data does not decode`);
  }
  if (img.naturalWidth === 0 || img.naturalHeight === 0)
    throw bad(assetId, `the ${kind} data does not decode`);
  const rect = fitRect(img.naturalWidth, img.naturalHeight, box, 'top');
  return { canvas: rasterize(img, rect.w, rect.h), rect };
}
