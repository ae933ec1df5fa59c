/**
 * The renderer's fonts: only the DejaVu Sans files bundled in `assets/fonts/`, registered under a
 * private family alias so that no drawing call can name (or silently get) a system font.
 *
 * Skia falls back to system fonts for characters the requested font lacks. To keep the pixels the
 * same on every machine, every string is passed through `toRenderableText()` before it is measured
 * or drawn: characters that DejaVu Sans has no glyph for become U+FFFD (the replacement character,
 * which DejaVu has), and invisible control and format characters are removed. Coverage is read
 * from the fonts' own `cmap` tables, so it is exact, not a guess.
 *
 * The font directory is `$MOBIUS_FONT_DIR` when set (the container image may put the fonts
 * elsewhere), else `<package root>/assets/fonts`, where the package root is the first directory
 * holding a package.json above this module: that works from src/ (tsx) and from dist/ alike.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlobalFonts, getTextRenderer } from '@napi-rs/canvas';
import { packageRootAbove } from '../../contract/package-root.js';
import { RenderInputError } from './types.js';

/** The private family every drawing call uses. Never a system family name. */
export const FONT_FAMILY = 'MobiusPreviewSans';
export const FONT_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' } as const;

const REPLACEMENT = '\uFFFD';

export interface RenderFonts {
  family: string;
  dir: string;
  /** Code points both the regular and the bold face have a glyph for. */
  coverage: ReadonlySet<number>;
}

let loaded: RenderFonts | null = null;

/** Where the bundled fonts are: MOBIUS_FONT_DIR, else `<package root>/assets/fonts`. */
export function resolveFontDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MOBIUS_FONT_DIR?.trim();
  if (override) return resolve(override);
  const here = dirname(fileURLToPath(import.meta.url));
  const root = packageRootAbove(here);
  if (!root) {
    throw new RenderInputError(
      `cannot find the package root (no package.json above ${here}); set MOBIUS_FONT_DIR to the directory holding ${FONT_FILES.regular}`,
    );
  }
  return join(root, 'assets', 'fonts');
}

/**
 * Registers the bundled fonts once per process and returns them. Throws RenderInputError (a
 * failure retrying cannot fix) when a font file is missing or unreadable. The worker may call
 * this at start-up to fail fast.
 */
export function loadRenderFonts(): RenderFonts {
  if (loaded) return loaded;
  if (getTextRenderer() !== 'portable') {
    throw new RenderInputError(
      `the canvas text renderer is "${getTextRenderer()}"; deterministic previews need "portable" (do not call setTextRenderer)`,
    );
  }
  const dir = resolveFontDir();
  const files = [join(dir, FONT_FILES.regular), join(dir, FONT_FILES.bold)];
  const coverages: Set<number>[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new RenderInputError(
        `the bundled font ${file} is missing; reinstall the package or set MOBIUS_FONT_DIR to the directory holding ${FONT_FILES.regular} and ${FONT_FILES.bold}`,
      );
    }
    let coverage: Set<number>;
    try {
      coverage = readCmapCoverage(bytes);
    } catch (err) {
      throw new RenderInputError(
        `the font ${file} is not a readable TrueType font: ${(err as Error).message}`,
      );
    }
    if (!GlobalFonts.register(bytes, FONT_FAMILY)) {
      throw new RenderInputError(`the font ${file} could not be registered with the canvas library`);
    }
    coverages.push(coverage);
  }
  if (!GlobalFonts.has(FONT_FAMILY)) {
    throw new RenderInputError(`the font family ${FONT_FAMILY} is not available after registration`);
  }
  const [regular, bold] = coverages as [Set<number>, Set<number>];
  const both = new Set<number>();
  for (const cp of regular) if (bold.has(cp)) both.add(cp);
  loaded = { family: FONT_FAMILY, dir, coverage: both };
  return loaded;
}

/** `font` shorthand for the canvas, always with the private family. */
export function fontSpec(sizePx: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${sizePx}px ${FONT_FAMILY}`;
}

/**
 * Makes text safe to draw with only the bundled font: CR/LF normalised to `\n`, tabs to spaces,
 * other control characters, format characters (zero-width joiners, bidi marks) and variation
 * selectors removed, and characters without a glyph replaced by U+FFFD.
 */
export function toRenderableText(text: string, coverage: ReadonlySet<number>): string {
  let out = '';
  const normalized = text.replace(/\r\n?/g, '\n').normalize('NFC');
  for (const ch of normalized) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0a) {
      out += '\n';
    } else if (cp === 0x09) {
      out += ' ';
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      // other C0/C1 control characters: dropped
    } else if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || /\p{Cf}/u.test(ch)) {
      // invisible format characters and variation selectors: dropped
    } else if (coverage.has(cp)) {
      out += ch;
    } else {
      out += REPLACEMENT;
    }
  }
  return out;
}

/**
 * Reads the set of code points a TrueType/OpenType font maps to a glyph, from its `cmap` table
 * (format 12 preferred, else format 4).
 */
export function readCmapCoverage(font: Buffer): Set<number> {
  if (font.length < 12) throw new Error('file too short');
  const numTables = font.readUInt16BE(4);
  let cmapOffset = -1;
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    if (rec + 16 > font.length) throw new Error('truncated table directory');
    if (font.toString('latin1', rec, rec + 4) === 'cmap') cmapOffset = font.readUInt32BE(rec + 8);
  }
  if (cmapOffset < 0) throw new Error('no cmap table');
  const subtableCount = font.readUInt16BE(cmapOffset + 2);
  let format4 = -1;
  let format12 = -1;
  for (let i = 0; i < subtableCount; i++) {
    const rec = cmapOffset + 4 + i * 8;
    const platform = font.readUInt16BE(rec);
    const encoding = font.readUInt16BE(rec + 2);
    const offset = cmapOffset + font.readUInt32BE(rec + 4);
    const format = font.readUInt16BE(offset);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    if (format === 12 && format12 < 0) format12 = offset;
    if (format === 4 && format4 < 0) format4 = offset;
  }
  const set = new Set<number>();
  if (format12 >= 0) {
    const groups = font.readUInt32BE(format12 + 12);
    for (let g = 0; g < groups; g++) {
      const rec = format12 + 16 + g * 12;
      const start = font.readUInt32BE(rec);
      const end = font.readUInt32BE(rec + 4);
      const startGlyph = font.readUInt32BE(rec + 8);
      for (let cp = start; cp <= end; cp++) if (startGlyph + (cp - start) !== 0) set.add(cp);
    }
    return set;
  }
  if (format4 < 0) throw new Error('no Unicode cmap subtable of format 4 or 12');
  const segCount = font.readUInt16BE(format4 + 6) / 2;
  const endCodes = format4 + 14;
  const startCodes = endCodes + segCount * 2 + 2;
  const idDeltas = startCodes + segCount * 2;
  const idRangeOffsets = idDeltas + segCount * 2;
  for (let s = 0; s < segCount; s++) {
    const end = font.readUInt16BE(endCodes + s * 2);
    const start = font.readUInt16BE(startCodes + s * 2);
    const delta = font.readInt16BE(idDeltas + s * 2);
    const rangeOffsetPos = idRangeOffsets + s * 2;
    const rangeOffset = font.readUInt16BE(rangeOffsetPos);
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let glyph: number;
      if (rangeOffset === 0) {
        glyph = (cp + delta) & 0xffff;
      } else {
        const glyphPos = rangeOffsetPos + rangeOffset + (cp - start) * 2;
        glyph = glyphPos + 2 <= font.length ? font.readUInt16BE(glyphPos) : 0;
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) set.add(cp);
    }
  }
  return set;
}
