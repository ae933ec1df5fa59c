import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cachedMeasure,
  computeContactSheetLayout,
  computeFrameLayout,
  ELLIPSIS,
  ellipsize,
  fitRect,
  graphemes,
  linesThatFit,
  type Rect,
  wrapText,
} from '../../src/worker/render/layout.js';

// A fixed-width "font": every grapheme is 10 units wide, so widths are easy to reason about.
const mono = (text: string) => graphemes(text).length * 10;

describe('wrapText', () => {
  it('wraps at word boundaries without exceeding the width', () => {
    const r = wrapText('the quick brown fox jumps over the lazy dog', 100, mono, 10);
    assert.deepEqual(r.lines, ['the quick', 'brown fox', 'jumps over', 'the lazy', 'dog']);
    assert.equal(r.truncated, false);
    for (const line of r.lines) assert.ok(mono(line) <= 100, line);
  });

  it('keeps explicit newlines and collapses runs of blank lines and spaces', () => {
    const r = wrapText('  first   line\n\n\n\nsecond\r\n', 200, mono, 10);
    assert.deepEqual(r.lines, ['first line', '', 'second']);
  });

  it('hard-breaks a word longer than the line', () => {
    const r = wrapText('abcdefghijklmnopqrstuvwxyz end', 100, mono, 10);
    assert.deepEqual(r.lines, ['abcdefghij', 'klmnopqrst', 'uvwxyz end']);
  });

  it('never splits a grapheme (letter plus combining accent) when hard-breaking', () => {
    const word = 'e\u0301'.repeat(12); // 12 user-perceived characters, 24 code points
    const r = wrapText(word, 50, mono, 10);
    assert.equal(r.lines.length, 3);
    for (const line of r.lines) assert.ok(!line.startsWith('\u0301'), 'a line starts with a lone accent');
    assert.equal(r.lines.join(''), word);
  });

  it('ends the last allowed line with an ellipsis when text overflows, and fits the width', () => {
    const r = wrapText('one two three four five six seven eight nine ten', 100, mono, 2);
    assert.equal(r.truncated, true);
    assert.equal(r.lines.length, 2);
    assert.ok(r.lines[1]!.endsWith(ELLIPSIS), r.lines[1]);
    for (const line of r.lines) assert.ok(mono(line) <= 100, line);
  });

  it('returns no lines when no line fits, and reports the cut', () => {
    assert.deepEqual(wrapText('some text', 100, mono, 0), { lines: [], truncated: true });
    assert.deepEqual(wrapText('   \n  ', 100, mono, 3), { lines: [], truncated: false });
  });

  it('handles a 2000-character text quickly with a cached measure (one measure per distinct word)', () => {
    let calls = 0;
    const measure = cachedMeasure((t) => {
      calls++;
      return mono(t);
    });
    const text = Array.from({ length: 400 }, (_, i) => `word${i % 20}`).join(' ');
    const r = wrapText(text, 300, measure, 1000);
    assert.equal(r.truncated, false);
    assert.ok(calls <= 22, `measured ${calls} times`);
    assert.equal(r.lines.join(' '), text);
  });
});

describe('ellipsize', () => {
  it('returns text that fits unchanged', () => {
    assert.equal(ellipsize('short', 100, mono), 'short');
  });
  it('cuts and appends an ellipsis within the width', () => {
    const out = ellipsize('a rather long title', 80, mono);
    assert.ok(out.endsWith(ELLIPSIS));
    assert.ok(mono(out) <= 80, out);
    assert.equal(out, 'a rathe' + ELLIPSIS);
  });
  it('gives an empty string when not even the ellipsis fits', () => {
    assert.equal(ellipsize('abc', 5, mono), '');
  });
});

describe('fitRect', () => {
  const box: Rect = { x: 10, y: 20, w: 400, h: 300 };
  it('keeps the aspect ratio and centres', () => {
    assert.deepEqual(fitRect(800, 400, box), { x: 10, y: 70, w: 400, h: 200 });
    assert.deepEqual(fitRect(100, 300, box), { x: 160, y: 20, w: 100, h: 300 });
  });
  it('aligns to the top when asked', () => {
    assert.deepEqual(fitRect(800, 400, box, 'top'), { x: 10, y: 20, w: 400, h: 200 });
  });
  it('scales small images up to the box', () => {
    assert.deepEqual(fitRect(40, 30, box), { x: 10, y: 20, w: 400, h: 300 });
  });
});

function inside(r: Rect, w: number, h: number): boolean {
  return r.x >= 0 && r.y >= 0 && r.x + r.w <= w && r.y + r.h <= h && r.w > 0 && r.h > 0;
}

