/**
 * The HTTP layer over real sockets, with an in-memory PreviewService: status codes, error bodies,
 * headers, body limits, auth, artifact streaming and traversal attempts sent as raw paths
 * (http.request does not normalise `..` the way fetch/URL would).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import type { PreviewPayload, PreviewStatus } from '../../src/contract/payload.js';
import { closeHttpServer, createHttpServer } from '../../src/worker/http/server.js';
import {
  type PreviewService,
  QueueFullError,
  type QueueOverview,
  type ReadinessReport,
  type SubmitResult,
} from '../../src/worker/service-types.js';
import { send } from '../support/http-client.js';

const VALID = {
  jobId: 'job-1',
  projectId: 'proj',
  previewRequest: { title: 'T', steps: [{ title: 'one', text: 'x' }] },
};

class FakeService implements PreviewService {
  submitted: PreviewPayload[] = [];
  jobs = new Map<string, PreviewStatus>();
  dirs = new Map<string, string>();
  full = false;
  redisDown = false;
  ready: ReadinessReport = { ready: true, reasons: [] };

  async submit(payload: PreviewPayload): Promise<SubmitResult> {
    if (this.redisDown)
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    if (this.full) throw new QueueFullError(3, 3, 7);
    const existing = this.jobs.get(payload.jobId);
    if (existing) return { jobId: payload.jobId, state: existing.state, created: false };
    this.submitted.push(payload);
    this.jobs.set(payload.jobId, {
      jobId: payload.jobId,
      projectId: payload.projectId,
      state: 'queued',
      progress: 0,
      attemptsMade: 0,
      maxAttempts: 5,
      dryRun: payload.dryRun,
      artifacts: [],
    });
    return { jobId: payload.jobId, state: 'queued', created: true };
  }
  async status(jobId: string) {
    return this.jobs.get(jobId) ?? null;
  }
  async artifactDir(jobId: string) {
    return this.dirs.get(jobId) ?? null;
  }
  async overview(): Promise<QueueOverview> {
    if (this.redisDown) throw new Error('Connection is closed.');
    return {
      queue: 'q',
      counts: { waiting: 1, active: 0, delayed: 0, prioritized: 0, completed: 0, failed: 0, paused: 0 },
      backlog: 1,
      max: 10,
      workers: [],
      redis: {
        aofEnabled: true,
        lastRdbSaveAt: null,
        lastRdbSaveStatus: 'ok',
        maxmemoryPolicy: 'noeviction',
      },
    };
  }
  async readiness() {
    return this.ready;
  }
}

describe('HTTP server (fake service)', () => {
  let server: Server;
  let port: number;
  let service: FakeService;
  let shuttingDown = false;
  let apiToken: string | undefined;
  let root: string;
  const logLines: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'http-server-'));
    const jobDir = join(root, 'previews', 'proj', 'done-1');
    await mkdir(join(jobDir, 'frames'), { recursive: true });
    await writeFile(join(jobDir, 'contact-sheet.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    await writeFile(join(jobDir, 'frames', 'step-001.png'), Buffer.alloc(300_000, 7));
    await writeFile(join(jobDir, 'container.json'), '{"files":[]}');
    await writeFile(join(root, 'secret.txt'), 'TOP-SECRET');
    await symlink(join(root, 'secret.txt'), join(jobDir, 'link.txt'));
    service = new FakeService();
    const logStream = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    });
    server = createHttpServer({
      service,
      metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: async () => 'm_total 1\n' },
      logger: pino({ level: 'debug' }, logStream),
      get apiToken() {
        return apiToken;
      },
      maxBodyBytes: 64 * 1024,
      isShuttingDown: () => shuttingDown,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    service.dirs.set('done-1', jobDir);
    service.jobs.set('done-1', {
      jobId: 'done-1',
      projectId: 'proj',
      state: 'completed',
      progress: 100,
      attemptsMade: 1,
      maxAttempts: 5,
      dryRun: false,
      artifacts: [],
    });
  });

  after(async () => {
    await closeHttpServer(server, 100);
    await rm(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    shuttingDown = false;
    apiToken = undefined;
    service.full = false;
    service.redisDown = false;
    service.ready = { ready: true, reasons: [] };
  });

  test('/livez answers 200 with security headers', async () => {
    const r = await send(port, { path: '/livez' });
    assert.equal(r.status, 200);
    assert.equal(r.json().status, 'ok');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.ok(r.headers['x-request-id']);
  });

  test('/readyz follows the service and turns 503 once shutdown begins', async () => {
    assert.deepEqual((await send(port, { path: '/readyz' })).json(), { ready: true });
    service.ready = { ready: false, reasons: ['redis: connection refused'] };
    const notReady = await send(port, { path: '/readyz' });
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.json(), { ready: false, reasons: ['redis: connection refused'] });
    service.ready = { ready: true, reasons: [] };
    shuttingDown = true;
    const down = await send(port, { path: '/readyz' });
    assert.equal(down.status, 503);
    assert.equal(down.json().ready, false);
    assert.match(down.json().reasons[0], /shutdown/);
    assert.equal(down.headers.connection, 'close');
  });

  test('/metrics serves the registry text with its content type', async () => {
    const r = await send(port, { path: '/metrics' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(r.body.toString(), 'm_total 1\n');
  });

  test('unknown routes give 404 JSON and wrong methods 405 with Allow', async () => {
    const nf = await send(port, { path: '/nope' });
    assert.equal(nf.status, 404);
    assert.equal(nf.json().error, 'not_found');
    assert.equal(typeof nf.json().message, 'string');
    const na = await send(port, { method: 'DELETE', path: '/v1/previews/job-1' });
    assert.equal(na.status, 405);
    assert.equal(na.headers.allow, 'GET, HEAD');
    assert.equal(na.json().error, 'method_not_allowed');
    const getSubmit = await send(port, { path: '/v1/previews' });
    assert.equal(getSubmit.status, 405);
    assert.equal(getSubmit.headers.allow, 'POST');
  });

  test('POST /v1/previews: 202 then 200 for the same jobId', async () => {
    const headers = { 'Content-Type': 'application/json' };
    const body = JSON.stringify({ ...VALID, jobId: 'idem-1' });
    const first = await send(port, { method: 'POST', path: '/v1/previews', headers, body });
    assert.equal(first.status, 202);
    assert.deepEqual(first.json(), {
      jobId: 'idem-1',
      state: 'queued',
      created: true,
      statusUrl: '/v1/previews/idem-1',
    });
    assert.equal(first.headers.location, '/v1/previews/idem-1');
    const second = await send(port, { method: 'POST', path: '/v1/previews', headers, body });
    assert.equal(second.status, 200);
    assert.equal(second.json().created, false);
    assert.equal(service.submitted.filter((p) => p.jobId === 'idem-1').length, 1);
    // defaults were applied by the schema before the service saw the payload
    assert.equal(service.submitted.find((p) => p.jobId === 'idem-1')!.priority, 'normal');
  });

  test('POST /v1/previews: 415 for non-JSON, 400 for bad JSON and an empty body', async () => {
    const t = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    assert.equal(t.status, 415);
    assert.equal(t.json().error, 'unsupported_media_type');
    const none = await send(port, { method: 'POST', path: '/v1/previews', body: '{}' });
    assert.equal(none.status, 415);
    const bad = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: '{"jobId": ',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error, 'invalid_json');
    const empty = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(empty.status, 400);
    assert.equal(empty.json().error, 'invalid_json');
  });

  test('POST /v1/previews: 400 lists every schema problem with its path', async () => {
    const body = JSON.stringify({
      jobId: '../etc',
      projectId: '',
      extra: 1,
      previewRequest: {
        title: '',
        steps: [{ title: 'a', durationSec: 99 }],
        options: { resolution: '9999x1' },
      },
    });
    const r = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    assert.equal(r.status, 400);
    const json = r.json();
    assert.equal(json.error, 'invalid_payload');
    const paths = json.details.issues.map((i: { path: string }) => i.path);
    for (const p of [
      'jobId',
      'projectId',
      '(payload)',
      'previewRequest.title',
      'previewRequest.steps.0.durationSec',
      'previewRequest.options.resolution',
    ]) {
      assert.ok(paths.includes(p), `issue for ${p} in ${paths.join(', ')}`);
    }
    assert.match(json.message, /problems/);
  });

  test('POST /v1/previews: 413 for a declared or streamed body over the limit', async () => {
    const big = 'x'.repeat(200 * 1024);
    const declared = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(big.length) },
      body: big,
    });
    assert.equal(declared.status, 413);
    assert.equal(declared.json().error, 'payload_too_large');
    assert.equal(declared.json().details.limitBytes, 64 * 1024);
    // chunked: no Content-Length, so the limit is enforced while reading
    const chunked = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: [Buffer.alloc(40 * 1024, 'a'), Buffer.alloc(40 * 1024, 'a')],
    });
    assert.equal(chunked.status, 413);
    assert.equal(chunked.headers.connection, 'close');
    // the server is still healthy afterwards
    assert.equal((await send(port, { path: '/livez' })).status, 200);
  });

  test('Expect: 100-continue: an oversized body is refused before it is sent, a fitting one invited', async () => {
    const ask = (length: number) =>
      new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/previews',
            headers: {
              'Content-Type': 'application/json',
              'Content-Length': String(length),
              Expect: '100-continue',
            },
            agent: false,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
          },
        );
        req.on('continue', () => {
          continued = true;
          req.end('x'.repeat(length));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    assert.deepEqual(await ask(10 * 1024 * 1024), { status: 413, continued: false });
    assert.deepEqual(await ask(10), { status: 400, continued: true });
  });

  test('POST /v1/previews: 429 with Retry-After when the queue is full', async () => {
    service.full = true;
    const r = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...VALID, jobId: 'full-1' }),
    });
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '7');
    assert.equal(r.json().error, 'queue_full');
    assert.deepEqual(r.json().details, { backlog: 3, max: 3, retryAfterSeconds: 7 });
  });

  test('503 while shutting down and when Redis is down', async () => {
    const headers = { 'Content-Type': 'application/json' };
    shuttingDown = true;
    const sd = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers,
      body: JSON.stringify(VALID),
    });
    assert.equal(sd.status, 503);
    assert.equal(sd.json().error, 'shutting_down');
    shuttingDown = false;
    service.redisDown = true;
    const rd = await send(port, {
      method: 'POST',
      path: '/v1/previews',
      headers,
      body: JSON.stringify(VALID),
    });
    assert.equal(rd.status, 503);
    assert.equal(rd.json().error, 'redis_unavailable');
    assert.match(rd.json().message, /Redis/);
    const q = await send(port, { path: '/v1/queue' });
    assert.equal(q.status, 503);
  });

  test('bearer token: 401 with WWW-Authenticate on /v1 only', async () => {
    apiToken = 'tok-123456';
    const none = await send(port, { path: '/v1/queue' });
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="preview-worker"');
    assert.equal(none.json().error, 'unauthorized');
    const wrong = await send(port, { path: '/v1/queue', headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /invalid_token/);
    assert.ok(!wrong.body.toString().includes('tok-123456'));
    // the same token in X-Preview-Api-Token (the Kubernetes pod proxy strips Authorization)
    assert.equal(
      (await send(port, { path: '/v1/queue', headers: { 'X-Preview-Api-Token': 'tok-123456' } })).status,
      200,
    );
    assert.equal(
      (await send(port, { path: '/v1/queue', headers: { 'X-Preview-Api-Token': 'tok-12345' } })).status,
      401,
    );
    const ok = await send(port, { path: '/v1/queue', headers: { Authorization: 'Bearer tok-123456' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json().redis.aofEnabled, true);
    // probes never need the token
    assert.equal((await send(port, { path: '/livez' })).status, 200);
    assert.equal((await send(port, { path: '/metrics' })).status, 200);
  });

  test('GET /v1/previews/:jobId: the status, 404 unknown, 400 malformed id', async () => {
    const r = await send(port, { path: '/v1/previews/done-1' });
    assert.equal(r.status, 200);
    assert.equal(r.json().state, 'completed');
    assert.equal((await send(port, { path: '/v1/previews/unknown-9' })).status, 404);
    assert.equal((await send(port, { path: '/v1/previews/%2e%2e' })).status, 400);
    assert.equal((await send(port, { path: '/v1/previews/a%20b' })).status, 400);
  });

  test('artifact download streams the file with type and length', async () => {
    const sheet = await send(port, { path: '/v1/previews/done-1/artifacts/contact-sheet.png' });
    assert.equal(sheet.status, 200);
    assert.equal(sheet.headers['content-type'], 'image/png');
    assert.equal(sheet.headers['content-length'], '7');
    assert.deepEqual([...sheet.body], [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    assert.equal(sheet.headers['x-content-type-options'], 'nosniff');
    const frame = await send(port, { path: '/v1/previews/done-1/artifacts/frames/step-001.png' });
    assert.equal(frame.status, 200);
    assert.equal(frame.body.length, 300_000);
    assert.equal(frame.headers['content-length'], '300000');
    const json = await send(port, { path: '/v1/previews/done-1/artifacts/container.json' });
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    const head = await send(port, {
      method: 'HEAD',
      path: '/v1/previews/done-1/artifacts/contact-sheet.png',
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '7');
    assert.equal(head.body.length, 0);
  });

  test('artifact byte ranges: 206 with Content-Range, 416 past the end', async () => {
    const path = '/v1/previews/done-1/artifacts/contact-sheet.png';
    const full = await send(port, { path });
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const head = await send(port, { path, headers: { Range: 'bytes=0-3' } });
    assert.equal(head.status, 206);
    assert.equal(head.headers['content-range'], 'bytes 0-3/7');
    assert.equal(head.headers['content-length'], '4');
    assert.deepEqual([...head.body], [0x89, 0x50, 0x4e, 0x47]);
    const tail = await send(port, { path, headers: { Range: 'bytes=-2' } });
    assert.equal(tail.status, 206);
    assert.deepEqual([...tail.body], [2, 3]);
    const big = await send(port, {
      path: '/v1/previews/done-1/artifacts/frames/step-001.png',
      headers: { Range: 'bytes=299990-' },
    });
    assert.equal(big.status, 206);
    assert.equal(big.body.length, 10);
    const past = await send(port, { path, headers: { Range: 'bytes=7-' } });
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], 'bytes */7');
    assert.equal(past.json().error, 'range_not_satisfiable');
    const multi = await send(port, { path, headers: { Range: 'bytes=0-1,3-4' } });
    assert.equal(multi.status, 200);
    assert.equal(multi.body.length, 7);
  });

  test('artifact traversal attempts never return data from outside the job', async () => {
    const attempts: [string, number][] = [
      ['/v1/previews/done-1/artifacts/../../../secret.txt', 400],
      ['/v1/previews/done-1/artifacts/%2e%2e/%2e%2e/%2e%2e/secret.txt', 400],
      ['/v1/previews/done-1/artifacts/%2E%2E%2F%2E%2E%2Fsecret.txt', 400],
      ['/v1/previews/done-1/artifacts/..%5c..%5csecret.txt', 400],
      ['/v1/previews/done-1/artifacts/frames/..%2f..%2fsecret.txt', 400],
      ['/v1/previews/done-1/artifacts//etc/passwd', 400],
      ['/v1/previews/done-1/artifacts/contact-sheet.png%00.txt', 400],
      ['/v1/previews/done-1/artifacts/link.txt', 404],
      ['/v1/previews/done-1/artifacts/frames', 404],
      ['/v1/previews/done-1/artifacts/missing.png', 404],
      ['/v1/previews/%2e%2e/artifacts/secret.txt', 400],
      ['/v1/previews/unknown-9/artifacts/contact-sheet.png', 404],
    ];
    for (const [path, status] of attempts) {
      const r = await send(port, { path });
      assert.equal(r.status, status, path);
      assert.ok(!r.body.toString().includes('TOP-SECRET'), path);
      assert.match(String(r.headers['content-type']), /^application\/json/, path);
      assert.equal(typeof r.json().message, 'string');
    }
    // a raw backslash sent on the wire
    const bs = await send(port, { path: '/v1/previews/done-1/artifacts/..\\..\\secret.txt' });
    assert.equal(bs.status, 400);
  });

  test('request logs carry the route template, never the query, token or job id in the route', async () => {
    apiToken = 'tok-LOGCHECK';
    logLines.length = 0;
    await send(port, {
      path: '/v1/previews/done-1?api_key=QUERY-SECRET',
      headers: { Authorization: 'Bearer tok-LOGCHECK' },
    });
    await new Promise((r) => setTimeout(r, 20));
    const text = logLines.join('');
    assert.ok(!text.includes('QUERY-SECRET'));
    assert.ok(!text.includes('tok-LOGCHECK'));
    const entry = logLines.map((l) => JSON.parse(l)).find((e) => e.msg === 'http request');
    assert.equal(entry.route, '/v1/previews/:jobId');
    assert.equal(entry.method, 'GET');
    assert.equal(entry.status, 200);
    assert.equal(typeof entry.durationMs, 'number');
  });

  test('a malformed HTTP request gets a 400 and the server stays up', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await send(port, { path: '/livez' })).status, 200);
  });
});

describe('closeHttpServer', () => {
  test('closes idle keep-alive connections at once and resolves', async () => {
    const server = createHttpServer({
      service: new FakeService(),
      metrics: { contentType: 'text/plain', render: async () => '' },
      logger: pino({ level: 'silent' }),
      maxBodyBytes: 1024,
      isShuttingDown: () => false,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    // a keep-alive connection that stays open after its response
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    await new Promise<void>((resolve) => {
      socket.write('GET /livez HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      socket.once('data', () => resolve());
    });
    await closeHttpServer(server, 60_000);
    await closed;
    assert.equal(server.listening, false);
  });
});
