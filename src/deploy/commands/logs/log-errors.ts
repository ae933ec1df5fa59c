/** What a failed log request means: nothing to read (yet or any more), or a failure to report. */
import { ClusterUnreachableError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import { httpStatusOf, KubeApiError, statusOf } from '../../kube/errors.js';

/** Whether a log request failed because there is nothing to read yet or any more (not a failure). */
export function benignLogError(err: unknown): 'no-previous' | 'waiting' | 'gone' | undefined {
  const status = httpStatusOf(err);
  const message = statusOf(err)?.message ?? (err instanceof Error ? err.message : '');
  if (status === 404) return 'gone';
  if (status === 400) {
    if (/previous terminated container/i.test(message)) return 'no-previous';
    return 'waiting';
  }
  return undefined;
}

export function mapLogError(clients: KubeClients, err: unknown, namespace: string, pod?: string): Error {
  const mapped =
    err instanceof KubeApiError
      ? clients.mapError(err, { verb: 'get', resource: 'pods/log', namespace })
      : clients.mapError(err);
  if (mapped instanceof KubeApiError) {
    // The API server kept failing (5xx/429 after retries, or an unexpected status).
    return new ClusterUnreachableError(
      `The API server failed to return the log of pod ${pod ?? '?'} (HTTP ${mapped.statusCode}: ${mapped.message}).`,
      { hint: 'Try again; if it persists, check the API server and the node the pod runs on.', cause: err },
    );
  }
  return mapped;
}