describe('computeFrameLayout', () => {
  const sizes: [number, number][] = [
    [160, 90],
    [320, 180],
    [641, 481],
    [1280, 720],
    [1920, 1080],
    [160, 1080],
    [1920, 90],
    [1080, 1080],
  ];
  for (const [w, h] of sizes) {
    it(`keeps every block inside a ${w}x${h} frame, with room for text`, () => {
      for (const hasImage of [false, true]) {
        const l = computeFrameLayout(w, h, hasImage);
        assert.ok(l.titleBar.h < h / 3, 'title bar takes at most a third of the height');
        assert.ok(l.titleBar.fontSize >= 8 && l.titleBar.fontSize < l.titleBar.h);
        assert.ok(l.body.fontSize >= 7);
        assert.ok(l.stepTitle.fontSize > l.body.fontSize, 'step title is larger than body text');
        assert.ok(l.stepTitle.x >= l.margin && l.stepTitle.x + l.stepTitle.w <= w - l.margin + 1);
        assert.ok(l.body.bottom <= h && l.body.bottom > l.stepTitle.y, 'text area has height');
        assert.ok(l.stepTitle.maxLines >= 1);
        if (hasImage) {
          assert.ok(
            l.image && inside(l.image, w, h),
            `image area inside the frame: ${JSON.stringify(l.image)}`,
          );
          const img = l.image!;
          // the image area and the text never overlap
          const textRight = l.body.x + l.body.w;
          const overlapsX = img.x < textRight && l.body.x < img.x + img.w;
          const overlapsY = img.y < l.body.bottom && l.stepTitle.y < img.y + img.h;
          assert.ok(!(overlapsX && overlapsY), 'image and text overlap');
        } else {
          assert.equal(l.image, null);
        }
      }
    });
  }

  it('scales with the resolution: 1920x1080 is 1.5x of 1280x720', () => {
    const a = computeFrameLayout(1280, 720, true);
    const b = computeFrameLayout(1920, 1080, true);
    assert.equal(b.scale, 1.5);
    assert.equal(b.stepTitle.fontSize, Math.round(a.stepTitle.fontSize * 1.5));
    assert.equal(b.margin, Math.round(a.margin * 1.5));
  });

  it('keeps a readable line length on large frames, and the full width on small ones', () => {
    assert.equal(computeFrameLayout(1280, 720, false).body.w, 1000);
    assert.equal(computeFrameLayout(1920, 1080, false).body.w, 1500);
    const tiny = computeFrameLayout(160, 90, false);
    assert.equal(tiny.body.w, 160 - 2 * tiny.margin);
  });

  it('puts the image beside the text in landscape and above it in portrait', () => {
    const land = computeFrameLayout(1280, 720, true);
    assert.ok(land.image!.x > land.body.x + land.body.w);
    const port = computeFrameLayout(720, 1280, true);
    assert.ok(port.image!.y + port.image!.h < port.stepTitle.y);
  });
});

describe('linesThatFit', () => {
  it('counts whole lines only', () => {
    assert.equal(linesThatFit(100, 200, 30), 3);
    assert.equal(linesThatFit(100, 90, 30), 0);
    assert.equal(linesThatFit(0, 100, 0), 0);
  });
});

describe('computeContactSheetLayout', () => {
  it('has a size that depends only on frame size and step count', () => {
    const a = computeContactSheetLayout(1280, 720, 10);
    const b = computeContactSheetLayout(1280, 720, 10);
    assert.equal(a.width, b.width);
    assert.equal(a.height, b.height);
    assert.equal(a.columns, 5);
    assert.equal(a.rows, 2);
    assert.deepEqual(a.thumb, { w: 320, h: 180 });
  });

  it('never upscales thumbnails and keeps tall frames within 240 px', () => {
    assert.deepEqual(computeContactSheetLayout(160, 90, 3).thumb, { w: 160, h: 90 });
    const tall = computeContactSheetLayout(160, 1080, 3).thumb;
    assert.equal(tall.h, 240);
    assert.ok(tall.w < 40);
  });

  it('lays out 1, 7 and 100 steps in a grid whose cells stay inside the sheet', () => {
    for (const n of [1, 7, 100]) {
      const l = computeContactSheetLayout(1280, 720, n);
      assert.equal(l.columns * l.rows >= n, true);
      assert.ok(l.columns * (l.rows - 1) < n, 'no empty last row');
      for (const i of [0, n - 1]) {
        const c = l.cellAt(i);
        assert.ok(c.x + l.cell.w <= l.width - l.padding && c.y + l.cell.h <= l.height - l.padding + 1);
      }
    }
    const hundred = computeContactSheetLayout(1280, 720, 100);
    assert.equal(hundred.columns, 10);
    assert.deepEqual(hundred.thumb, { w: 224, h: 126 }, 'smaller thumbnails past 30 steps');
    assert.ok(hundred.width * hundred.height < 6_000_000, 'a 100-step sheet stays under 6 megapixels');
  });
});
