/**
 * Response helpers: every API answer is JSON, every error body is `{ error, message, details? }`,
 * and every response carries the same security headers.
 */
import type { ServerResponse } from 'node:http';

/** A failure the client can act on; `code` is a stable machine-readable name. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** Headers on every response. API answers are never cached by browsers or proxies. */
export function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const body: ErrorBody = { error: err.code, message: err.message };
  if (err.details !== undefined) body.details = err.details;
  sendJson(res, err.status, body, err.headers);
}

const REDIS_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
const REDIS_DOWN_MESSAGES = [
  'connection is closed',
  "stream isn't writeable",
  'max retries per request',
  'command timed out',
  'redis is unavailable',
  'redis did not answer',
  'connect econnrefused',
  'enableofflinequeue',
];

/**
 * True when an error from the service means Redis could not be reached (ioredis and BullMQ
 * connection errors), which the API reports as 503 rather than 500.
 */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { name } = err;
  if (
    name === 'ServiceUnavailableError' ||
    name === 'RedisUnavailableError' ||
    name === 'MaxRetriesPerRequestError'
  ) {
    return true;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && REDIS_DOWN_CODES.has(code)) return true;
  const message = err.message.toLowerCase();
  return REDIS_DOWN_MESSAGES.some((m) => message.includes(m));
}
