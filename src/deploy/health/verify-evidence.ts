/**
 * How verify words what it saw: an answer body shortened to what a person reads, a failed request
 * as a reason, a duration in milliseconds.
 */
import { httpStatusOf, networkErrorCode } from '../kube/errors.js';
import { formatDuration } from '../output/duration.js';

/** A duration in the one human style (output/duration.ts). */
export const ms = (n: number) => formatDuration(n);

/**
 * The evidence line for an answer body: the `message` of a Kubernetes Status or of the worker's JSON
 * error when there is one (what a person reads), else the body itself, shortened.
 */
export function shortBody(body: string): string {
  let t = body.replace(/\s+/g, ' ').trim();
  if (t.startsWith('{')) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; reason?: unknown; error?: unknown };
      if (typeof parsed.message === 'string' && parsed.message) {
        const tag =
          typeof parsed.reason === 'string'
            ? parsed.reason
            : typeof parsed.error === 'string'
              ? parsed.error
              : '';
        t = tag ? `${parsed.message} (${tag})` : parsed.message;
      }
    } catch {
      // not JSON after all: show it as text
    }
  }
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** Why a request to a worker failed: timed out, a network error code, an HTTP status, or the message. */
export function describeFailure(err: unknown): string {
  const code = networkErrorCode(err);
  const status = httpStatusOf(err);
  if (
    code === 'REQUEST_TIMEOUT' ||
    (err as Error)?.name === 'TimeoutError' ||
    (err as Error)?.name === 'AbortError'
  )
    return 'timed out';
  if (code) return `${code} (${(err as Error).message})`;
  if (status) return `HTTP ${status}: ${(err as Error).message}`;
  const cause = (err as Error)?.cause as Error | undefined;
  return `${(err as Error)?.message ?? String(err)}${cause?.message ? `: ${cause.message}` : ''}`;
}
