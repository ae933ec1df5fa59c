/**
 * Requests to a pod's HTTP port through the API server's pod proxy
 * (`/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH`), the way `kubectl get --raw` reaches a pod.
 * Needs RBAC `get` (and `create` for POST) on `pods/proxy`. Network failures are retried;
 * HTTP statuses are returned as they are (a worker's 503 is an answer, not a failure).
 */
import type { KubeClients } from './client.js';
import { networkErrorCode } from './errors.js';

export interface PodProxyRequest {
  namespace: string;
  pod: string;
  port: number;
  /** Path on the pod, starting with '/': `/metrics`, `/v1/previews`. */
  path: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  scheme?: 'http' | 'https';
}

export interface PodProxyResponse {
  statusCode: number;
  body: string;
  contentType?: string;
  durationMs: number;
  /**
   * True when the answer came from the API server itself (a Status object: the pod is not
   * reachable, or RBAC denied the proxy), not from the pod.
   */
  fromApiServer: boolean;
}

export function podProxyPath(
  namespace: string,
  pod: string,
  port: number,
  path: string,
  scheme: 'http' | 'https' = 'http',
): string {
  const target = scheme === 'https' ? `https:${pod}:${port}` : `${pod}:${port}`;
  const rest = path.startsWith('/') ? path : `/${path}`;
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(target)}/proxy${rest}`;
}

export async function podProxyRequest(clients: KubeClients, req: PodProxyRequest): Promise<PodProxyResponse> {
  const started = performance.now();
  const [pathOnly, query] = req.path.split('?');
  // Never send Authorization to the pod through the API server: it would replace our own
  // credentials for the API server (which strips it before proxying anyway).
  const headers: Record<string, string> = { Accept: '*/*' };
  for (const [k, v] of Object.entries(req.headers ?? {})) {
    if (k.toLowerCase() !== 'authorization' && k.toLowerCase() !== 'proxy-authorization') headers[k] = v;
  }
  const res = await clients.request({
    method: req.method ?? 'GET',
    path: podProxyPath(req.namespace, req.pod, req.port, pathOnly, req.scheme) + (query ? `?${query}` : ''),
    body: req.body,
    headers,
    timeoutMs: req.timeoutMs ?? 5000,
    // Retry dropped connections only; a status code is the pod's (or the proxy's) answer.
    attempts: (req.method ?? 'GET') === 'GET' ? 3 : 1,
    shouldRetry: (err) => {
      const code = networkErrorCode(err);
      return code === 'ECONNRESET' || code === 'EPIPE';
    },
  });
  const body = res.body.toString('utf8');
  const contentType =
    typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : undefined;
  let fromApiServer = false;
  if (res.statusCode >= 400 && contentType?.includes('json')) {
    try {
      const parsed = JSON.parse(body);
      fromApiServer = parsed?.kind === 'Status' && parsed?.apiVersion === 'v1';
    } catch {
      /* not JSON */
    }
  }
  return {
    statusCode: res.statusCode,
    body,
    contentType,
    durationMs: performance.now() - started,
    fromApiServer,
  };
}

/** GET through the pod proxy. */
export function podProxyGet(
  clients: KubeClients,
  namespace: string,
  pod: string,
  port: number,
  path: string,
  timeoutMs?: number,
): Promise<PodProxyResponse> {
  return podProxyRequest(clients, { namespace, pod, port, path, timeoutMs });
}
