/**
 * Reads a request body into memory, never holding more than `limit` bytes: a declared
 * Content-Length above the limit is refused before a byte is read, and a streamed body that
 * crosses the limit stops being buffered at once.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './respond.js';

export function tooLargeError(limit: number, declared?: number): HttpError {
  const what =
    declared === undefined
      ? 'the request body is larger than'
      : `the request body (${declared} bytes) is larger than`;
  return new HttpError(
    413,
    'payload_too_large',
    `${what} the limit of ${limit} bytes; send a smaller payload`,
    {
      limitBytes: limit,
    },
  );
}

/** Resolves with the body, or rejects with an HttpError 413 (too large) or 400 (aborted). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declaredHeader = req.headers['content-length'];
  if (declaredHeader !== undefined) {
    const declared = Number(declaredHeader);
    if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLargeError(limit, declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      chunks.length = 0;
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.pause();
        fail(tooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = () => fail(new HttpError(400, 'bad_request', 'the request body could not be read'));
    const onAborted = () => fail(new HttpError(400, 'bad_request', 'the client aborted the request'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
