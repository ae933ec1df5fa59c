/**
 * The renderer end to end on the real file system and the real ffmpeg (from PATH; npm test provides it):
 * artifacts, checksums, determinism, idempotence, failures and clean-up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Canvas } from '@napi-rs/canvas';
import type { PreviewPayload, PreviewPayloadInput } from '../../src/contract/payload.js';
import { parsePreviewPayload } from '../../src/worker/payload.js';
import { readContainerManifest, renderPreview } from '../../src/worker/render/index.js';
import { readPngSize } from '../../src/worker/render/png.js';
import { RenderInputError } from '../../src/worker/render/types.js';
import { requireTool } from '../support/tools.js';

let workDir: string;
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'render-it-'));
});
after(() => {
  rmSync(workDir, { recursive: true, force: true });
});

let dirCounter = 0;
function freshDataDir(): string {
  const d = join(workDir, `data-${++dirCounter}`);
  return d;
}

function pngDataUri(): string {
  const c = new Canvas(320, 200);
  const ctx = c.getContext('2d');
  const g = ctx.createLinearGradient(0, 0, 320, 200);
  g.addColorStop(0, '#0ea5e9');
  g.addColorStop(1, '#7c3aed');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, 320, 200);
  ctx.fillStyle = '#fde047';
  ctx.beginPath();
  ctx.arc(240, 60, 30, 0, Math.PI * 2);
  ctx.fill();
  return `data:image/png;base64,${c.encodeSync('png').toString('base64')}`;
}

function jpegDataUri(): string {
  const c = new Canvas(200, 300);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#166534';
  ctx.fillRect(0, 0, 200, 300);
  ctx.fillStyle = '#f97316';
  ctx.fillRect(40, 60, 120, 120);
  return `data:image/jpeg;base64,${c.encodeSync('jpeg', 85).toString('base64')}`;
}

const SVG_URI = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" rx="12" fill="#1e293b"/><circle cx="50" cy="45" r="25" fill="#38bdf8"/><text x="50" y="90" font-size="12" text-anchor="middle" fill="#fff" font-family="Helvetica">Logo</text></svg>',
)}`;

function payload(overrides: {
  jobId: string;
  resolution?: string;
  format?: 'png' | 'mp4';
  steps?: NonNullable<PreviewPayloadInput['previewRequest']>['steps'];
  assets?: NonNullable<PreviewPayloadInput['previewRequest']>['assets'];
}): PreviewPayload {
  const input: PreviewPayloadInput = {
    jobId: overrides.jobId,
    projectId: 'proj-render',
    previewRequest: {
      title: 'Getting started with Mobius previews',
      description: 'A short walkthrough',
      chapterId: 'chapter-2',
      metadata: { author: 'test', tags: ['a', 'b'] },
      audio: { track: 'none' },
      steps: overrides.steps ?? [
        {
          title: 'Welcome',
          text: 'This tour shows the basics.\n\nIt takes two minutes.',
          durationSec: 1.5,
          assetId: 'hero',
        },
        {
          title: 'Configure the project',
          text: 'Pick a target, then choose a build profile. '.repeat(20),
          durationSec: 2,
          assetId: 'logo',
        },
        {
          title: 'A portrait photo',
          text: 'Ünïcödé, Ελληνικά, Кириллица, 中文 and 🚀 are all drawn.',
          durationSec: 1,
          assetId: 'photo',
        },
        { title: 'Done', text: '', durationSec: 0.5 },
      ],
      assets: overrides.assets ?? [
        { id: 'hero', type: 'image', source: pngDataUri() },
        { id: 'logo', type: 'image', source: SVG_URI },
        { id: 'photo', type: 'image', source: jpegDataUri() },
      ],
      options: { resolution: overrides.resolution ?? '640x360', format: overrides.format ?? 'png' },
    },
  };
  const parsed = parsePreviewPayload(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function listFilesRecursive(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFilesRecursive(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

function leftovers(dataDir: string, projectId = 'proj-render'): string[] {
  const dir = join(dataDir, 'previews', projectId);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.tmp-')) : [];
}

describe('renderPreview (png)', () => {
  const p = payload({ jobId: 'job-png-1' });
  let dataA: string;
  let dataB: string;
  const progress: [number, number][] = [];

  before(async () => {
    dataA = freshDataDir();
    dataB = freshDataDir();
    await renderPreview(p, { dataDir: dataA, onProgress: (d, t) => void progress.push([d, t]) });
    await renderPreview(p, { dataDir: dataB });
  });

  it('writes one frame per step at the requested resolution, a contact sheet, preview.json and container.json', () => {
    const dir = join(dataA, 'previews', 'proj-render', 'job-png-1');
    assert.deepEqual(listFilesRecursive(dir), [
      'contact-sheet.png',
      'container.json',
      'frames/step-001.png',
      'frames/step-002.png',
      'frames/step-003.png',
      'frames/step-004.png',
      'preview.json',
    ]);
    for (let i = 1; i <= 4; i++) {
      assert.deepEqual(readPngSize(readFileSync(join(dir, `frames/step-00${i}.png`))), {
        width: 640,
        height: 360,
      });
    }
    const sheet = readPngSize(readFileSync(join(dir, 'contact-sheet.png')));
    assert.ok(sheet && sheet.width > 320 && sheet.height > 180, JSON.stringify(sheet));
  });

  it('lists every other file in container.json with its real size and sha256, sorted by path', () => {
    const dir = join(dataA, 'previews', 'proj-render', 'job-png-1');
    const manifest = JSON.parse(readFileSync(join(dir, 'container.json'), 'utf8')) as {
      files: { path: string; bytes: number; sha256: string }[];
    };
    const paths = manifest.files.map((f) => f.path);
    assert.deepEqual(
      paths,
      listFilesRecursive(dir).filter((f) => f !== 'container.json'),
    );
    assert.deepEqual([...paths].sort(), paths);
    for (const f of manifest.files) {
      assert.equal(f.bytes, statSync(join(dir, f.path)).size, f.path);
      assert.equal(f.sha256, sha256(join(dir, f.path)), f.path);
    }
  });

  it('records the request, steps, duration, version and timings in preview.json', () => {
    const doc = JSON.parse(
      readFileSync(join(dataA, 'previews', 'proj-render', 'job-png-1', 'preview.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(doc.title, 'Getting started with Mobius previews');
    assert.equal(doc.description, 'A short walkthrough');
    assert.equal(doc.chapterId, 'chapter-2');
    assert.deepEqual(doc.metadata, { author: 'test', tags: ['a', 'b'] });
    assert.deepEqual(doc.audio, { track: 'none' });
    assert.equal(doc.resolution, '640x360');
    assert.equal(doc.format, 'png');
    assert.equal(doc.totalDurationSec, 5);
    assert.equal(typeof doc.rendererVersion, 'string');
    const steps = doc.steps as { title: string; durationSec: number; frame: string }[];
    assert.deepEqual(
      steps.map((s) => [s.title, s.durationSec, s.frame]),
      [
        ['Welcome', 1.5, 'frames/step-001.png'],
        ['Configure the project', 2, 'frames/step-002.png'],
        ['A portrait photo', 1, 'frames/step-003.png'],
        ['Done', 0.5, 'frames/step-004.png'],
      ],
    );
    const timings = doc.timings as Record<string, number>;
    for (const k of ['rasterMs', 'encodeMs', 'videoMs', 'writeMs', 'totalMs'])
      assert.equal(typeof timings[k], 'number');
  });

  it('renders identical frame and contact-sheet bytes for the same payload in another data dir', () => {
    const a = join(dataA, 'previews', 'proj-render', 'job-png-1');
    const b = join(dataB, 'previews', 'proj-render', 'job-png-1');
    const files = listFilesRecursive(a).filter((f) => f.endsWith('.png'));
    assert.equal(files.length, 5);
    for (const f of files) assert.equal(sha256(join(a, f)), sha256(join(b, f)), f);
  });

  it('reports progress after each frame and at the end, in order', () => {
    assert.deepEqual(progress, [
      [1, 5],
      [2, 5],
      [3, 5],
      [4, 5],
      [5, 5],
    ]);
  });

  it('does not render a repeated jobId again', async () => {
    const dir = join(dataA, 'previews', 'proj-render', 'job-png-1');
    const before = statSync(join(dir, 'frames', 'step-001.png')).mtimeMs;
    const calls: number[] = [];
    const again = await renderPreview(p, { dataDir: dataA, onProgress: (d) => void calls.push(d) });
    assert.equal(again.alreadyExisted, true);
    assert.equal(again.dir, dir);
    assert.equal(again.frames, 4);
    assert.deepEqual(again.files, await readContainerManifest(dir));
    assert.deepEqual(calls, []);
    assert.equal(statSync(join(dir, 'frames', 'step-001.png')).mtimeMs, before);
    assert.deepEqual(leftovers(dataA), []);
  });

  it('leaves no temporary directory behind', () => {
    assert.deepEqual(leftovers(dataA), []);
    assert.deepEqual(leftovers(dataB), []);
  });
});

describe('renderPreview results', () => {
  it('returns the files, frame count and timings of a fresh render', async () => {
    const dataDir = freshDataDir();
    const r = await renderPreview(payload({ jobId: 'job-result' }), { dataDir });
    assert.equal(r.alreadyExisted, false);
    assert.equal(r.frames, 4);
    assert.equal(r.dir, join(dataDir, 'previews', 'proj-render', 'job-result'));
    assert.deepEqual(r.files, await readContainerManifest(r.dir));
    assert.ok(r.timings.totalMs >= r.timings.rasterMs + r.timings.encodeMs);
    assert.ok(r.timings.rasterMs > 0 && r.timings.encodeMs > 0 && r.timings.writeMs > 0);
    assert.equal(r.timings.videoMs, 0);
  });

  for (const resolution of ['160x90', '1920x1080', '161x91', '160x1080']) {
    it(`renders a ${resolution} frame at exactly that size`, async () => {
      const dataDir = freshDataDir();
      const r = await renderPreview(
        payload({
          jobId: `job-res-${resolution}`,
          resolution,
          steps: [{ title: 'Only step', text: 'Some words to wrap on a small frame.', assetId: 'hero' }],
          assets: [{ id: 'hero', type: 'image', source: pngDataUri() }],
        }),
        { dataDir },
      );
      const [w, h] = resolution.split('x').map(Number);
      assert.deepEqual(readPngSize(readFileSync(join(r.dir, 'frames', 'step-001.png'))), {
        width: w,
        height: h,
      });
    });
  }
});

describe('renderPreview housekeeping', () => {
  it('removes temporary directories a killed process left over an hour ago, and keeps recent ones', async () => {
    const dataDir = freshDataDir();
    const projectDir = join(dataDir, 'previews', 'proj-render');
    const stale = join(projectDir, '.tmp-job-old-0123456789ab');
    const recent = join(projectDir, '.tmp-job-running-ba9876543210');
    mkdirSync(join(stale, 'frames'), { recursive: true });
    writeFileSync(join(stale, 'frames', 'step-001.png'), 'partial');
    mkdirSync(recent, { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    await renderPreview(
      payload({ jobId: 'job-housekeeping', steps: [{ title: 'One', text: 'x' }], assets: [] }),
      {
        dataDir,
      },
    );
    assert.equal(existsSync(stale), false, 'stale temp dir removed');
    assert.equal(existsSync(recent), true, 'a recent temp dir (maybe a live render) is kept');
  });
});

describe('renderPreview SVG assets', () => {
  it('never fetches what an SVG references over the network', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      const secretPng = join(workDir, 'local-secret.png');
      writeFileSync(secretPng, Buffer.from(pngDataUri().split(',')[1]!, 'base64'));
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100"><image href="http://127.0.0.1:${port}/a.png" width="100" height="100"/><image xlink:href="file://${secretPng}" x="100" width="100" height="100"/><style>@import url(http://127.0.0.1:${port}/b.css);</style></svg>`;
      const dataDir = freshDataDir();
      const r = await renderPreview(
        payload({
          jobId: 'job-svg-refs',
          steps: [{ title: 'References', text: 'x', assetId: 'refs' }],
          assets: [{ id: 'refs', type: 'image', source: `data:image/svg+xml,${encodeURIComponent(svg)}` }],
        }),
        { dataDir },
      );
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(hits, 0, 'the SVG renderer made a network request');
      assert.equal(r.frames, 1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('renderPreview failures', () => {
  it('fails with a RenderInputError naming a corrupt asset, and cleans up', async () => {
    const dataDir = freshDataDir();
    const corrupt = `data:image/png;base64,${Buffer.from('this is not a png, just text').toString('base64')}`;
    const p = payload({
      jobId: 'job-corrupt',
      steps: [
        { title: 'Fine', text: 'ok' },
        { title: 'Broken', text: 'x', assetId: 'broken-shot' },
      ],
      assets: [{ id: 'broken-shot', type: 'image', source: corrupt }],
    });
    await assert.rejects(renderPreview(p, { dataDir }), (err: Error) => {
      assert.ok(err instanceof RenderInputError, `${err.name}: ${err.message}`);
      assert.match(err.message, /asset "broken-shot"/);
      return true;
    });
    assert.deepEqual(leftovers(dataDir), []);
    assert.equal(existsSync(join(dataDir, 'previews', 'proj-render', 'job-corrupt')), false);
  });

  it('fails with a RenderInputError for a truncated JPEG', async () => {
    const dataDir = freshDataDir();
    const full = Buffer.from(jpegDataUri().split(',')[1]!, 'base64');
    const truncated = `data:image/jpeg;base64,${full.subarray(0, Math.floor(full.length / 2)).toString('base64')}`;
    const p = payload({
      jobId: 'job-truncated',
      steps: [{ title: 'Broken', text: 'x', assetId: 'half' }],
      assets: [{ id: 'half', type: 'image', source: truncated }],
    });
    await assert.rejects(
      renderPreview(p, { dataDir }),
      (err: Error) => err instanceof RenderInputError && /"half"/.test(err.message),
    );
    assert.deepEqual(leftovers(dataDir), []);
  });

  it('fails with a RenderInputError when ffmpeg is missing (FFMPEG_PATH), leaving no temp dir', async () => {
    const dataDir = freshDataDir();
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = join(workDir, 'no-such-ffmpeg');
    try {
      await assert.rejects(
        renderPreview(payload({ jobId: 'job-noffmpeg', format: 'mp4' }), { dataDir }),
        (err: Error) => {
          assert.ok(err instanceof RenderInputError, `${err.name}: ${err.message}`);
          assert.match(err.message, /ffmpeg was not found/);
          assert.match(err.message, /FFMPEG_PATH/);
          return true;
        },
      );
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
    assert.deepEqual(leftovers(dataDir), []);
    assert.equal(existsSync(join(dataDir, 'previews', 'proj-render', 'job-noffmpeg')), false);
  });

  it('reports an ffmpeg that fails as a retryable Error carrying its stderr, and cleans up', async () => {
    const dataDir = freshDataDir();
    const fake = join(workDir, 'failing-ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "first line" >&2\necho "Unknown encoder libx264" >&2\nexit 1\n', {
      mode: 0o755,
    });
    await assert.rejects(
      renderPreview(payload({ jobId: 'job-ffmpeg-fails', format: 'mp4' }), { dataDir, ffmpegPath: fake }),
      (err: Error) => {
        assert.ok(!(err instanceof RenderInputError), 'a crashing ffmpeg is retryable');
        assert.match(err.message, /ffmpeg failed \(exit code 1\)/);
        assert.match(err.message, /Unknown encoder libx264/);
        return true;
      },
    );
    assert.deepEqual(leftovers(dataDir), []);
  });

  it('stops between frames when the signal aborts, and cleans up', async () => {
    const dataDir = freshDataDir();
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      renderPreview(payload({ jobId: 'job-abort-frames' }), {
        dataDir,
        signal: controller.signal,
        onProgress: (done) => {
          seen.push(done);
          if (done === 2) controller.abort(new Error('shutting down'));
        },
      }),
      /shutting down/,
    );
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(leftovers(dataDir), []);
    assert.equal(existsSync(join(dataDir, 'previews', 'proj-render', 'job-abort-frames')), false);
  });

  it('kills ffmpeg when the signal aborts, and cleans up', async () => {
    const dataDir = freshDataDir();
    const pidFile = join(workDir, 'slow-ffmpeg.pid');
    const fake = join(workDir, 'slow-ffmpeg');
    writeFileSync(fake, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`, { mode: 0o755 });
    const controller = new AbortController();
    const started = Date.now();
    const render = renderPreview(payload({ jobId: 'job-abort', format: 'mp4' }), {
      dataDir,
      ffmpegPath: fake,
      signal: controller.signal,
    });
    // abort once the (fake) ffmpeg is running
    const poll = setInterval(() => {
      if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()) {
        clearInterval(poll);
        controller.abort(new Error('job cancelled'));
      }
    }, 20);
    try {
      await assert.rejects(render, /job cancelled/);
    } finally {
      clearInterval(poll);
    }
    assert.ok(Date.now() - started < 20_000, 'did not wait for ffmpeg to finish');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'ffmpeg process is gone');
    assert.deepEqual(leftovers(dataDir), []);
  });
});

describe('renderPreview (mp4)', () => {
  let dataA: string;
  let dataB: string;
  const p = payload({ jobId: 'job-mp4', format: 'mp4', resolution: '321x181' });
  const progress: number[] = [];

  before(async () => {
    const ffmpeg = requireTool('ffmpeg');
    dataA = freshDataDir();
    dataB = freshDataDir();
    await renderPreview(p, { dataDir: dataA, ffmpegPath: ffmpeg, onProgress: (d) => void progress.push(d) });
    await renderPreview(p, { dataDir: dataB, ffmpegPath: ffmpeg });
  });

  it('adds preview.mp4, listed in container.json', async () => {
    const dir = join(dataA, 'previews', 'proj-render', 'job-mp4');
    const files = await readContainerManifest(dir);
    const mp4 = files.find((f) => f.path === 'preview.mp4');
    assert.ok(mp4, 'preview.mp4 listed');
    assert.equal(mp4.sha256, sha256(join(dir, 'preview.mp4')));
    assert.equal(mp4.bytes, statSync(join(dir, 'preview.mp4')).size);
    assert.ok(!existsSync(join(dir, '.concat-list.txt')), 'the concat list is not left in the artifacts');
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
  });

  it('encodes the same bytes twice', () => {
    const a = join(dataA, 'previews', 'proj-render', 'job-mp4', 'preview.mp4');
    const b = join(dataB, 'previews', 'proj-render', 'job-mp4', 'preview.mp4');
    assert.equal(sha256(a), sha256(b));
  });

  it('is H.264 yuv420p with even dimensions, lasting the sum of the step durations', () => {
    const file = join(dataA, 'previews', 'proj-render', 'job-mp4', 'preview.mp4');
    const probe = spawnSync(
      requireTool('ffprobe'),
      [
        '-v',
        'error',
        '-show_entries',
        'format=duration:stream=codec_name,pix_fmt,width,height',
        '-of',
        'json',
        file,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    const info = JSON.parse(probe.stdout) as {
      format: { duration: string };
      streams: { codec_name: string; pix_fmt: string; width: number; height: number }[];
    };
    const video = info.streams[0]!;
    assert.equal(video.codec_name, 'h264');
    assert.equal(video.pix_fmt, 'yuv420p');
    assert.deepEqual([video.width, video.height], [320, 180]);
    const duration = Number(info.format.duration);
    assert.ok(Math.abs(duration - 5) < 0.25, `duration ${duration}s, expected about 5s`);
  });
});
