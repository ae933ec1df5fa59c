/**
 * Turning Kubernetes client failures into the CLI's errors (src/deploy/errors.ts), and the retry
 * policy for idempotent requests. Works for both transports: our fast JSON transport
 * (`KubeApiError`, Node network errors) and @kubernetes/client-node's generated clients
 * (`ApiException` with `code`/`body`, node-fetch `FetchError` with a system `code`). It never
 * imports @kubernetes/client-node, so it is cheap to load.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  AccessDeniedError,
  ClusterUnreachableError,
  CredentialsError,
  isCliError,
  NamespaceNotFoundError,
} from '../errors.js';
import { redactUrl } from '../output/redact-url.js';
import { sleep } from '../util/sleep.js';
import { type RequestDescription, verbFor } from './resources/paths.js';

/** A Kubernetes `Status` object (the body of every API error). */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ message?: string; field?: string }>;
  };
}

/** The API server answered with a non-2xx status. */
export class KubeApiError extends Error {
  readonly statusCode: number;
  readonly status?: KubeStatus;
  readonly request: RequestDescription;
  readonly retryAfterSeconds?: number;
  constructor(
    statusCode: number,
    status: KubeStatus | undefined,
    request: RequestDescription,
    retryAfterSeconds?: number,
  ) {
    super(status?.message ?? `${request.method} ${request.path} failed with HTTP ${statusCode}`);
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.status = status;
    this.request = request;
    this.retryAfterSeconds = retryAfterSeconds;
  }
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

/** Where we were talking to, for messages. */
export interface TargetDescription {
  server: string;
  context: string;
}

const NETWORK_PHRASES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS lookup failed)',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the server name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  EPROTO: 'TLS handshake failed',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed (is the server plain HTTP?)',
  REQUEST_TIMEOUT: 'request timed out',
};

/** The system error code of a network failure, looking through `cause` chains; undefined if none. */
export function networkErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code in NETWORK_PHRASES || /^E[A-Z]+$/.test(code))) return code;
    const msg = (e as { message?: unknown }).message;
    if (typeof msg === 'string') {
      if (/socket hang up/i.test(msg)) return 'ECONNRESET';
      const m =
        /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE)\b/.exec(
          msg,
        );
      if (m) return m[1];
      if ((e as { type?: unknown }).type === 'request-timeout') return 'REQUEST_TIMEOUT';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function describeNetworkError(code: string): string {
  return NETWORK_PHRASES[code] ?? code;
}

/** A failure worth retrying for an idempotent request: 429, 5xx (except 501), or a dropped connection. */
export function isRetryable(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 429 || (status >= 500 && status !== 501);
  const code = networkErrorCode(err);
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'REQUEST_TIMEOUT';
}

/**
 * The HTTP status of an API error from either transport: our KubeApiError, @kubernetes/client-node's
 * ApiException (`code`, `body`), or an error carrying `statusCode` or `response.statusCode`.
 */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    code?: unknown;
    statusCode?: unknown;
    body?: unknown;
    response?: { statusCode?: unknown };
  };
  if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.response?.statusCode === 'number') return e.response.statusCode;
  if (typeof e.body === 'string') {
    try {
      const body = JSON.parse(e.body) as { code?: unknown };
      if (typeof body.code === 'number') return body.code;
    } catch {
      // not JSON
    }
  }
  return undefined;
}

/**
 * The Status of an error answer's body: the parsed object when the body is a JSON object, else
 * its text (trimmed, at most 300 characters) as the message; undefined when there is no text.
 */
export function parseStatusBody(body: Buffer): KubeStatus | undefined {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as KubeStatus;
  } catch {
    /* not JSON: the text is the message */
  }
  const message = text.trim().slice(0, 300);
  return message ? { message } : undefined;
}

/**
 * The message of an error answer's text for a one-line note: the Status's `message` when the text
 * is a JSON Status, else the text itself (at most 200 characters).
 */
