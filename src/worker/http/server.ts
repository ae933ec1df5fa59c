/**
 * The worker's HTTP API on one port: health (`/livez`, `/readyz`), `/metrics`, and the
 * `/v1/previews` job API (DESIGN.md section 3).
 *
 * Why plain `node:http` and no framework: the API has seven routes, and the parts that matter
 * for a service that must be hard to break are exactly the parts a framework hides: refusing a
 * body the moment it crosses `maxBodyBytes` (413) instead of buffering it, matching the artifact
 * route on the raw, un-normalised path so traversal attempts are seen and refused, streaming
 * files with an exact Content-Length (and single byte ranges), the server's header, request and
 * keep-alive timeouts, and closing idle keep-alive connections on shutdown. node:http gives direct control of all of it
 * with no extra dependency surface to audit and update.
 *
 * The HTTP layer depends only on `PreviewService` (service-types.ts), so it is tested with a
 * fake service as well as against the real BullMQ-backed one.
 *
 * This file is the server and the dispatch (request id, access log, route, token); the answers are
 * in health.ts (probes), jobs.ts (the job endpoints) and failure.ts (errors to responses).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { WORKER_PATH } from '../../contract/http.js';
import { requireToken } from './auth.js';
import type { HttpDeps } from './deps.js';
import { sendFailure } from './failure.js';
import { handleLivez, handleMetrics, handleReadyz } from './health.js';
import { handleArtifact, handleStatus, handleSubmit } from './jobs.js';
import { HttpError, sendJson, setCommonHeaders } from './respond.js';
import { matchRoute, type RouteName, rawPathOf } from './routes.js';

/** Server timeouts: slow or stuck clients cannot hold sockets open for ever. */
export const HTTP_TIMEOUTS = {
  /** the complete request headers must arrive within this */
  headersTimeoutMs: 10_000,
  /** the complete request (headers and body) must arrive within this */
  requestTimeoutMs: 30_000,
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: 5_000,
} as const;

const PROBE_ROUTES: ReadonlySet<RouteName> = new Set(['livez', 'readyz', 'metrics']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer(
    {
      headersTimeout: HTTP_TIMEOUTS.headersTimeoutMs,
      requestTimeout: HTTP_TIMEOUTS.requestTimeoutMs,
      keepAliveTimeout: HTTP_TIMEOUTS.keepAliveTimeoutMs,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      void handleRequest(deps, req, res);
    },
  );
  // `Expect: 100-continue` (curl sends it for larger bodies): invite the body only when its
  // declared size is within the limit; otherwise the handler answers 413 before any of it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (!(Number.isFinite(declared) && declared > deps.maxBodyBytes)) res.writeContinue();
    void handleRequest(deps, req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    const body = JSON.stringify({ error: 'bad_request', message: 'the request could not be parsed as HTTP' });
    socket.end(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return server;
}

/**
 * Stops accepting connections, closes idle keep-alive connections at once, and after `graceMs`
 * closes whatever is still open. Resolves when every connection is gone.
 */
export function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

async function handleRequest(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const method = req.method ?? 'GET';
  const incomingId = req.headers['x-request-id'];
  const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  let route = '(no route)';
  let routeName: RouteName | undefined;

  setCommonHeaders(res);
  res.setHeader('X-Request-Id', requestId);
  if (deps.isShuttingDown()) res.setHeader('Connection', 'close');

  res.once('close', () => {
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    const entry = {
      reqId: requestId,
      method,
      route,
      status: res.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (res.statusCode >= 500) deps.logger.warn(entry, 'http request failed');
    else if (routeName && PROBE_ROUTES.has(routeName)) deps.logger.debug(entry, 'http request');
    else deps.logger.info(entry, 'http request');
  });

  try {
    const match = matchRoute(method, rawPathOf(req.url));
    if (match.kind === 'not-found') {
      throw new HttpError(
        404,
        'not_found',
        `no such route; see GET ${WORKER_PATH.queue}, POST ${WORKER_PATH.previews}, GET ${WORKER_PATH.livez}`,
      );
    }
    route = match.template;
    if (match.kind === 'method-not-allowed') {
      throw new HttpError(
        405,
        'method_not_allowed',
        `${method} is not allowed on ${match.template}; use ${match.allow.join(', ')}`,
        undefined,
        { Allow: match.allow.join(', ') },
      );
    }
    routeName = match.name;
    if (route.startsWith('/v1/') && deps.apiToken !== undefined && deps.apiToken !== '') {
      requireToken(req, deps.apiToken);
    }
    switch (match.name) {
      case 'livez':
        handleLivez(res);
        return;
      case 'readyz':
        await handleReadyz(deps, res);
        return;
      case 'metrics':
        await handleMetrics(deps, res);
        return;
      case 'submitPreview':
        await handleSubmit(deps, req, res);
        return;
      case 'previewStatus':
        await handleStatus(deps, res, match.params.jobId!);
        return;
      case 'previewArtifact':
        await handleArtifact(deps, req, res, match.params.jobId!, match.params.path!);
        return;
      case 'queueOverview':
        sendJson(res, 200, await deps.service.overview());
        return;
    }
  } catch (err) {
    sendFailure(deps, req, res, err);
  }
}
