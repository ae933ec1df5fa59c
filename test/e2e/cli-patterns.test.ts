// End-to-end: the BUILT `mobius-deploy patterns` on files, a gzip file and standard input.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ensureBuilt, runCli } from '../support/cli.js';

const T0 = Date.UTC(2026, 10, 26, 19, 40, 0);

function pino(level: number, offsetMs: number, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, time: T0 + offsetMs, pid: 1, hostname: 'h', msg, ...fields });
}

/** A small mixed log: pino JSON lines and plain lines, 9 lines, 5 templates. */
const LINES = [
  pino(30, 0, 'job started', { jobId: 'job-1' }),
  pino(50, 1000, 'job failed', {
    jobId: 'job-1',
    err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.1:6379' },
  }),
  'proxy.example.com:5070 open through proxy gw.example.com:8080 HTTPS',
  '10.0.0.7:443 open through proxy gw.example.com:8080 HTTPS',
  pino(30, 2000, 'job started', { jobId: 'job-2' }),
  pino(50, 3000, 'job failed', {
    jobId: 'job-2',
    err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.2:6379' },
  }),
  'Ending TrustedInstaller initialization.',
  'Ending TrustedInstaller finalization.',
  '',
];

interface Data {
  sources: string[];
  linesRead: number;
  linesMined: number;
  errorLines: number;
  templates: Array<{
    id: number;
    template: string;
    level: string;
    count: number;
    firstSeen?: string;
    lastSeen?: string;
    pods: Record<string, number>;
    example: string;
  }>;
  dropped: { templates: number; lines: number };
}

