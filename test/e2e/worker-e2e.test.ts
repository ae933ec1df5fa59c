/**
 * The container's entry end to end: `node dist/worker/main.js` as a process on the shared Redis
 * (unique queue and key prefix), with a bearer token. The sample preview is submitted twice under
 * two job ids through HTTP; both complete, every artifact matches container.json, the two renders
 * are byte-identical, job log lines carry the documented fields and never the token, metrics count
 * the jobs, and SIGTERM exits 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort } from '../support/redis-server.js';
import { ensureWorkerBuilt, until } from '../support/worker-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN_JS = join(ROOT, 'dist', 'worker', 'main.js');
const SAMPLE_TEXT = readFileSync(join(ROOT, 'examples', 'sample-preview.json'), 'utf8');
const TOKEN = `e2e-token-${randomUUID()}`;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

describe('worker process end to end (dist/worker/main.js)', () => {
  const id = randomUUID().slice(0, 8);
  const prefix = `e2e-worker-${id}`;
  let dataDir: string;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let url: string;
  const auth = { Authorization: `Bearer ${TOKEN}` };

  before(async () => {
    ensureWorkerBuilt(MAIN_JS);
    dataDir = mkdtempSync(join(tmpdir(), 'mobius-worker-e2e-'));
    child = spawn(process.execPath, [MAIN_JS], {
      cwd: dataDir,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        REDIS_URL,
        PREVIEW_QUEUE_NAME: `e2e-q-${id}`,
        PREVIEW_REDIS_PREFIX: prefix,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        PREVIEW_API_TOKEN: TOKEN,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    url = await until(
      () => {
        if (child.exitCode !== null) throw new Error(`worker exited early:\n${stdout}\n${stderr}`);
        for (const line of stdout.split('\n')) {
          if (line.includes('"preview worker listening"')) return (JSON.parse(line) as { url: string }).url;
        }
        return null;
      },
      30_000,
      'the worker to listen',
    );
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function submit(jobId: string): Promise<Response> {
    const body = JSON.stringify({ ...JSON.parse(SAMPLE_TEXT), jobId });
    return fetch(`${url}/v1/previews`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body,
    });
  }

  async function waitCompleted(jobId: string) {
    return until(
      async () => {
        const res = await fetch(`${url}/v1/previews/${jobId}`, { headers: auth });
        const s = (await res.json()) as { state: string; failedReason?: string; artifacts: FileEntry[] };
        if (s.state === 'failed') throw new Error(`${jobId} failed: ${s.failedReason}`);
        return s.state === 'completed' ? s : null;
      },
      60_000,
      `${jobId} to complete`,
    );
  }

  async function download(jobId: string, path: string): Promise<Buffer> {
    const res = await fetch(`${url}/v1/previews/${jobId}/artifacts/${path}`, { headers: auth });
    assert.equal(res.status, 200, `${jobId} ${path}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    return bytes;
  }

  test('the sample renders twice to identical bytes, and every file matches container.json', async () => {
    assert.equal((await fetch(`${url}/v1/queue`)).status, 401, 'the token is required');
    const a = `e2e-a-${id}`;
    const b = `e2e-b-${id}`;
    assert.equal((await submit(a)).status, 202);
    assert.equal((await submit(b)).status, 202);
    assert.equal((await submit(a)).status, 200, 'a repeated jobId is not queued again');
    const [sa, sb] = await Promise.all([waitCompleted(a), waitCompleted(b)]);

    for (const [jobId, status] of [
      [a, sa],
      [b, sb],
    ] as const) {
      const manifest = JSON.parse((await download(jobId, 'container.json')).toString()) as {
        files: FileEntry[];
      };
      assert.deepEqual(status.artifacts, manifest.files);
      for (const f of manifest.files) {
        const bytes = await download(jobId, f.path);
        assert.equal(bytes.length, f.bytes, f.path);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, f.path);
      }
    }
    const pngs = (s: { artifacts: FileEntry[] }) =>
      Object.fromEntries(s.artifacts.filter((f) => f.path.endsWith('.png')).map((f) => [f.path, f.sha256]));
    assert.equal(Object.keys(pngs(sa)).length, 11, '10 frames and the contact sheet');
    assert.deepEqual(pngs(sa), pngs(sb), 'the same payload renders the same bytes');
  });

  test('job log lines carry jobId, projectId, attempt and duration, never the token', async () => {
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const jobLines = lines.filter((l) => typeof l.jobId === 'string' && String(l.jobId).startsWith('e2e-a-'));
    assert.ok(jobLines.length > 0, 'there are job log lines');
    const finished = jobLines.find((l) => typeof l.durationMs === 'number');
    assert.ok(finished, 'a job line with durationMs');
    assert.equal(finished.projectId, 'mobius-samples');
    assert.equal(typeof finished.attempt, 'number');
    assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), 'the token never appears in the logs');
    assert.ok(!stdout.includes('data:image/svg+xml'), 'the payload is never logged');
  });

  test('metrics count the completed jobs; SIGTERM exits 0', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /^preview_worker_jobs_total\{outcome="completed"\} 2$/m);
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null });
  });
});
