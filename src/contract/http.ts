/**
 * The worker's HTTP contract (DESIGN.md section 3, "Worker HTTP"): the routes the worker serves and
 * the toolkit calls, and how `/v1/*` is authorised.
 */
export const WORKER_PATH = {
  livez: '/livez',
  readyz: '/readyz',
  metrics: '/metrics',
  previews: '/v1/previews',
  queue: '/v1/queue',
} as const;

/** The worker's default port (`PORT`) and the name of that port in the manifests. */
export const WORKER_PORT = 3000;

/** The environment variable (and Secret key) that holds the bearer token for `/v1/*`. */
export const API_TOKEN_ENV = 'PREVIEW_API_TOKEN';

/** The `Authorization` header value for a token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/**
 * The header that carries the same token for callers behind the Kubernetes API server's pod proxy,
 * which strips `Authorization` (`verify --smoke` sends both).
 */
export const API_TOKEN_HEADER = 'X-Preview-Api-Token';
