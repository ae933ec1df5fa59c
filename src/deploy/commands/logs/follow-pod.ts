/**
 * Following one pod's log stream: reconnect with backoff from the time of the last line delivered
 * (lines at exactly that time that were already delivered are skipped), quietly retry a container
 * that has not started yet or is between restarts, and stop when the pod is gone, its terminating
 * container's stream ends, or the signal aborts.
 */
import type { KubeClients } from '../../kube/client.js';
import { type BackoffPolicy, backoffDelay, httpStatusOf } from '../../kube/errors.js';
import { kubeTimeKey, type PodLogQuery, type StreamEnd, streamPodLog } from '../../kube/log-stream.js';
import { ERROR_LEVEL, type LogRecord, parseKubeTime, parseLogLine } from '../../patterns/log-record.js';
import { sleep } from '../../util/sleep.js';
import type { ApiOutage } from './follow-outage.js';
import { benignLogError, mapLogError } from './log-errors.js';
import type { LogLineEvent, LogsNote, LogsRequest } from './types.js';

export interface PodFollower {
  pod: string;
  container: string;
  controller: AbortController;
  /** kubeTimeKey of the last delivered line, and the lines delivered at exactly that time. */
  lastKey?: string;
  lastTime?: string;
  atLast: Set<string>;
  terminating: boolean;
  /** The follower loop finished (pod terminated or gone); kept to avoid following it twice. */
  ended: boolean;
  done: Promise<void>;
}

/** The line counts of a follow, shared by all of its pods. */
export interface FollowCounts {
  linesRead: number;
  linesShown: number;
  errorLines: number;
}

/** What a pod's follower shares with the deployment-level follow. */
export interface FollowShared {
  clients: KubeClients;
  req: LogsRequest;
  /** Aborts when the whole follow ends. */
  signal: AbortSignal;
  backoff: BackoffPolicy;
  keep: (r: LogRecord) => boolean;
  counts: FollowCounts;
  onLine: (event: LogLineEvent) => void;
  note: (n: LogsNote) => void;
  /** A failure that ends the whole follow (401, 403, the API gone past --give-up-after). */
  fail: (err: Error) => void;
  /** Whether the API can be reached: what is said while it cannot (follow-outage.ts). */
  outage: ApiOutage;
}

/**
 * Follow `f`'s log until its pod is done or the follow ends; `initial` pods (listed at the start)
 * begin with --tail/--since, pods that come later from their first line.
 */
export async function followPod(shared: FollowShared, f: PodFollower, initial: boolean): Promise<void> {
  const { clients, req, backoff, keep, counts } = shared;
  const name = f.pod;
  const container = f.container;
  const podSignal = AbortSignal.any([shared.signal, f.controller.signal]);
  let attempt = 0;
  let first = true;
  while (!podSignal.aborted) {
    const query: PodLogQuery = { container, follow: true, timestamps: true };
    if (f.lastTime) {
      // Resume from the last line's time (millisecond precision, rounded down; lines at that
      // time that were already delivered are skipped by the check in onLine).
      const ms = parseKubeTime(f.lastTime);
      query.sinceTime = ms === undefined ? f.lastTime : new Date(ms).toISOString();
    } else if (first && initial) {
      query.tailLines = req.tail;
      query.sinceSeconds = req.sinceSeconds;
    }
    let end: StreamEnd;
    let unreachable = false;
    try {
      end = await streamPodLog(
        clients,
        req.namespace,
        name,
        query,
        (line) => {
          const record = parseLogLine(line, { kubeTimestamps: true });
          if (record.kubeTime !== undefined) {
            const key = kubeTimeKey(record.kubeTime);
            if (f.lastKey !== undefined && (key < f.lastKey || (key === f.lastKey && f.atLast.has(line))))
              return;
            if (key !== f.lastKey) {
              f.lastKey = key;
              f.lastTime = record.kubeTime;
              f.atLast.clear();
            }
            f.atLast.add(line);
          }
          attempt = 0;
          shared.outage.reached();
          counts.linesRead++;
          if (!keep(record)) return;
          counts.linesShown++;
          if ((record.level ?? 0) >= ERROR_LEVEL) counts.errorLines++;
          shared.onLine({ pod: name, container, record });
        },
        podSignal,
      );
    } catch (err) {
      const benign = benignLogError(err);
      if (benign !== undefined) shared.outage.reached(); // the API answered
      if (benign === 'gone') break;
      if (benign === 'waiting' || benign === 'no-previous') {
        // Not started yet, or crash-looping between restarts: retry quietly.
        first = false;
        const delay = backoffDelay(attempt, backoff);
        attempt++;
        await sleep(delay, podSignal);
        continue;
      }
      if (benign === undefined && (httpStatusOf(err) === 403 || httpStatusOf(err) === 401)) {
        shared.fail(mapLogError(clients, err, req.namespace));
        break;
      }
      // The API cannot be reached: the outage tracker speaks for every pod; retry quietly.
      unreachable = shared.outage.failed(err);
      end = { reason: 'error', error: err as Error };
    }
    first = false;
    if (end.reason === 'aborted' || podSignal.aborted) break;
    if (f.terminating && end.reason === 'eof') break;
    const delay = backoffDelay(attempt, backoff);
    attempt++;
    if (end.reason === 'error' && !unreachable) {
      shared.note({
        kind: 'reconnecting',
        pod: name,
        message: `log stream of ${name} was cut (${end.error?.message ?? 'error'}); reconnecting in ${delay} ms`,
      });
    }
    await sleep(delay, podSignal);
  }
  // The entry stays (ended) until the pod is deleted, so later events for a terminating pod
  // do not start a second follower that would print its whole log again.
  f.ended = true;
}
