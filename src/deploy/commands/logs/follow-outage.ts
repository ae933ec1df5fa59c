/**
 * `logs -f` when the Kubernetes API cannot be reached: one note when the connection is lost, rare
 * notes with the time it has been gone (after 30 s, then doubling up to every 5 min, by
 * backoffDelay), one note when it answers again, and after --give-up-after an exit 5 error that
 * says since when it has been unreachable. The followers keep reconnecting with their own backoff;
 * this only decides what is said and when to stop. Time is injected for the tests.
 */
import { ClusterUnreachableError } from '../../errors.js';
import { backoffDelay, describeNetworkError, httpStatusOf, networkErrorCode } from '../../kube/errors.js';
import { humanDuration } from '../../output/duration.js';
import type { LogsNote } from './types.js';

/** --give-up-after's default. */
export const DEFAULT_GIVE_UP_AFTER_MS = 5 * 60_000;
/** When the "still unreachable" notes come: 30 s after the loss, then doubling, at most every 5 min. */
export const OUTAGE_NOTE_BACKOFF = { baseDelayMs: 30_000, maxDelayMs: 300_000 };

export interface OutageClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

const realClock: OutageClock = {
  now: Date.now,
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export interface ApiOutageOptions {
  /** The API server, already redacted (KubeClients.target.server). */
  server: string;
  giveUpAfterMs: number;
  note: (n: LogsNote) => void;
  /** Ends the follow (exit 5). */
  fail: (err: Error) => void;
  clock?: OutageClock;
}

export interface ApiOutage {
  /** Reports a failed request: true when it means the API cannot be reached (then say nothing more). */
  failed(err: unknown): boolean;
  /** Something came back from the API: ends an outage. */
  reached(): void;
  /** Stops the timers. */
  close(): void;
}

/** Whether a failure means the API server cannot be reached at all (no HTTP answer). */
export function isUnreachable(err: unknown): boolean {
  return httpStatusOf(err) === undefined && networkErrorCode(err) !== undefined;
}

const timeText = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function trackApiOutage(opts: ApiOutageOptions): ApiOutage {
  const clock = opts.clock ?? realClock;
  let since: number | undefined;
  let why = '';
  let cancel: (() => void)[] = [];
  let notesSaid = 0;
  let closed = false;

  const stopTimers = () => {
    for (const c of cancel) c();
    cancel = [];
  };
  const scheduleNote = () => {
    const delay = backoffDelay(notesSaid, OUTAGE_NOTE_BACKOFF);
    cancel.push(
      clock.setTimer(() => {
        if (since === undefined || closed) return;
        const elapsed = clock.now() - since;
        const left = opts.giveUpAfterMs - elapsed;
        if (left <= 0) return;
        notesSaid++;
        opts.note({
          kind: 'api-unreachable',
          message: `the Kubernetes API at ${opts.server} is still unreachable (${humanDuration(elapsed)}, since ${timeText(since)}; ${why}); giving up in ${humanDuration(left)}`,
        });
        scheduleNote();
      }, delay),
    );
  };

  return {
    failed(err) {
      if (!isUnreachable(err)) return false;
      if (since !== undefined || closed) return true;
      since = clock.now();
      why = describeNetworkError(networkErrorCode(err) ?? '');
      notesSaid = 0;
      const start = since;
      opts.note({
        kind: 'api-unreachable',
        message: `lost the connection to the Kubernetes API at ${opts.server} (${why}) at ${timeText(start)}; retrying with backoff, giving up after ${humanDuration(opts.giveUpAfterMs)} (--give-up-after)`,
      });
      scheduleNote();
      cancel.push(
        clock.setTimer(() => {
          if (since !== start || closed) return;
          opts.fail(
            new ClusterUnreachableError(
              `Gave up following the logs: the Kubernetes API at ${opts.server} has been unreachable since ${timeText(start)} (${humanDuration(clock.now() - start)}; ${why}).`,
              {
                hint: 'Check the API server and your network (`kubectl cluster-info` with the same context), then run the same command again; --give-up-after sets how long to keep trying.',
                cause: err,
              },
            ),
          );
        }, opts.giveUpAfterMs),
      );
      return true;
    },
    reached() {
      if (since === undefined || closed) return;
      const elapsed = clock.now() - since;
      since = undefined;
      stopTimers();
      opts.note({
        kind: 'api-back',
        message: `the Kubernetes API at ${opts.server} answers again after ${humanDuration(elapsed)}; following resumes from each pod's last line`,
      });
    },
    close() {
      closed = true;
      stopTimers();
    },
  };
}
