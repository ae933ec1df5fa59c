import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Canvas, Image } from '@napi-rs/canvas';
import { packageRootAbove } from '../../src/contract/package-root.js';
import { artifactPaths, comparePaths, serializeContainer } from '../../src/worker/render/artifacts.js';
import {
  inspectJpeg,
  inspectPng,
  inspectSvg,
  prepareImage,
  prepareSvgSource,
  replaceUncoveredInCharacterData,
} from '../../src/worker/render/assets.js';
import {
  acquireCanvas,
  idleCanvasCount,
  MAX_IDLE_CANVASES,
  releaseCanvas,
} from '../../src/worker/render/canvas-pool.js';
import {
  FONT_FAMILY,
  loadRenderFonts,
  readCmapCoverage,
  resolveFontDir,
  toRenderableText,
} from '../../src/worker/render/fonts.js';
import { encodePng, readPngSize } from '../../src/worker/render/png.js';
import { RenderInputError } from '../../src/worker/render/types.js';
import {
  assertFfmpegAvailable,
  buildConcatList,
  chooseFfmpeg,
  ffmpegArgs,
} from '../../src/worker/render/video.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

describe('fonts', () => {
  it('finds the package root and the bundled font directory from the module', () => {
    assert.equal(packageRootAbove(join(repoRoot, 'src', 'worker', 'render')), repoRoot);
    assert.equal(resolveFontDir({}), join(repoRoot, 'assets', 'fonts'));
  });

  it('lets MOBIUS_FONT_DIR override the font directory', () => {
    assert.equal(resolveFontDir({ MOBIUS_FONT_DIR: '/opt/fonts' }), '/opt/fonts');
  });

  it('reads glyph coverage from the font cmap: Latin, Greek, Cyrillic yes; CJK and emoji no', () => {
    const coverage = readCmapCoverage(readFileSync(join(repoRoot, 'assets', 'fonts', 'DejaVuSans.ttf')));
    for (const ch of 'Aaé€ΩЖ\uFFFD\u2026') assert.ok(coverage.has(ch.codePointAt(0)!), ch);
    for (const ch of ['中', '🚀']) assert.ok(!coverage.has(ch.codePointAt(0)!), ch);
    assert.ok(coverage.size > 3000);
  });

  it('rejects a file that is not a font', () => {
    assert.throws(() => readCmapCoverage(Buffer.from('definitely not a font file')));
  });

  it('registers the bundled fonts under the private family only', () => {
    const fonts = loadRenderFonts();
    assert.equal(fonts.family, FONT_FAMILY);
    assert.ok(fonts.coverage.has(0x41));
    assert.equal(loadRenderFonts(), fonts, 'registered once per process');
  });

  it('replaces characters the font lacks and drops invisible control and format characters', () => {
    const { coverage } = loadRenderFonts();
    assert.equal(toRenderableText('Héllo wörld', coverage), 'Héllo wörld');
    assert.equal(toRenderableText('中🚀', coverage), '\uFFFD\uFFFD');
    assert.equal(toRenderableText('a\u200Db\u0007c\uFE0F', coverage), 'abc');
    assert.equal(toRenderableText('one\r\ntwo\rthree\tfour', coverage), 'one\ntwo\nthree four');
    assert.equal(toRenderableText('e\u0301', coverage), '\u00e9', 'NFC-normalised');
  });
});

describe('png encoder', () => {
  it('writes a PNG the canvas library decodes to the same pixels', async () => {
    const canvas = new Canvas(37, 21);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, 37, 21);
    ctx.fillStyle = '#4f46e5';
    ctx.fillRect(5, 3, 20, 10);
    const png = await encodePng(canvas.data(), 37, 21);
    assert.deepEqual(readPngSize(png), { width: 37, height: 21 });
    const img = new Image();
    img.src = png;
    await img.decode();
    const back = new Canvas(37, 21);
    back.getContext('2d').drawImage(img, 0, 0);
    assert.ok(back.data().equals(canvas.data()), 'pixels survive the round trip');
  });

  it('is deterministic and has no timestamp or text chunks', async () => {
    const canvas = new Canvas(64, 64);
    canvas.getContext('2d').fillRect(10, 10, 30, 30);
    const a = await encodePng(canvas.data(), 64, 64);
    const b = await encodePng(canvas.data(), 64, 64);
    assert.ok(a.equals(b));
    const types: string[] = [];
    for (let off = 8; off < a.length; ) {
      const len = a.readUInt32BE(off);
      types.push(a.toString('latin1', off + 4, off + 8));
      off += 12 + len;
    }
    assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
  });

  it('readPngSize refuses non-PNG bytes', () => {
    assert.equal(readPngSize(Buffer.from('GIF89a-------------------')), null);
  });
});

