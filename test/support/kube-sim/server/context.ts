/**
 * What every handler of the HTTP front shares: the store, the write path, the log book, the
 * test-set state and the clock; the parsed resource path of a request; and how answers are sent.
 */
import type { ServerResponse } from 'node:http';
import type { Api } from '../api.js';
import type { LogBook } from '../logs.js';
import type { ResourceDef } from '../resources.js';
import type { Json, StatusError } from '../status.js';
import type { Store } from '../store.js';
import type { ServerState } from './types.js';

export interface ServerContext {
  readonly store: Store;
  readonly api: Api;
  readonly logs: LogBook;
  readonly state: ServerState;
  readonly now: () => number;
  /** Whether a resource is served now (metrics.k8s.io can be turned off). */
  readonly served: (r: ResourceDef) => boolean;
}

/** A request path under /api or /apis, resolved to a served resource. */
export interface ParsedPath {
  r: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
  subPath?: string;
  watchPrefix: boolean;
}

/** A JSON answer (nothing when the answer is already under way or the socket is gone). */
export function send(
  res: ServerResponse,
  code: number,
  body: Json,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A Status answer. */
export function sendError(res: ServerResponse, err: StatusError): void {
  send(res, err.code, err.toStatus(), err.headers);
}
