import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  artifactContentType,
  isInside,
  openArtifact,
  parseArtifactPath,
} from '../../src/worker/http/artifact-path.js';

describe('parseArtifactPath', () => {
  test('accepts the artifact names the renderer writes', () => {
    for (const [raw, segments] of [
      ['contact-sheet.png', ['contact-sheet.png']],
      ['container.json', ['container.json']],
      ['preview.json', ['preview.json']],
      ['preview.mp4', ['preview.mp4']],
      ['frames/step-001.png', ['frames', 'step-001.png']],
      ['frames/step-100.png', ['frames', 'step-100.png']],
      ['a_b/c-d/e.f.g', ['a_b', 'c-d', 'e.f.g']],
      // percent-encoding of safe characters is decoded once
      ['frames/step%2D001.png', ['frames', 'step-001.png']],
    ] as const) {
      const result = parseArtifactPath(raw);
      assert.deepEqual(result, { ok: true, segments: [...segments] }, raw);
    }
  });

  const attacks = [
    '',
    '..',
    '.',
    '../x',
    '../../etc/passwd',
    'frames/../../x',
    'frames/..',
    'frames/./step-001.png',
    './contact-sheet.png',
    '%2e%2e',
    '%2E%2E/secret',
    '.%2e/x',
    '%2e./x',
    'frames/%2e%2e/%2e%2e/x',
    '%252e%252e/x', // double-encoded: decodes once to "%2e%2e", whose '%' is not allowed
    '..%2fetc%2fpasswd',
    '..%2Fx',
    'frames%2f..%2f..%2fx',
    '/etc/passwd',
    '//etc/passwd',
    'frames//step-001.png',
    'frames/',
    '..\\x',
    'frames\\..\\..\\x',
    '..%5cx',
    '..%5Cx',
    'contact-sheet.png%00.json',
    'contact-sheet.png\u0000',
    'a%0ab',
    'a%0d%0aSet-Cookie:x',
    '.hidden',
    'frames/.tmp',
    '%',
    '%zz',
    '%e0%a4%a',
    'caf%C3%A9.png',
    'C:/windows/win.ini',
    'C:%5cwindows',
    'a b',
    'a%20b',
    'x'.repeat(513),
    `${'x'.repeat(129)}`,
    Array.from({ length: 9 }, () => 'd').join('/'),
    '~/x',
    '$HOME',
    'frames/*',
    'a?b',
  ];

  for (const raw of attacks) {
    test(`rejects ${JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw)}`, () => {
      const result = parseArtifactPath(raw);
      assert.equal(result.ok, false);
      if (!result.ok) assert.ok(result.reason.length > 10, 'a reason is given');
    });
  }

  test('every accepted segment is a plain name (no separators, not . or ..)', () => {
    const samples = ['a', 'a.b', 'frames/x.png', '%41', 'A-Z_0.9'];
    for (const raw of samples) {
      const result = parseArtifactPath(raw);
      assert.ok(result.ok, raw);
      if (result.ok) {
        for (const seg of result.segments) {
          assert.ok(!seg.includes('/') && !seg.includes('\\') && seg !== '.' && seg !== '..');
        }
      }
    }
  });
});

describe('artifactContentType', () => {
  test('maps the artifact extensions', () => {
    assert.equal(artifactContentType('contact-sheet.png'), 'image/png');
    assert.equal(artifactContentType('frames/STEP-001.PNG'), 'image/png');
    assert.equal(artifactContentType('container.json'), 'application/json; charset=utf-8');
    assert.equal(artifactContentType('preview.mp4'), 'video/mp4');
    assert.equal(artifactContentType('x.jpeg'), 'image/jpeg');
    assert.equal(artifactContentType('x.bin'), 'application/octet-stream');
    assert.equal(artifactContentType('noext'), 'application/octet-stream');
  });
});

describe('isInside', () => {
  test('compares whole path components', () => {
    assert.equal(isInside('/data/p/job', '/data/p/job/a.png'), true);
    assert.equal(isInside('/data/p/job', '/data/p/job'), true);
    assert.equal(isInside('/data/p/job', '/data/p/job2/a.png'), false);
    assert.equal(isInside('/data/p/job', '/data/p'), false);
    assert.equal(isInside('/data/p/job/', '/data/p/job/x'), true);
  });
});

describe('openArtifact', () => {
  let root: string;
  let jobDir: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'http-artifact-'));
    jobDir = join(root, 'previews', 'proj', 'job-1');
    await mkdir(join(jobDir, 'frames'), { recursive: true });
    await writeFile(join(jobDir, 'contact-sheet.png'), Buffer.from('png-bytes'));
    await writeFile(join(jobDir, 'frames', 'step-001.png'), Buffer.from('frame-1'));
    await writeFile(join(jobDir, 'empty.json'), '');
    // a sibling job and a secret outside the job directory
    await mkdir(join(root, 'previews', 'proj', 'job-10'), { recursive: true });
    await writeFile(join(root, 'previews', 'proj', 'job-10', 'contact-sheet.png'), 'other job');
    await writeFile(join(root, 'secret.txt'), 'top secret');
    // symlinks: one escaping to a file, one escaping to a directory, one staying inside
    await symlink(join(root, 'secret.txt'), join(jobDir, 'escape.txt'));
    await symlink(root, join(jobDir, 'escape-dir'));
    await symlink(join(root, 'previews', 'proj', 'job-10'), join(jobDir, 'sibling'));
    await symlink(join(jobDir, 'contact-sheet.png'), join(jobDir, 'alias.png'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function read(segments: string[]) {
    const result = await openArtifact(jobDir, segments);
    if (!result.ok) return result;
    try {
      const bytes = await result.artifact.handle.readFile();
      return {
        ok: true as const,
        bytes: bytes.toString(),
        size: result.artifact.size,
        type: result.artifact.contentType,
      };
    } finally {
      await result.artifact.handle.close();
    }
  }

  test('opens a file in the job directory with its size and type', async () => {
    assert.deepEqual(await read(['contact-sheet.png']), {
      ok: true,
      bytes: 'png-bytes',
      size: 9,
      type: 'image/png',
    });
    assert.deepEqual(await read(['frames', 'step-001.png']), {
      ok: true,
      bytes: 'frame-1',
      size: 7,
      type: 'image/png',
    });
    assert.deepEqual(await read(['empty.json']), {
      ok: true,
      bytes: '',
      size: 0,
      type: 'application/json; charset=utf-8',
    });
  });

  test('follows a symlink that stays inside the job directory', async () => {
    const result = await read(['alias.png']);
    assert.equal(result.ok, true);
  });

  test('refuses symlinks that resolve outside the job directory', async () => {
    assert.equal((await read(['escape.txt'])).ok, false);
    assert.equal((await read(['escape-dir', 'secret.txt'])).ok, false);
    assert.equal((await read(['sibling', 'contact-sheet.png'])).ok, false);
  });

  test('never opens a directory (no listing)', async () => {
    assert.equal((await read(['frames'])).ok, false);
  });

  test('missing files and a missing job directory are refused', async () => {
    assert.equal((await read(['nope.png'])).ok, false);
    assert.equal((await openArtifact(join(root, 'no-such-job'), ['contact-sheet.png'])).ok, false);
  });

  test('even unchecked segments cannot leave the directory', async () => {
    // openArtifact is always given parseArtifactPath's output, but it checks containment itself too.
    assert.equal((await read(['..', '..', '..', 'secret.txt'])).ok, false);
    assert.equal((await read(['..', 'job-10', 'contact-sheet.png'])).ok, false);
    assert.equal((await read([root, 'secret.txt'])).ok, false);
  });
});
