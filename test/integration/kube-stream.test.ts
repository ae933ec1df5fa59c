import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { KubeClients } from '../../src/deploy/kube/client.js';
import { KubeApiError, parseStatusBody } from '../../src/deploy/kube/errors.js';
import { resolveKubeConfig } from '../../src/deploy/kube/kubeconfig.js';
import { streamPodLog, watchCollection } from '../../src/deploy/kube/log-stream.js';

// Streams open their request through KubeClients.streamRequest: same server path prefix,
// credentials and headers as the JSON transport.
describe('log streams over KubeClients.streamRequest', () => {
  let dir: string;
  let server: http.Server;
  let clients: KubeClients;
  const seen: Array<{ url: string; auth?: string; impersonate?: string; accept?: string }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({
        url: req.url ?? '',
        auth: req.headers.authorization,
        impersonate: req.headers['impersonate-user'] as string | undefined,
        accept: req.headers.accept,
      });
      if (req.url?.includes('/pods/forbidden/log')) {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', message: 'pods "forbidden" is forbidden', code: 403 }));
        return;
      }
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"n":1}}\n\nnot json\n');
        res.end('{"type":"DELETED","object":{"n":2}}\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first line\nsec');
      setTimeout(() => res.end('ond line\nlast without newline'), 10);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'mobius-kube-stream-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      `current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:${port}/prefix/"}}]
users: [{name: u, user: {token: stream-token, as: alice}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
    );
    clients = new KubeClients(
      resolveKubeConfig(
        { kubeconfig, homeDir: join(dir, 'home'), serviceAccountDir: join(dir, 'no-sa') },
        parse,
      ),
    );
  });

  after(async () => {
    clients.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a container log line by line with the kubeconfig credentials', async () => {
    const lines: string[] = [];
    const end = await streamPodLog(
      clients,
      'ns',
      'pod-a',
      { container: 'worker', follow: true, tailLines: 5 },
      (l) => lines.push(l),
    );
    assert.deepEqual(end, { reason: 'eof' });
    assert.deepEqual(lines, ['first line', 'second line', 'last without newline']);
    const req = seen.at(-1);
    assert.equal(
      req?.url,
      '/prefix/api/v1/namespaces/ns/pods/pod-a/log?container=worker&follow=true&tailLines=5',
    );
    assert.equal(req?.auth, 'Bearer stream-token');
    assert.equal(req?.impersonate, 'alice');
    assert.equal(req?.accept, '*/*');
  });

  it('rejects a non-2xx answer with KubeApiError carrying the Status', async () => {
    await assert.rejects(
      streamPodLog(clients, 'ns', 'forbidden', {}, () => {}),
      (err: unknown) =>
        err instanceof KubeApiError && err.statusCode === 403 && /forbidden/.test(err.message),
    );
  });

  it('parses watch events and skips blank and broken lines', async () => {
    const events: unknown[] = [];
    const end = await watchCollection(clients, '/api/v1/namespaces/ns/pods', { resourceVersion: '7' }, (e) =>
      events.push(e),
    );
    assert.equal(end.reason, 'eof');
    assert.deepEqual(events, [
      { type: 'ADDED', object: { n: 1 } },
      { type: 'DELETED', object: { n: 2 } },
    ]);
    assert.match(seen.at(-1)?.url ?? '', /resourceVersion=7&watch=true&allowWatchBookmarks=true$/);
  });

  it('is aborted at once by an already aborted signal, and closeStreams can run any time', async () => {
    const before = seen.length;
    const end = await streamPodLog(clients, 'ns', 'pod-a', {}, () => {}, AbortSignal.abort());
    assert.deepEqual(end, { reason: 'aborted' });
    assert.equal(seen.length, before);
    clients.closeStreams();
    const lines: string[] = [];
    await streamPodLog(clients, 'ns', 'pod-a', {}, (l) => lines.push(l));
    assert.equal(lines.length, 3);
  });
});

describe('parseStatusBody (the Status of an error answer, both transports)', () => {
  it('keeps a JSON object, uses other text as the message, and is undefined without text', () => {
    assert.deepEqual(parseStatusBody(Buffer.from('{"kind":"Status","message":"no","code":403}')), {
      kind: 'Status',
      message: 'no',
      code: 403,
    });
    assert.deepEqual(parseStatusBody(Buffer.from('  404 page not found\n')), {
      message: '404 page not found',
    });
    assert.equal(parseStatusBody(Buffer.from('x'.repeat(400)))?.message?.length, 300);
    assert.equal(parseStatusBody(Buffer.alloc(0)), undefined);
    assert.equal(parseStatusBody(Buffer.from(' \n')), undefined);
  });
});
