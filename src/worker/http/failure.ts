/**
 * How a failed request is answered: an HttpError as itself, a full queue as 429 with Retry-After,
 * Redis down as 503, anything else as 500 (logged by name and message only); after a 413 the
 * rest of the body is not buffered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { QueueFullError } from '../service-types.js';
import type { HttpDeps } from './deps.js';
import { HttpError, isRedisUnavailableError, sendError } from './respond.js';

/** After a 413, at most this many more body bytes are read (and discarded) before the socket is closed. */
const DISCARD_AFTER_413_BYTES = 1024 * 1024;

export function sendFailure(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, err: unknown): void {
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
export function describeError(err: unknown): { name: string; message: string } {
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