function pngBytes(w: number, h: number): Buffer {
  const c = new Canvas(w, h);
  c.getContext('2d').fillRect(0, 0, w, h);
  return c.encodeSync('png');
}

describe('asset inspection', () => {
  it('reads PNG size and refuses truncated or foreign bytes', () => {
    const png = pngBytes(30, 20);
    assert.deepEqual(inspectPng(png), { width: 30, height: 20 });
    assert.match(String(inspectPng(png.subarray(0, png.length - 12))), /truncated/);
    assert.match(String(inspectPng(Buffer.from('hello, this is not a png at all!!'))), /not a PNG/);
  });

  it('reads JPEG size from the SOF segment and refuses a truncated file', () => {
    const c = new Canvas(48, 32);
    c.getContext('2d').fillRect(0, 0, 10, 10);
    const jpg = c.encodeSync('jpeg', 80);
    assert.deepEqual(inspectJpeg(jpg), { width: 48, height: 32 });
    assert.match(String(inspectJpeg(jpg.subarray(0, jpg.length - 2))), /truncated/);
    assert.match(String(inspectJpeg(Buffer.from('not a jpeg'))), /not a JPEG/);
  });

  it('works out an SVG intrinsic size from width/height or the viewBox', () => {
    const s1 = inspectSvg('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"></svg>');
    assert.ok(typeof s1 !== 'string');
    assert.deepEqual([s1.width, s1.height], [200, 100]);
    const s2 = inspectSvg(
      "<?xml version='1.0'?><svg viewBox='0 0 40 80' xmlns='http://www.w3.org/2000/svg'/>",
    );
    assert.ok(typeof s2 !== 'string');
    assert.deepEqual([s2.width, s2.height], [40, 80]);
    const s3 = inspectSvg('<svg xmlns="http://www.w3.org/2000/svg" width="1in" viewBox="0 0 2 1"></svg>');
    assert.ok(typeof s3 !== 'string');
    assert.deepEqual([s3.width, s3.height], [96, 48]);
    assert.match(String(inspectSvg('<html></html>')), /not an SVG/);
    assert.match(String(inspectSvg('<!DOCTYPE svg [<!ENTITY a "x">]><svg/>')), /entities/);
  });

  it('checks images embedded in an SVG: PNG/JPEG only, within the pixel limit', () => {
    const ok = `<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/png;base64,${pngBytes(8, 8).toString('base64')}"/></svg>`;
    assert.equal(typeof inspectSvg(ok), 'object');
    const huge = pngBytes(4, 4);
    huge.writeUInt32BE(30000, 16);
    huge.writeUInt32BE(30000, 20);
    const bomb = `<svg xmlns="http://www.w3.org/2000/svg"><image xlink:href='data:image/png;base64,${huge.toString('base64')}'/></svg>`;
    assert.match(String(inspectSvg(bomb)), /30000x30000.*limit/);
    const gif =
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="data:image/gif;base64,R0lGODlhAQABAAAAACw="/></svg>';
    assert.match(String(inspectSvg(gif)), /not a PNG or JPEG/);
    const external =
      '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/x.png"/></svg>';
    assert.equal(typeof inspectSvg(external), 'object', 'external references are ignored (never loaded)');
  });

  it('rewrites the SVG root to the target size and every font to the bundled family', () => {
    const text =
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" font-family="Arial"><text style="font-family: \'Comic Sans MS\', serif; fill: red" font-family="Times">x</text></svg>';
    const info = inspectSvg(text);
    assert.ok(typeof info !== 'string');
    const out = prepareSvgSource(text, info, 400, 200);
    assert.match(out, /^<svg [^>]*width="400" height="200" viewBox="0 0 100 50"/);
    assert.doesNotMatch(out, /Arial|Comic|Times|serif/);
    assert.equal(out.match(new RegExp(FONT_FAMILY, 'g'))?.length, 3);
    assert.match(out, /fill: red/);
    const styled =
      '<svg xmlns="http://www.w3.org/2000/svg" style="font-family: Georgia; color: red" width="10" height="10"/>';
    const styledInfo = inspectSvg(styled);
    assert.ok(typeof styledInfo !== 'string');
    const styledOut = prepareSvgSource(styled, styledInfo, 20, 20);
    assert.doesNotMatch(styledOut, /Georgia/);
    assert.match(styledOut, /color: red/);
  });

  it('replaces characters the font lacks in SVG text, leaving markup alone', () => {
    const { coverage } = loadRenderFonts();
    const svg = '<svg><text x="1">Hi 中文 🚀 é</text><style>.a{fill:red}</style></svg>';
    assert.equal(
      replaceUncoveredInCharacterData(svg, coverage),
      '<svg><text x="1">Hi \uFFFD\uFFFD \uFFFD é</text><style>.a{fill:red}</style></svg>',
    );
  });

  it('prepareImage names the asset when it does not decode, and refuses huge pixel counts', async () => {
    const box = { x: 0, y: 0, w: 100, h: 100 };
    const garbage = `data:image/png;base64,${Buffer.from('garbage bytes that are no image').toString('base64')}`;
    await assert.rejects(prepareImage('logo-1', garbage, box), (err: Error) => {
      assert.ok(err instanceof RenderInputError);
      assert.match(err.message, /asset "logo-1"/);
      return true;
    });
    // a PNG header claiming 20000x20000 pixels
    const huge = pngBytes(4, 4);
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    await assert.rejects(
      prepareImage('huge', `data:image/png;base64,${huge.toString('base64')}`, box),
      /limit/,
    );
    const badSvg = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect')}`;
    await assert.rejects(prepareImage('broken-svg', badSvg, box), /asset "broken-svg"/);
  });

  it('an SVG cannot pull a local file into the picture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-svg-file-'));
    try {
      const green = new Canvas(50, 50);
      const g = green.getContext('2d');
      g.fillStyle = '#00ff00';
      g.fillRect(0, 0, 50, 50);
      const file = join(dir, 'green.png');
      writeFileSync(file, green.encodeSync('png'));
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="50" height="50"><image href="file://${file}" width="50" height="50"/><image xlink:href="${file}" width="50" height="50"/></svg>`;
      const img = await prepareImage('refs', `data:image/svg+xml,${encodeURIComponent(svg)}`, {
        x: 0,
        y: 0,
        w: 50,
        h: 50,
      });
      const px = img.canvas.getContext('2d').getImageData(25, 25, 1, 1).data;
      assert.notDeepEqual([...px], [0, 255, 0, 255], 'the local file was drawn');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prepareImage scales to fit the box, aspect kept, top-aligned', async () => {
    const src = `data:image/png;base64,${pngBytes(400, 200).toString('base64')}`;
    const img = await prepareImage('wide', src, { x: 10, y: 10, w: 100, h: 100 });
    assert.deepEqual(img.rect, { x: 10, y: 10, w: 100, h: 50 });
    assert.equal(img.canvas.width, 100);
    assert.equal(img.canvas.height, 50);
  });
});

describe('ffmpeg helpers', () => {
  it('chooses the option, then FFMPEG_PATH, then ffmpeg from PATH', () => {
    assert.equal(chooseFfmpeg('/opt/ff', { FFMPEG_PATH: '/usr/x' }), '/opt/ff');
    assert.equal(chooseFfmpeg(undefined, { FFMPEG_PATH: '/usr/x' }), '/usr/x');
    assert.equal(chooseFfmpeg(undefined, {}), 'ffmpeg');
  });

  it('reports a missing ffmpeg as a RenderInputError saying how to fix it', () => {
    assert.throws(
      () => assertFfmpegAvailable('ffmpeg', { PATH: '/nonexistent-dir' }),
      (err: Error) =>
        err instanceof RenderInputError &&
        err.message ===
          'ffmpeg was not found on PATH; install it (apt-get install ffmpeg) or set FFMPEG_PATH',
    );
    assert.throws(
      () => assertFfmpegAvailable('/nonexistent/ffmpeg', {}),
      (err: Error) =>
        err instanceof RenderInputError &&
        /ffmpeg was not found at "\/nonexistent\/ffmpeg"/.test(err.message),
    );
  });

  it('finds an executable on PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-ffmpeg-'));
    try {
      writeFileSync(join(dir, 'ffmpeg'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      assert.doesNotThrow(() => assertFfmpegAvailable('ffmpeg', { PATH: `/nonexistent:${dir}` }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a concat list with durations, quoted paths and the last frame repeated', () => {
    const list = buildConcatList([
      { path: 'frames/step-001.png', durationSec: 4 },
      { path: "frames/it's.png", durationSec: 0.5 },
    ]);
    assert.equal(
      list,
      "ffconcat version 1.0\nfile 'frames/step-001.png'\nduration 4.000\nfile 'frames/it'\\''s.png'\nduration 0.500\nfile 'frames/it'\\''s.png'\n",
    );
  });

  it('asks ffmpeg for reproducible H.264 yuv420p with even dimensions', () => {
    const args = ffmpegArgs('list.txt', 'out.mp4');
    const joined = args.join(' ');
    for (const part of [
      '-c:v libx264',
      '-pix_fmt yuv420p',
      '-threads 1',
      '-fflags +bitexact',
      '-map_metadata -1',
    ]) {
      assert.ok(joined.includes(part), part);
    }
    assert.match(joined, /crop=trunc\(iw\/2\)\*2:trunc\(ih\/2\)\*2/);
    assert.equal(args.at(-1), 'out.mp4');
  });
});

describe('artifact paths', () => {
  it('puts the job under <dataDir>/previews/<projectId>/ with a temp dir beside it', () => {
    const p = artifactPaths('/data', 'proj', 'job-1');
    assert.equal(p.root, '/data/previews');
    assert.equal(p.finalDir, '/data/previews/proj/job-1');
    assert.match(p.tempDir, /^\/data\/previews\/proj\/\.tmp-job-1-[0-9a-f]{12}$/);
    assert.notEqual(artifactPaths('/data', 'proj', 'job-1').tempDir, p.tempDir);
  });

  it('refuses ids that would leave the previews directory', () => {
    for (const [project, job] of [
      ['..', 'job'],
      ['proj', '..'],
      ['.', 'job'],
      ['a/../..', 'job'],
      ['proj', '../../etc'],
      ['/etc', 'job'],
    ] as const) {
      assert.throws(
        () => artifactPaths('/data', project, job),
        /outside|single directory/,
        `${project}/${job}`,
      );
    }
  });

  it('serialises container.json sorted by path, byte-wise', () => {
    const json = serializeContainer([
      { path: 'preview.json', bytes: 1, sha256: 'a' },
      { path: 'frames/step-002.png', bytes: 2, sha256: 'b' },
      { path: 'Z.txt', bytes: 3, sha256: 'c' },
      { path: 'frames/step-001.png', bytes: 4, sha256: 'd' },
    ]);
    assert.deepEqual(
      JSON.parse(json).files.map((f: { path: string }) => f.path),
      ['Z.txt', 'frames/step-001.png', 'frames/step-002.png', 'preview.json'],
    );
    assert.ok(json.endsWith('\n'));
    assert.equal(comparePaths('a', 'b'), -1);
  });
});

describe('canvas pool', () => {
  it('hands back a released canvas of the same size, and a new one otherwise', () => {
    const a = acquireCanvas(123, 45);
    releaseCanvas(a);
    assert.equal(acquireCanvas(123, 45), a);
    const b = acquireCanvas(123, 45);
    assert.notEqual(b, a, 'an acquired canvas is not handed out twice');
    releaseCanvas(a);
    releaseCanvas(b);
    assert.notEqual(acquireCanvas(124, 45), a);
  });

  it('keeps at most MAX_IDLE_CANVASES and frees what it does not keep', () => {
    const many = Array.from({ length: MAX_IDLE_CANVASES + 3 }, (_, i) => acquireCanvas(50 + i, 20));
    for (const c of many) releaseCanvas(c);
    assert.equal(idleCanvasCount(), MAX_IDLE_CANVASES);
    assert.equal(many[0]!.width, 0, 'the oldest idle canvas was freed');
    const dirty = acquireCanvas(77, 77);
    releaseCanvas(dirty, false);
    assert.equal(dirty.width, 0);
    assert.notEqual(acquireCanvas(77, 77), dirty);
  });
});
