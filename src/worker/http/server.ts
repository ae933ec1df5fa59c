/**
 * The worker's HTTP API on one port: health (`/livez`, `/readyz`), `/metrics`, and the
 * `/v1/previews` job API (DESIGN.md section 3).
 *
 * Why plain `node:http` and no framework: the API has seven routes, and the parts that matter
 * for a service that must be hard to break are exactly the parts a framework hides: refusing a
 * body the moment it crosses `maxBodyBytes` (413) instead of buffering it, matching the artifact
 * route on the raw, un-normalised path so traversal attempts are seen and refused, streaming
 * files with an exact Content-Length (and single byte ranges), the server's header, request and
 * keep-alive timeouts, and closing idle keep-alive connections on shutdown. node:http gives direct control of all of it with no extra dependency surface to audit and update.
 *
 * The HTTP layer depends only on `PreviewService` (service-types.ts), so it is tested with a
 * fake service as well as against the real BullMQ-backed one.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { parsePreviewPayload } from '../payload.js';
import { SAFE_ID_PATTERN } from '../payload-checker.js';
import { type PreviewService, QueueFullError } from '../service-types.js';
import { openArtifact, parseArtifactPath } from './artifact-path.js';
import { isAuthorized } from './auth.js';
import { readBody } from './body.js';
import { parseRange } from './range.js';
import { HttpError, isRedisUnavailableError, sendError, sendJson, setCommonHeaders } from './respond.js';
import { matchRoute, type RouteName, rawPathOf } from './routes.js';

export interface HttpDeps {
  service: PreviewService;
  metrics: { contentType: string; render(): Promise<string> };
  logger: Logger;
  /** When set, every `/v1/*` request needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** Largest accepted request body; larger ones get 413. */
  maxBodyBytes: number;
  /** True once shutdown has begun: /readyz answers 503 and no new job is accepted. */
  isShuttingDown(): boolean;
}

/** Server timeouts: slow or stuck clients cannot hold sockets open for ever. */
export const HTTP_TIMEOUTS = {
  /** the complete request headers must arrive within this */
  headersTimeoutMs: 10_000,
  /** the complete request (headers and body) must arrive within this */
  requestTimeoutMs: 30_000,
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: 5_000,
} as const;

/** How long /readyz waits for the service's readiness check before answering 503. */
const READINESS_TIMEOUT_MS = 3_000;
/** After a 413, at most this many more body bytes are read (and discarded) before the socket is closed. */
const DISCARD_AFTER_413_BYTES = 1024 * 1024;
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
        'no such route; see GET /v1/queue, POST /v1/previews, GET /livez',
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
      // X-Preview-Api-Token: the same token for callers behind the Kubernetes API server's pod proxy,
      // which strips Authorization (mobius-deploy verify --smoke sends both).
      const alt = req.headers['x-preview-api-token'];
      const authorization =
        req.headers.authorization ?? (typeof alt === 'string' ? `Bearer ${alt}` : undefined);
      if (!isAuthorized(authorization, deps.apiToken)) {
        const presented = authorization !== undefined;
        throw new HttpError(
          401,
          'unauthorized',
          presented
            ? 'the bearer token is not valid'
            : 'this API needs a bearer token: send the header "Authorization: Bearer $PREVIEW_API_TOKEN"',
          undefined,
          {
            'WWW-Authenticate': presented
              ? 'Bearer realm="preview-worker", error="invalid_token"'
              : 'Bearer realm="preview-worker"',
          },
        );
      }
    }
    switch (match.name) {
      case 'livez':
        sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
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

function sendFailure(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    if (err.status === 413) closeAfter413(req, res);
    sendError(res, err);
    return;
  }
  if (err instanceof QueueFullError) {
    sendError(
      res,
      new HttpError(
        429,
        'queue_full',
        `${err.message}; the queue is at its limit (PREVIEW_QUEUE_MAX), retry later`,
        { backlog: err.backlog, max: err.max, retryAfterSeconds: err.retryAfterSeconds },
        { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterSeconds))) },
      ),
    );
    return;
  }
  if (isRedisUnavailableError(err)) {
    deps.logger.warn({ err: describeError(err) }, 'redis unavailable while serving a request');
    sendError(
      res,
      new HttpError(
        503,
        'redis_unavailable',
        'the job queue is unavailable because Redis does not answer; retry shortly',
        undefined,
        { 'Retry-After': '5' },
      ),
    );
    return;
  }
  deps.logger.error({ err: describeError(err) }, 'unexpected error while serving a request');
  sendError(res, new HttpError(500, 'internal_error', 'an unexpected error occurred; see the worker logs'));
}

/** The error's name and message only: no stack in responses, no payload in logs. */
function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/**
 * After a 413 the rest of the body is not buffered: the connection is marked to close and at
 * most DISCARD_AFTER_413_BYTES more are drained (so the client can read the answer before the
 * socket goes away); beyond that the socket is destroyed.
 */
function closeAfter413(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  if (req.complete) return;
  let discarded = 0;
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_AFTER_413_BYTES) {
      req.off('data', onData);
      req.socket.destroy();
    }
  };
  res.once('finish', () => {
    if (req.complete) return;
    req.on('data', onData);
    req.resume();
  });
}

