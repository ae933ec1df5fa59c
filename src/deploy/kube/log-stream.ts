/**
 * Streaming reads from the API server: container logs (`/pods/NAME/log`, with follow) and watches
 * (`?watch=true`), delivered line by line as they arrive. The JSON transport in client.ts buffers
 * whole bodies; streams open their request with `KubeClients.streamRequest` (same URL, credentials
 * and TLS) and read the body here as it arrives.
 *
 * A non-2xx answer rejects with KubeApiError (Status body, and the request described as RBAC sees
 * it: `get pods/log`); a stream that ends resolves with why it ended (eof, error, aborted), so the
 * caller decides whether to reconnect.
 */
import { StringDecoder } from 'node:string_decoder';
import type { KubeClients } from './client.js';
import { KubeApiError, parseStatusBody } from './errors.js';
import { describePath, objectPath } from './resources/paths.js';

export interface StreamEnd {
  reason: 'eof' | 'error' | 'aborted';
  error?: Error;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface StreamOptions {
  /** Give up when no data arrives for this long (ms): before the answer → a network error, after → `error` end. */
  idleTimeoutMs?: number;
}

/**
 * GET `path` and hand every complete line of the body to `onLine` as it arrives.
 * Rejects with KubeApiError for a non-2xx answer, or a network error before the answer; resolves
 * when the body ends (eof), breaks (error) or `signal` aborts.
 */
export async function streamLines(
  clients: KubeClients,
  path: string,
  query: Query,
  onLine: (line: string) => void,
  signal?: AbortSignal,
  options: StreamOptions = {},
): Promise<StreamEnd> {
  if (signal?.aborted) return { reason: 'aborted' };
  const req = await clients.streamRequest(path, query);
  return new Promise<StreamEnd>((resolve, reject) => {
    let settled = false;
    const finish = (end: StreamEnd) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(end);
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onAbort = () => {
      req.destroy();
      finish({ reason: 'aborted' });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.idleTimeoutMs) {
      const ms = options.idleTimeoutMs;
      req.setTimeout(ms, () => {
        req.destroy(Object.assign(new Error(`no data for ${ms} ms`), { code: 'REQUEST_TIMEOUT' }));
      });
    }
    req.on('error', (err) => {
      if (signal?.aborted) finish({ reason: 'aborted' });
      else fail(err);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          fail(new KubeApiError(status, parseStatusBody(Buffer.concat(chunks)), describePath('GET', path))),
        );
        res.on('error', (err) => fail(err));
        return;
      }
      const decoder = new StringDecoder('utf8');
      let pending = '';
      const deliver = (text: string) => {
        pending += text;
        let nl = pending.indexOf('\n');
        if (nl < 0) return;
        let start = 0;
        while (nl >= 0) {
          onLine(pending.slice(start, nl));
          start = nl + 1;
          nl = pending.indexOf('\n', start);
        }
        pending = pending.slice(start);
      };
      res.on('data', (chunk: Buffer) => {
        if (!settled) deliver(decoder.write(chunk));
      });
      res.on('end', () => {
        if (settled) return;
        const rest = pending + decoder.end();
        if (rest.length > 0 && !res.aborted) onLine(rest);
        finish({ reason: res.aborted ? 'error' : 'eof' });
      });
      res.on('aborted', () => finish({ reason: 'error', error: new Error('the stream was cut') }));
      res.on('error', (err) =>
        finish(signal?.aborted ? { reason: 'aborted' } : { reason: 'error', error: err }),
      );
      res.on('close', () => {
        if (!res.complete)
          finish(
            signal?.aborted
              ? { reason: 'aborted' }
              : { reason: 'error', error: new Error('the stream was cut') },
          );
      });
    });
    req.end();
  });
}

export interface PodLogQuery {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC3339 (fractions allowed); takes precedence over sinceSeconds. */
  sinceTime?: string;
  timestamps?: boolean;
}

/** Stream a container's log, one line at a time (`get pods/log`). */
export function streamPodLog(
  clients: KubeClients,
  namespace: string,
  pod: string,
  query: PodLogQuery,
  onLine: (line: string) => void,
  signal?: AbortSignal,
  options: StreamOptions = {},
): Promise<StreamEnd> {
  const path = objectPath('v1', 'pods', namespace, pod, 'log');
  return streamLines(
    clients,
    path,
    {
      container: query.container,
      follow: query.follow ? 'true' : undefined,
      previous: query.previous ? 'true' : undefined,
      tailLines: query.tailLines,
      sinceSeconds: query.sinceTime ? undefined : query.sinceSeconds,
      sinceTime: query.sinceTime,
      timestamps: query.timestamps ? 'true' : undefined,
    },
    onLine,
    signal,
    options,
  );
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Watch a collection (`watch` verb) from `resourceVersion`; each event is parsed JSON. */
export function watchCollection<T>(
  clients: KubeClients,
  path: string,
  query: Query,
  onEvent: (event: WatchEvent<T>) => void,
  signal?: AbortSignal,
): Promise<StreamEnd> {
  return streamLines(
    clients,
    path,
    { ...query, watch: 'true', allowWatchBookmarks: 'true' },
    (line) => {
      if (line.trim() === '') return;
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch {
        return;
      }
      onEvent(event);
    },
    signal,
  );
}

/** Compare two RFC3339(Nano) UTC timestamps exactly (nanoseconds; fraction lengths may differ). */
export function kubeTimeKey(ts: string): string {
  const dot = ts.indexOf('.');
  const secondsPart = dot < 0 ? ts.replace(/Z$/, '') : ts.slice(0, dot);
  const seconds = Math.floor(Date.parse(`${secondsPart}Z`) / 1000);
  let frac = '';
  if (dot >= 0) {
    let i = dot + 1;
    while (i < ts.length && ts.charCodeAt(i) >= 48 && ts.charCodeAt(i) <= 57) i++;
    frac = ts.slice(dot + 1, i);
  }
  return `${String(Number.isFinite(seconds) ? seconds : 0).padStart(12, '0')}.${frac.padEnd(9, '0').slice(0, 9)}`;
}