describe('mobius-deploy patterns (e2e)', () => {
  let dir: string;
  let plain: string;
  let gz: string;

  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'patterns-e2e-'));
    plain = join(dir, 'incident.log');
    gz = join(dir, 'rotated.1');
    writeFileSync(plain, `${LINES.join('\n')}\n`);
    // gzip told by its magic bytes, not its name
    writeFileSync(gz, gzipSync(Buffer.from(LINES.join('\r\n'))));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('mines a file: templates error-level first, with counts, times, and the one-word difference kept', async () => {
    const r = await runCli(['patterns', plain]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Log patterns of .*incident\.log: 8 lines, 5 templates, 1 at error level \(2 error lines\)\./,
    );
    const rows = r.stdout.split('\n').filter((l) => /^(ERROR|INFO|UNKNOWN)\s/.test(l));
    assert.equal(rows.length, 5, r.stdout);
    assert.match(
      rows[0],
      /^ERROR\s+2\s+19:40:01\s+19:40:03\s+job failed jobId=<ID> err=Error: connect ECONNREFUSED <IP>$/,
    );
    assert.ok(
      rows.some((l) => /^UNKNOWN\s+2\s+-\s+-\s+<\*> open through proxy <ID> HTTPS$/.test(l)),
      r.stdout,
    );
    assert.ok(rows.some((l) => /Ending TrustedInstaller initialization\.$/.test(l)));
    assert.ok(rows.some((l) => /Ending TrustedInstaller finalization\.$/.test(l)));
  });

  it('reads gzip (by content) and standard input to the same templates as the plain file', async () => {
    const fromFile = JSON.parse((await runCli(['patterns', plain, '-o', 'json'])).stdout) as Data;
    const fromGz = await runCli(['patterns', gz, '-o', 'json']);
    assert.equal(fromGz.code, 0, fromGz.stderr);
    const fromStdin = await runCli(['patterns', '-', '-o', 'json'], { input: `${LINES.join('\n')}\n` });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const noArgs = await runCli(['patterns', '-o', 'yaml', '--top', '1'], { input: `${LINES.join('\n')}\n` });
    assert.equal(noArgs.code, 0, noArgs.stderr);
    assert.match(noArgs.stdout, /template: "job failed jobId=<ID> err=Error: connect ECONNREFUSED <IP>"/);
    const shape = (d: Data) => d.templates.map((t) => [t.template, t.level, t.count]);
    for (const other of [JSON.parse(fromGz.stdout) as Data, JSON.parse(fromStdin.stdout) as Data]) {
      assert.deepEqual(shape(other), shape(fromFile));
      assert.equal(other.linesMined, 8);
    }
    assert.deepEqual(fromFile.dropped, { templates: 0, lines: 0 });
    assert.equal(fromFile.templates[0].example, LINES[1]);
  });

  it('--top keeps the first n; several files get a files column', async () => {
    const r = await runCli(['patterns', plain, gz, '--top', '2']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^(ERROR|INFO|UNKNOWN)\s/.test(l));
    assert.equal(rows.length, 2);
    assert.match(r.stdout, /FILES/);
    assert.match(rows[0], /incident\.log:2 .*rotated\.1:2/);
  });

  it('--assign writes one JSON line per input line with its template id', async () => {
    const out = join(dir, 'assign.ndjson');
    const r = await runCli(['patterns', plain, '--assign', out, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout) as Data;
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, LINES.length);
    assert.deepEqual(rows[0], { source: plain, line: 1, template: rows[0].template });
    const byId = new Map(data.templates.map((t) => [t.id, t.template]));
    assert.equal(byId.get(rows[1].template), 'job failed jobId=<ID> err=Error: connect ECONNREFUSED <IP>');
    assert.equal(rows[1].template, rows[5].template);
    assert.equal(rows[2].template, rows[3].template);
    assert.notEqual(rows[6].template, rows[7].template);
    assert.equal(rows[8].template, null, 'an empty line has no template');
    const toStdout = await runCli(['patterns', '-', '--assign', '-'], { input: 'a b\nc d\n' });
    assert.equal(toStdout.code, 0, toStdout.stderr);
    assert.deepEqual(
      toStdout.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).line),
      [1, 2],
    );
    // Thousands of lines (past the first block of ids): each keeps its own template, in order.
    const many = Array.from({ length: 3001 }, (_, i) =>
      i % 3 === 0 ? `cache miss for key k${i} after ${i} ms` : `render done for job ${i}`,
    );
    const big = await runCli(['patterns', '-', '--assign', '-'], { input: `${many.join('\n')}\n` });
    assert.equal(big.code, 0, big.stderr);
    const assigned = big.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; template: number });
    assert.equal(assigned.length, 3001);
    assert.deepEqual(
      assigned.map((a) => a.line),
      many.map((_, i) => i + 1),
    );
    assert.equal(new Set(assigned.map((a) => a.template)).size, 2);
    assert.ok(assigned.every((a, i) => a.template === assigned[i % 3].template));
  });

  it('--fail-on-errors exits 1 when error lines were mined', async () => {
    const r = await runCli(['patterns', plain, '--fail-on-errors']);
    assert.equal(r.code, 1);
    const clean = await runCli(['patterns', '-', '--fail-on-errors'], { input: 'all good here\n' });
    assert.equal(clean.code, 0, clean.stderr);
  });

  it('plain text lines take the level word they start with: ERROR lines rank first and fail --fail-on-errors', async () => {
    const input = [
      '2026-12-04 10:00:00,101 INFO [main] render started for job 17',
      '2026-12-04 10:00:00,202 ERROR [main] render failed for job 17: ffmpeg exited 1',
      '2026-12-04 10:00:01,303 INFO [main] render started for job 18',
      '2026-12-04 10:00:01,404 ERROR [main] render failed for job 18: ffmpeg exited 1',
      'the error page was served to 10.0.0.1',
      '',
    ].join('\n');
    const r = await runCli(['patterns', '-', '--fail-on-errors'], { input });
    assert.equal(r.code, 1, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^(ERROR|INFO|UNKNOWN)\s/.test(l));
    assert.equal(rows.length, 3);
    assert.match(
      rows[0],
      /^ERROR\s+2\s+-\s+-\s+<TS> <TS> ERROR \[main\] render failed for job <NUM>: ffmpeg exited <NUM>$/,
    );
    assert.match(rows[1], /^INFO\s+2\s/);
    assert.match(rows[2], /^UNKNOWN\s+1\s.*the error page was served to <IP>$/);
    assert.match(r.stdout, /1 at error level \(2 error lines\)/);
  });

  it('a missing or unreadable file exits 2 naming it', async () => {
    const missing = join(dir, 'nope.log');
    const r = await runCli(['patterns', plain, missing]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.log: no such file/);
    assert.equal(r.stdout, '');
    const d = await runCli(['patterns', dir]);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /is a directory/);
  });

  it('--help has examples', async () => {
    const r = await runCli(['patterns', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n {2}mobius-deploy patterns incident\.log/);
    assert.match(r.stdout, /--assign <file>/);
  });
});