export function statusMessageOf(body: string): string {
  try {
    return JSON.parse(body).message ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** The Status object of an API error from either transport, when the body was one. */
export function statusOf(err: unknown): KubeStatus | undefined {
  if (err instanceof KubeApiError) return err.status;
  const body = (err as { body?: unknown } | null)?.body;
  if (body && typeof body === 'object') return body as KubeStatus;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body);
      if (parsed && typeof parsed === 'object') return parsed as KubeStatus;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

/** A 404 from either transport (a NamespaceNotFoundError counts: it is the namespace's 404). */
export function isNotFound(err: unknown): boolean {
  if ((err as Error | null)?.name === 'NamespaceNotFoundError') return true;
  return httpStatusOf(err) === 404;
}
const FORBIDDEN_RE =
  /(?:User "([^"]*)" )?cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/;

/**
 * Map any error from talking to the API into a CliError where one applies (unreachable, 401,
 * 403, missing namespace); other errors are returned unchanged.
 */
export function mapKubeError(
  err: unknown,
  target: TargetDescription,
  request?: Partial<RequestDescription>,
): Error {
  if (isCliError(err)) return err;
  target = { ...target, server: redactUrl(target.server) };
  const status = httpStatusOf(err);
  if (status === undefined) {
    const code = networkErrorCode(err);
    if (code) {
      return new ClusterUnreachableError(
        `Cannot reach the Kubernetes API at ${target.server}: ${describeNetworkError(code)}. Check your kubeconfig context (${target.context}) and network.`,
        {
          hint: 'Try `kubectl cluster-info` with the same context, or pass --context/--kubeconfig.',
          cause: err,
        },
      );
    }
    return err instanceof Error ? err : new Error(String(err));
  }
  const body = statusOf(err);
  const req = { ...(err instanceof KubeApiError ? err.request : {}), ...request };
  if (status === 401) {
    return new CredentialsError(
      `The Kubernetes API at ${target.server} rejected your credentials (401 Unauthorized) for context ${target.context}.`,
      {
        hint: 'Log in again or refresh the token in your kubeconfig (for example re-run your cloud provider login).',
        cause: err,
      },
    );
  }
  if (status === 403) {
    const m = FORBIDDEN_RE.exec(body?.message ?? '');
    const group = m?.[4];
    const resource = m
      ? group
        ? `${m[3]}.${group}`
        : m[3]
      : (req.resource ?? body?.details?.kind ?? 'the resource');
    return new AccessDeniedError(
      {
        verb: m?.[2] ?? req.verb ?? verbFor(req.method ?? 'GET', Boolean(req.name)),
        resource,
        namespace: m?.[5] ?? req.namespace,
      },
      { cause: err },
    );
  }
  if (status === 404 && body?.reason === 'NotFound' && body.details?.kind === 'namespaces') {
    return new NamespaceNotFoundError(body.details.name ?? req.namespace ?? '?', { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export interface RetryPolicy {
  /** Total attempts, including the first. */
  attempts: number;
  /** First backoff delay in ms; doubled each time, with up to 25% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Which failures to retry; defaults to isRetryable. */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each retry (for -v logging). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 150, maxDelayMs: 2000 };

/** The two numbers an exponential backoff needs. */
export type BackoffPolicy = Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;

/**
 * The toolkit's one backoff formula: `baseDelayMs` doubled `attempt` times (attempt 0 is the first
 * wait), stretched by `jitter` (0.1 = 10% longer), capped at `maxDelayMs`.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, jitter = 0): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt * (1 + jitter));
}

/**
 * Run an idempotent operation, retrying on 429/5xx/dropped connections with exponential backoff
 * (honouring Retry-After up to maxDelayMs). Use it for GETs through @kubernetes/client-node:
 *   const pods = await withRetry(() => core.listNamespacedPod({ namespace }));
 */
export async function withRetry<T>(fn: () => Promise<T>, policy: Partial<RetryPolicy> = {}): Promise<T> {
  const p = { ...DEFAULT_RETRY, ...policy };
  const wait = p.sleep ?? sleep;
  const shouldRetry = p.shouldRetry ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= p.attempts || !shouldRetry(err)) throw err;
      const retryAfter = err instanceof KubeApiError ? err.retryAfterSeconds : undefined;
      const jitter = Math.random() * 0.25;
      const delay =
        retryAfter !== undefined
          ? Math.min(p.maxDelayMs, retryAfter * 1000)
          : backoffDelay(attempt - 1, p, jitter);
      p.onRetry?.(err, attempt, delay);
      await wait(delay);
    }
  }
}

/** The seconds of a `Retry-After` header (429, 503), when it is a number of seconds. */
export function retryAfterSeconds(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['retry-after'];
  const n = typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