async function handleReadyz(deps: HttpDeps, res: ServerResponse): Promise<void> {
  if (deps.isShuttingDown()) {
    sendJson(res, 503, { ready: false, reasons: ['shutdown has begun; this process takes no new work'] });
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const report = await Promise.race([
      deps.service.readiness(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the readiness check did not answer within ${READINESS_TIMEOUT_MS} ms`)),
          READINESS_TIMEOUT_MS,
        );
      }),
    ]);
    if (deps.isShuttingDown()) {
      sendJson(res, 503, { ready: false, reasons: ['shutdown has begun; this process takes no new work'] });
    } else if (report.ready) {
      sendJson(res, 200, { ready: true });
    } else {
      sendJson(res, 503, { ready: false, reasons: report.reasons });
    }
  } catch (err) {
    sendJson(res, 503, { ready: false, reasons: [`readiness check failed: ${describeError(err).message}`] });
  } finally {
    clearTimeout(timer);
  }
}

async function handleMetrics(deps: HttpDeps, res: ServerResponse): Promise<void> {
  const text = await deps.metrics.render();
  res.statusCode = 200;
  res.setHeader('Content-Type', deps.metrics.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

async function handleSubmit(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.isShuttingDown()) {
    throw new HttpError(
      503,
      'shutting_down',
      'this worker is shutting down and accepts no new jobs; retry (another replica will take it)',
      undefined,
      { 'Retry-After': '5' },
    );
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'send the preview payload as JSON with the header "Content-Type: application/json"',
      { received: req.headers['content-type'] ?? null },
    );
  }
  const body = await readBody(req, deps.maxBodyBytes);
  if (body.length === 0) {
    throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON preview payload');
  }
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(
      400,
      'invalid_json',
      `the request body is not valid JSON: ${describeError(err).message}`,
    );
  }
  const parsed = parsePreviewPayload(input);
  if (!parsed.ok) {
    throw new HttpError(
      400,
      'invalid_payload',
      `the preview payload has ${parsed.issues.length} problem${parsed.issues.length === 1 ? '' : 's'}: ` +
        parsed.issues.map((i) => i.message).join('; '),
      { issues: parsed.issues },
    );
  }
  const result = await deps.service.submit(parsed.value);
  const statusUrl = `/v1/previews/${encodeURIComponent(result.jobId)}`;
  sendJson(
    res,
    result.created ? 202 : 200,
    { jobId: result.jobId, state: result.state, created: result.created, statusUrl },
    { Location: statusUrl },
  );
}

function decodeJobId(raw: string): string {
  let jobId: string;
  try {
    jobId = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_job_id', 'the job id is not valid percent-encoding');
  }
  if (!SAFE_ID_PATTERN.test(jobId) || jobId === '.' || jobId === '..') {
    throw new HttpError(
      400,
      'invalid_job_id',
      "a job id is 1-128 characters of letters, digits, '.', '_' and '-', and not '.' or '..'",
    );
  }
  return jobId;
}

async function handleStatus(deps: HttpDeps, res: ServerResponse, rawJobId: string): Promise<void> {
  const jobId = decodeJobId(rawJobId);
  const status = await deps.service.status(jobId);
  if (!status) throw new HttpError(404, 'not_found', `no preview job with id "${jobId}"`);
  sendJson(res, 200, status);
}

async function handleArtifact(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawJobId: string,
  rawPath: string,
): Promise<void> {
  const jobId = decodeJobId(rawJobId);
  const parsed = parseArtifactPath(rawPath);
  if (!parsed.ok) throw new HttpError(400, 'invalid_artifact_path', parsed.reason);
  const dir = await deps.service.artifactDir(jobId);
  if (!dir) {
    throw new HttpError(
      404,
      'not_found',
      `preview job "${jobId}" is unknown or has no artifacts yet; GET /v1/previews/${jobId} shows its state`,
    );
  }
  const opened = await openArtifact(dir, parsed.segments);
  if (!opened.ok) {
    throw new HttpError(
      404,
      'not_found',
      `preview job "${jobId}" has no artifact "${parsed.segments.join('/')}"`,
    );
  }
  const { handle, size, contentType } = opened.artifact;
  const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, size);
  if (range.kind === 'unsatisfiable') {
    await handle.close();
    throw new HttpError(
      416,
      'range_not_satisfiable',
      `the requested range is outside the ${size}-byte artifact`,
      { size },
      { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' },
    );
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  res.statusCode = range.kind === 'partial' ? 206 : 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', length);
  res.setHeader('Accept-Ranges', 'bytes');
  if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  // A job's directory only appears once complete and a jobId never renders twice, so the bytes
  // never change; still private because the API may need a token.
  res.setHeader('Cache-Control', 'private, max-age=3600');
  if (req.method === 'HEAD' || length === 0) {
    await handle.close();
    res.end();
    return;
  }
  // Exactly the bytes promised in Content-Length.
  const stream = handle.createReadStream({ start, end, autoClose: false });
  try {
    await pipeline(stream, res);
  } catch (err) {
    // The client went away mid-download, or the file could not be read: nothing more to send.
    deps.logger.debug({ err: describeError(err) }, 'artifact stream ended early');
    res.destroy();
  } finally {
    await handle.close().catch(() => {});
  }
}
