import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BufferedLineWriter } from '../../src/worker/log-destination.js';

const dir = mkdtempSync(join(tmpdir(), 'log-destination-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const LOGGER = new URL('../../src/worker/logger.ts', import.meta.url).href;

function fileWriter(name: string, opts: { maxChars?: number; maxDelayMs?: number } = {}) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const writer = new BufferedLineWriter({ fd, ...opts });
  return {
    writer,
    read: () => readFileSync(path, 'utf8'),
    close: () => {
      writer.end();
      closeSync(fd);
    },
  };
}

describe('BufferedLineWriter', () => {
  it('holds lines at most maxDelayMs, then writes them in order in one go', async () => {
    const f = fileWriter('delay.log', { maxDelayMs: 30 });
    f.writer.write('{"n":1}\n');
    f.writer.write('{"n":2}\n');
    assert.equal(f.read(), '', 'nothing written yet');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(f.read(), '{"n":1}\n{"n":2}\n');
    f.close();
  });

  it('writes at once when maxChars have gathered, and flushSync writes the rest', () => {
    const f = fileWriter('size.log', { maxChars: 20, maxDelayMs: 10_000 });
    f.writer.write('{"line":"aaaaaa"}\n'); // 18 characters: held
    assert.equal(f.read(), '');
    f.writer.write('{"line":"bbbbbb"}\n'); // 36: written
    assert.equal(f.read(), '{"line":"aaaaaa"}\n{"line":"bbbbbb"}\n');
    f.writer.write('{"line":"é"}\n');
    f.writer.flushSync();
    assert.equal(f.read(), '{"line":"aaaaaa"}\n{"line":"bbbbbb"}\n{"line":"é"}\n');
    f.close();
  });

  it('a process that calls process.exit() right after logging loses no line', () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(LOGGER)});
      const log = createLogger();
      for (let i = 0; i < 3; i++) log.info({ i }, 'line');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; msg: string });
    assert.deepEqual(
      lines.map((l) => l.i),
      [0, 1, 2],
    );
  });

  it('a reader that goes away (EPIPE) costs lines, never the process', async () => {
    const script = `
      const { BufferedLineWriter } = await import(${JSON.stringify(new URL('../../src/worker/log-destination.ts', import.meta.url).href)});
      const w = new BufferedLineWriter({ maxChars: 100 });
      const line = JSON.stringify({ pad: 'x'.repeat(200) }) + '\\n';
      for (let i = 0; i < 2000; i++) { w.write(line); await new Promise((r) => setImmediate(r)); }
      w.flushSync();
      process.stderr.write('dropped ' + w.dropped + '\\n');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 0, stderr);
    const dropped = Number(/dropped (\d+)/.exec(stderr)?.[1]);
    assert.ok(dropped > 0, `lines were dropped after the reader left: ${stderr}`);
  });
});
