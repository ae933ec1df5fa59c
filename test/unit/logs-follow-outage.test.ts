import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trackApiOutage } from '../../src/deploy/commands/logs/follow-outage.js';
import type { LogsNote } from '../../src/deploy/commands/logs/types.js';
import { ClusterUnreachableError } from '../../src/deploy/errors.js';
import { KubeApiError } from '../../src/deploy/kube/errors.js';

/** A clock whose timers run when the test advances it. */
function fakeClock(start: number) {
  let t = start;
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => t,
    setTimer(fn: () => void, ms: number) {
      const timer = { at: t + ms, fn, live: true };
      timers.push(timer);
      return () => {
        timer.live = false;
      };
    },
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        const next = timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        t = next.at;
        next.live = false;
        next.fn();
      }
      timers = timers.filter((x) => x.live);
      t = end;
    },
  };
}

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' });
const T0 = Date.UTC(2026, 11, 3, 3, 0, 0);

function setup(giveUpAfterMs = 5 * 60_000) {
  const clock = fakeClock(T0);
  const notes: LogsNote[] = [];
  const failures: Error[] = [];
  const outage = trackApiOutage({
    server: 'https://k8s.example:6443',
    giveUpAfterMs,
    note: (n) => notes.push(n),
    fail: (e) => failures.push(e),
    clock,
  });
  return { clock, notes, failures, outage };
}

describe('logs -f: the API going away', () => {
  it('says once that the connection is lost, however many requests fail', () => {
    const { clock, notes, outage } = setup();
    for (let i = 0; i < 50; i++) {
      assert.equal(outage.failed(refused()), true);
      clock.advance(1000);
    }
    const lost = notes.filter((n) => /lost the connection/.test(n.message));
    assert.equal(lost.length, 1);
    assert.equal(
      lost[0]?.message,
      'lost the connection to the Kubernetes API at https://k8s.example:6443 (connection refused) at 2026-12-03T03:00:00Z; retrying with backoff, giving up after 5m (--give-up-after)',
    );
    // 50 s gone: one "still unreachable" note (at 30 s), not one per second.
    assert.equal(notes.length, 2);
    assert.match(
      notes[1]?.message ?? '',
      /still unreachable \(30s, since 2026-12-03T03:00:00Z; connection refused\); giving up in 4m30s/,
    );
  });

  it('notes back off (30s, 1m, 2m...) and it gives up after --give-up-after with since when (exit 5)', () => {
    const { clock, notes, failures, outage } = setup();
    outage.failed(refused());
    clock.advance(5 * 60_000 + 1);
    const elapsed = notes.slice(1).map((n) => /still unreachable \(([^,]+),/.exec(n.message)?.[1]);
    assert.deepEqual(elapsed, ['30s', '90s', '3m30s']);
    assert.equal(failures.length, 1);
    const err = failures[0];
    assert.ok(err instanceof ClusterUnreachableError);
    assert.equal(err.exitCode, 5);
    assert.equal(
      err.message,
      'Gave up following the logs: the Kubernetes API at https://k8s.example:6443 has been unreachable since 2026-12-03T03:00:00Z (5m; connection refused).',
    );
    assert.match(err.hint ?? '', /--give-up-after/);
  });

  it('says when it is back, and a later loss starts a new count', () => {
    const { clock, notes, failures, outage } = setup(60_000);
    outage.failed(refused());
    clock.advance(45_000);
    outage.reached();
    assert.match(notes.at(-1)?.message ?? '', /answers again after 45s/);
    clock.advance(60_000);
    assert.equal(failures.length, 0, 'the give-up timer was cancelled');
    outage.reached();
    assert.equal(notes.filter((n) => n.kind === 'api-back').length, 1, 'back is said once');
    outage.failed(refused());
    clock.advance(59_000);
    assert.equal(failures.length, 0);
    clock.advance(1000);
    assert.equal(failures.length, 1);
  });

  it('HTTP answers (a 500, a 404) and cut streams are not an outage', () => {
    const { notes, outage } = setup();
    assert.equal(
      outage.failed(new KubeApiError(500, { message: 'etcd' }, { method: 'GET', path: '/x' })),
      false,
    );
    assert.equal(outage.failed(new Error('the stream was cut')), false);
    assert.equal(notes.length, 0);
  });
});
