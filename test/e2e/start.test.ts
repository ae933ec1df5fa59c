/**
 * `npm start` end to end: the compiled entry (dist/worker/start.js, built here when missing or
 * older than src/worker) runs as a process in a temporary directory without REDIS_URL, starts its
 * private redis-server, renders the bundled sample submitted over HTTP, serves the artifacts
 * (checked against container.json), and stops worker and Redis on SIGINT. Also: the printed curl
 * command works as pasted, the append-only file keeps jobs across a restart, a second start in the
 * same directory is refused, a REDIS_URL password is never printed, and without redis-server on
 * PATH the message says how to install it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { findOnPath } from '../../src/worker/find-on-path.js';
import { isAlive } from '../../src/worker/process-alive.js';
import { displayPath, shellQuote } from '../../src/worker/shell-text.js';
import { REDIS_INSTALL_HELP, tryItCommand } from '../../src/worker/start.js';
import { TEST_REDIS_URL } from '../support/queue-harness.js';
import { freePort } from '../support/redis-server.js';
import { requireTool } from '../support/tools.js';
import { ensureWorkerBuilt, until } from '../support/worker-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_JS = join(ROOT, 'dist', 'worker', 'start.js');
const SAMPLE = JSON.parse(readFileSync(join(ROOT, 'examples', 'sample-preview.json'), 'utf8')) as {
  jobId: string;
  projectId: string;
  previewRequest: { steps: unknown[] };
};
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
/** Every private redis-server seen, so a failed test still leaves none behind. */
const redisPids = new Set<number>();

function baseEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['REDIS_URL', 'DATA_DIR', 'PREVIEW_API_TOKEN', 'HOST', 'PORT', 'NODE_ENV'])
    delete env[name];
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function startProcess(cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [START_JS], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForBanner(p: Started): Promise<{ url: string; redisPid?: number }> {
  const url = await until(
    () => {
      if (p.child.exitCode !== null) {
        throw new Error(`start exited early (${p.child.exitCode}):\n${p.stdout()}\n${p.stderr()}`);
      }
      return /^ {2}API {8}(http:\/\/\S+)$/m.exec(p.stdout())?.[1];
    },
    60_000,
    'the API URL on stdout',
  );
  const pid = /\(pid (\d+)\)/.exec(p.stdout())?.[1];
  if (pid) redisPids.add(Number(pid));
  return { url, redisPid: pid ? Number(pid) : undefined };
}

// biome-ignore lint/suspicious/noExplicitAny: replies are JSON inspected field by field
async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('npm start (dist/worker/start.js)', () => {
  before(() => ensureWorkerBuilt(START_JS));

  after(() => {
    for (const child of running) child.kill('SIGKILL');
    for (const pid of redisPids) if (isAlive(pid)) process.kill(pid, 'SIGTERM');
  });

  test('without REDIS_URL: private Redis, sample renders, artifacts match container.json, Ctrl-C stops both', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mobius-start-'));
    try {
      const port = await freePort();
      const env = baseEnv({ PORT: String(port) });
      const p = startProcess(cwd, env);
      const { url, redisPid } = await waitForBanner(p);
      assert.equal(url, `http://127.0.0.1:${port}`);
      assert.ok(redisPid && isAlive(redisPid), 'the private redis-server runs');
      const banner = p.stdout();
      assert.match(
        banner,
        new RegExp(`Artifacts {2}${cwd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/data/previews/`),
      );
      assert.match(banner, /append-only file on/);
      assert.match(banner, /--data-binary @\S*examples\/sample-preview\.json/);
      assert.ok(existsSync(join(cwd, '.mobius', 'redis', 'embedded.json')));

      // submit the sample over HTTP
      const submit = await fetch(`${url}/v1/previews`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: readFileSync(join(ROOT, 'examples', 'sample-preview.json')),
      });
      assert.equal(submit.status, 202);
      assert.deepEqual(await submit.json(), {
        jobId: SAMPLE.jobId,
        state: 'queued',
        created: true,
        statusUrl: `/v1/previews/${SAMPLE.jobId}`,
      });
      const status = await until(
        async () => {
          const s = await getJson(`${url}/v1/previews/${SAMPLE.jobId}`);
          if (s.body.state === 'failed') throw new Error(`render failed: ${s.body.failedReason}`);
          return s.body.state === 'completed' ? s.body : null;
        },
        60_000,
        'the sample job to complete',
      );
      assert.equal(status.progress, 100);

      // the contact sheet is a PNG
      const sheet = await fetch(`${url}/v1/previews/${SAMPLE.jobId}/artifacts/contact-sheet.png`);
      assert.equal(sheet.status, 200);
      assert.equal(sheet.headers.get('content-type'), 'image/png');
      const sheetBytes = Buffer.from(await sheet.arrayBuffer());
      assert.equal(Number(sheet.headers.get('content-length')), sheetBytes.length);
      assert.deepEqual(sheetBytes.subarray(0, 8), PNG_SIGNATURE);

      // every file in container.json downloads with its listed size and sha256
      const manifest = (await getJson(`${url}/v1/previews/${SAMPLE.jobId}/artifacts/container.json`))
        .body as {
        files: { path: string; bytes: number; sha256: string }[];
      };
      const paths = manifest.files.map((f) => f.path);
      assert.ok(paths.includes('contact-sheet.png'));
      assert.ok(paths.includes('preview.json'));
      assert.equal(paths.filter((f) => f.startsWith('frames/')).length, SAMPLE.previewRequest.steps.length);
      for (const file of manifest.files) {
        const res = await fetch(`${url}/v1/previews/${SAMPLE.jobId}/artifacts/${file.path}`);
        assert.equal(res.status, 200, file.path);
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(bytes.length, file.bytes, file.path);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), file.sha256, file.path);
      }
      assert.deepEqual(status.artifacts, manifest.files);
      // on disk under ./data in the working directory
      assert.ok(
        existsSync(join(cwd, 'data', 'previews', SAMPLE.projectId, SAMPLE.jobId, 'contact-sheet.png')),
      );

      // the printed command works as pasted (the job exists now, so it answers 200 and downloads)
      const command = banner
        .split('\n')
        .filter((l) => l.startsWith('  curl ') || l.startsWith('    && '))
        .map((l) => l.slice(2))
        .join('\n');
      assert.match(command, /^curl /);
      requireTool('curl');
      const pasted = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8', timeout: 60_000 });
      assert.equal(pasted.status, 0, pasted.stderr);
      assert.match(pasted.stdout, /Saved contact-sheet\.png/);
      assert.match(pasted.stdout, /"state":"completed"/);
      assert.deepEqual(readFileSync(join(cwd, 'contact-sheet.png')), sheetBytes);

      // a second start in the same directory is refused while this one runs
      const second = startProcess(cwd, baseEnv({ PORT: String(await freePort()) }));
      const secondExit = await second.exited;
      assert.equal(secondExit.code, 1);
      assert.match(second.stderr(), /already running/);

      // Ctrl-C: the worker stops, then Redis, and the process exits 0
      p.child.kill('SIGINT');
      const exit = await p.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, p.stderr());
      assert.match(p.stdout(), /Stopped\./);
      await until(() => !isAlive(redisPid!), 10_000, 'the redis-server child to exit');
      assert.ok(!existsSync(join(cwd, '.mobius', 'redis', 'embedded.json')));
      assert.ok(
        existsSync(join(cwd, '.mobius', 'redis', 'appendonlydir')),
        'the append-only file is on disk',
      );

      // a restart finds the job again (append-only file): the same submit answers 200 completed
      const again = startProcess(cwd, baseEnv({ PORT: String(await freePort()) }));
      const { url: url2, redisPid: redisPid2 } = await waitForBanner(again);
      const resubmit = await fetch(`${url2}/v1/previews`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: readFileSync(join(ROOT, 'examples', 'sample-preview.json')),
      });
      assert.equal(resubmit.status, 200);
      assert.equal(((await resubmit.json()) as { state: string }).state, 'completed');
      again.child.kill('SIGTERM');
      assert.deepEqual(await again.exited, { code: 0, signal: null });
      await until(() => !isAlive(redisPid2!), 10_000, 'the second redis-server to exit');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('a private Redis orphaned by a hard-killed run is shut down by the next start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mobius-start-orphan-'));
    try {
      const first = startProcess(cwd, baseEnv({ PORT: String(await freePort()) }));
      const { redisPid: orphanPid } = await waitForBanner(first);
      first.child.kill('SIGKILL');
      await first.exited;
      assert.ok(orphanPid && isAlive(orphanPid), 'redis-server outlives a SIGKILLed parent');

      const second = startProcess(cwd, baseEnv({ PORT: String(await freePort()) }));
      const { url, redisPid } = await waitForBanner(second);
      assert.ok(!isAlive(orphanPid), 'the orphan was shut down');
      assert.notEqual(redisPid, orphanPid);
      assert.equal((await getJson(`${url}/readyz`)).status, 200);
      second.child.kill('SIGINT');
      assert.deepEqual(await second.exited, { code: 0, signal: null });
      await until(() => !isAlive(redisPid!), 10_000, 'the redis-server child to exit');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('without REDIS_URL and without redis-server on PATH: exits 1 saying how to install Redis', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mobius-start-nopath-'));
    const emptyBin = mkdtempSync(join(tmpdir(), 'mobius-empty-bin-'));
    try {
      const p = startProcess(cwd, baseEnv({ PATH: emptyBin, PORT: String(await freePort()) }));
      const exit = await p.exited;
      assert.equal(exit.code, 1);
      const err = p.stderr();
      assert.match(err, /no redis-server was found on PATH/);
      assert.match(err, /apt-get install redis-server/);
      assert.match(err, /brew install redis/);
      assert.match(err, /REDIS_URL=redis:\/\//);
      assert.ok(!/\n\s+at /.test(err), 'no stack trace');
      assert.ok(!existsSync(join(cwd, '.mobius')), 'nothing was started');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      rmSync(emptyBin, { recursive: true, force: true });
    }
  });

  test('with REDIS_URL: runs against it, starts no Redis, never prints the password', async () => {
    // the suite's Redis (npm test chooses it), reached with a password it ignores
    const suite = new URL(TEST_REDIS_URL);
    const hostPort = `${suite.hostname}:${suite.port || 6379}`;
    const redisCheck = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redisCheck.connect();
    const cwd = mkdtempSync(join(tmpdir(), 'mobius-start-url-'));
    const id = randomUUID().slice(0, 8);
    const prefix = `e2e-start-${id}`;
    try {
      const p = startProcess(
        cwd,
        baseEnv({
          REDIS_URL: `redis://:Hunter2-Sup3r-Secret@${hostPort}/0`,
          PREVIEW_QUEUE_NAME: `e2e-start-q-${id}`,
          PREVIEW_REDIS_PREFIX: prefix,
          PORT: String(await freePort()),
          // PATH without redis-server proves no private one is needed
          PATH: [
            '/nonexistent',
            ...(process.env.PATH ?? '').split(delimiter).filter((d) => !existsSync(join(d, 'redis-server'))),
          ].join(delimiter),
        }),
      );
      const { url, redisPid } = await waitForBanner(p);
      assert.equal(redisPid, undefined);
      assert.ok(p.stdout().includes(`Redis      redis://:***@${hostPort}/0`), p.stdout());
      assert.equal((await fetch(`${url}/livez`)).status, 200);
      assert.equal((await getJson(`${url}/readyz`)).status, 200);
      p.child.kill('SIGTERM');
      assert.deepEqual(await p.exited, { code: 0, signal: null });
      const everything = p.stdout() + p.stderr();
      assert.ok(!everything.includes('Hunter2-Sup3r-Secret'), 'the password never appears');
      assert.ok(!existsSync(join(cwd, '.mobius')), 'no private Redis directory');
    } finally {
      const keys = await redisCheck.keys(`${prefix}:*`);
      if (keys.length) await redisCheck.del(...keys);
      redisCheck.disconnect();
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('start.ts helpers', () => {
  test('the pasted command references the token by variable, never by value', () => {
    const command = tryItCommand({
      apiUrl: 'http://127.0.0.1:3000',
      samplePath: 'examples/sample-preview.json',
      jobId: 'sample-tutorial-001',
      tokenRequired: true,
    });
    const lines = command.split('\n').filter((l) => l.includes('curl '));
    assert.equal(lines.length, 3);
    for (const line of lines) assert.ok(line.includes('-H "Authorization: Bearer $PREVIEW_API_TOKEN"'), line);
    assert.match(
      command,
      /--data-binary @examples\/sample-preview\.json http:\/\/127\.0\.0\.1:3000\/v1\/previews/,
    );
    assert.match(command, /\/v1\/previews\/sample-tutorial-001\/artifacts\/contact-sheet\.png/);
    const open = tryItCommand({
      apiUrl: 'http://127.0.0.1:3000',
      samplePath: 'examples/sample-preview.json',
      jobId: 'x',
      tokenRequired: false,
    });
    assert.ok(!open.includes('Authorization'));
  });

  test('paths with spaces or quotes are shell-quoted in the printed command', () => {
    assert.equal(shellQuote('examples/sample-preview.json'), 'examples/sample-preview.json');
    assert.equal(shellQuote('/home/a b/x.json'), "'/home/a b/x.json'");
    assert.equal(shellQuote("/tmp/it's.json"), "'/tmp/it'\\''s.json'");
    assert.equal(shellQuote('/tmp/$(rm -rf x).json'), "'/tmp/$(rm -rf x).json'");
  });

  test('displayPath is relative inside the working directory, absolute outside', () => {
    assert.equal(displayPath('/repo/examples/s.json', '/repo'), 'examples/s.json');
    assert.equal(displayPath('/repo/examples/s.json', '/tmp/elsewhere'), '/repo/examples/s.json');
    assert.equal(displayPath('/repo2/x', '/repo'), '/repo2/x');
  });

  test('findOnPath finds only executables, in PATH order', () => {
    const a = mkdtempSync(join(tmpdir(), 'mobius-path-a-'));
    const b = mkdtempSync(join(tmpdir(), 'mobius-path-b-'));
    try {
      writeFileSync(join(a, 'redis-server'), 'not executable');
      writeFileSync(join(b, 'redis-server'), '#!/bin/sh\n', { mode: 0o755 });
      assert.equal(findOnPath('redis-server', [a, b].join(delimiter)), join(b, 'redis-server'));
      assert.equal(findOnPath('redis-server', a), null);
      assert.equal(findOnPath('redis-server', ''), null);
      assert.equal(findOnPath('redis-server', undefined), null);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  test('the install help names both package managers and REDIS_URL', () => {
    assert.match(REDIS_INSTALL_HELP, /apt-get install redis-server/);
    assert.match(REDIS_INSTALL_HELP, /brew install redis/);
    assert.match(REDIS_INSTALL_HELP, /REDIS_URL=/);
  });
});
