/**
 * The two ways verify reaches a worker (a WorkerEndpoint): through the API server's pod proxy, or
 * directly by URL with fetch.
 */
import type { KubeClients } from '../kube/client.js';
import { podProxyRequest } from '../kube/pod-proxy.js';
import { redactUrl } from '../output/redact-url.js';
import type { WorkerEndpoint } from './verify-types.js';

/** A worker reached through the API server's pod proxy. */
export function podProxyEndpoint(
  clients: KubeClients,
  namespace: string,
  pod: string,
  port: number,
): WorkerEndpoint {
  return {
    label: `pod ${pod} (pod proxy)`,
    async request(method, path, opts) {
      const res = await podProxyRequest(clients, {
        namespace,
        pod,
        port,
        path,
        method,
        body: opts.body,
        headers: opts.headers,
        timeoutMs: opts.timeoutMs,
      });
      return res;
    },
  };
}

/**
 * A worker reached directly by URL (fetch). A user and password in the URL are sent as basic auth
 * (fetch refuses a URL that carries them) and never appear in the label.
 */
export function urlEndpoint(baseUrl: string): WorkerEndpoint {
  const url = new URL(baseUrl);
  const basic =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/+$/, '');
  return {
    label: redactUrl(base),
    async request(method, path, opts) {
      const started = performance.now();
      const res = await fetch(base + path, {
        method,
        headers:
          basic && !Object.keys(opts.headers ?? {}).some((k) => k.toLowerCase() === 'authorization')
            ? { authorization: basic, ...opts.headers }
            : opts.headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const body = await res.text();
      return { statusCode: res.status, body, durationMs: performance.now() - started };
    },
  };
}
