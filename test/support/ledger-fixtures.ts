/**
 * Deterministic generator of realistic ledgers for report tests and benchmarks: hundreds to tens
 * of thousands of deploy, rollback and incident records over months, from a seeded PRNG (the same
 * seed gives byte-identical records).
 *
 * The shape follows what deploy/rollback/incident write: deploys mostly on weekdays in working
 * hours; durations log-normal around 4 minutes; about 7% rolled back automatically (failure class
 * weighted: CrashLoopBackOff, VerifyFailed, ImagePullBackOff, OOMKilled, ProgressDeadlineExceeded),
 * 1.5% failed for good (fixed forward by the next deploy), 2.5% rolled back by hand hours later,
 * incidents after some deploys (linked by id or only by time) and a few unrelated ones, commit
 * times for 75% of deploys, a deploy still in progress at the end, and rare clock skew.
 *
 *   const { records, incidents } = generateLedger({ seed: 42, days: 120, deploysPerDay: 3 });
 */
import type { IncidentRecord } from '../../src/deploy/incidents/record.js';
import type { DeploymentRecord } from '../../src/deploy/ledger/record.js';

/** mulberry32: small, fast, good enough for fixtures. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LedgerFixtureOptions {
  seed?: number;
  /** The ledger ends here (default 2026-03-15T00:00Z); the report's "now". */
  end?: Date;
  days?: number;
  /** Average deploys per working day. */
  deploysPerDay?: number;
  namespace?: string;
  environment?: string;
  /** Stop after this many deploy records (for exact sizes in benchmarks). */
  maxDeploys?: number;
}

export interface LedgerFixture {
  records: DeploymentRecord[];
  incidents: IncidentRecord[];
  end: Date;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CLASSES: Array<[string, number]> = [
  ['CrashLoopBackOff', 0.35],
  ['VerifyFailed', 0.25],
  ['ImagePullBackOff', 0.15],
  ['OOMKilled', 0.15],
  ['ProgressDeadlineExceeded', 0.1],
];
const MANUAL_REASONS = [
  'latency regression',
  'error rate up after deploy',
  'wrong feature flag',
  'memory growth',
];

export function generateLedger(options: LedgerFixtureOptions = {}): LedgerFixture {
  const rnd = seededRandom(options.seed ?? 42);
  const end = options.end ?? new Date('2026-03-15T00:00:00.000Z');
  const days = options.days ?? 120;
  const perDay = options.deploysPerDay ?? 2.5;
  const namespace = options.namespace ?? 'production';
  const environment = options.environment ?? 'production';
  const maxDeploys = options.maxDeploys ?? Number.POSITIVE_INFINITY;
  const start = end.getTime() - days * DAY;
  const records: DeploymentRecord[] = [];
  const incidents: IncidentRecord[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const logNormal = (median: number, sigma: number) => {
    const u = Math.max(1e-9, rnd());
    const v = rnd();
    return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  };
  let n = 0;
  let revision = 1;
  const base = {
    schemaVersion: 1,
    namespace,
    environment,
    deployment: 'preview-worker',
    phases: {},
  };
  const newIncident = (
    id: string,
    opened: number,
    resolvedAfter: number | null,
    level: 1 | 2 | 3,
    extra = {},
  ) => {
    const openedAt = iso(opened);
    const resolvedAt = resolvedAfter === null ? undefined : iso(opened + resolvedAfter);
    incidents.push({
      schemaVersion: 1,
      id,
      kind: 'incident',
      namespace,
      environment,
      startedAt: openedAt,
      level,
      summary: `generated incident ${id}`,
      status: resolvedAt ? 'resolved' : 'open',
      openedAt,
      updatedAt: resolvedAt ?? openedAt,
      ...(resolvedAt
        ? { resolvedAt, cause: pick(['bad config', 'redis failover', 'node drain', 'regression']) }
        : {}),
      timeline: [{ at: openedAt, by: 'oncall', text: `opened at level ${level}`, type: 'opened' }],
      openedBy: 'oncall',
      ...extra,
    } as IncidentRecord);
  };

  for (let day = 0; day < days && n < maxDeploys; day++) {
    const dayStart = start + day * DAY;
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const expected = weekend ? perDay * 0.1 : perDay * (7 / 5.2);
    let count = Math.floor(expected);
    if (rnd() < expected - count) count++;
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(dayStart + 8 * HOUR + rnd() * 10 * HOUR);
    times.sort((a, b) => a - b);
    for (const t of times) {
      if (n >= maxDeploys) break;
      n++;
      const id = `g${String(n).padStart(6, '0')}`;
      const durationMs = Math.round(Math.min(40 * MIN, Math.max(40_000, logNormal(4 * MIN, 0.45))));
      const image = `ghcr.io/mobius-org/mobius-preview-worker:1.${Math.floor(n / 10)}.${n % 10}`;
      const r = rnd();
      const rec: DeploymentRecord = {
        ...base,
        id,
        kind: 'deploy',
        startedAt: iso(t),
        finishedAt: iso(t + durationMs),
        durationMs,
        image,
        actor: pick(['ci:github-actions', 'alice@laptop', 'bob@laptop']),
        source: 'ci:github-actions',
        result: 'succeeded',
        revisionBefore: revision,
        revisionAfter: ++revision,
      } as DeploymentRecord;
      if (rnd() < 0.75)
        rec.git = {
          commit: n.toString(16).padStart(8, '0'),
          committedAt: iso(t - Math.round(logNormal(5 * HOUR, 1.1))),
        };
      if (r < 0.07) {
        let x = rnd();
        rec.failureClass = 'CrashLoopBackOff';
        for (const [cls, weight] of CLASSES) {
          x -= weight;
          if (x <= 0) {
            rec.failureClass = cls;
            break;
          }
        }
        rec.failureMessage = `${rec.failureClass} in generated deploy`;
        const detected = t + Math.round(durationMs * 0.6);
        rec.failureDetectedAt = iso(detected);
        rec.result = 'rolled_back';
        rec.restoredAt = iso(t + durationMs);
        rec.rollback = { reason: rec.failureClass, toRevision: revision - 1, result: 'succeeded' };
        rec.verify = { passed: false, total: 6, failed: 1, failedChecks: ['readyz'] };
        if (rnd() < 0.2) newIncident(`inc-${id}`, detected + 2 * MIN, 40 * MIN, 2, { relatedDeployId: id });
      } else if (r < 0.085) {
        rec.failureClass = pick(['OOMKilled', 'Timeout', 'RollbackFailed']);
        rec.failureDetectedAt = iso(t + durationMs - MIN);
        rec.result = 'failed';
        newIncident(`inc-${id}`, t + durationMs, Math.round(logNormal(3 * HOUR, 0.8)), 2, {
          relatedDeployId: id,
          automatic: true,
        });
      } else {
        rec.verify = { passed: true, total: 6, failed: 0, failedChecks: [] };
        if (r < 0.11) {
          // Rolled back by hand a few hours later.
          const at = t + durationMs + Math.round(logNormal(2 * HOUR, 0.7));
          const rbDuration = Math.round(logNormal(2 * MIN, 0.3));
          records.push(rec);
          records.push({
            ...base,
            id: `${id}-rb`,
            kind: 'rollback',
            startedAt: iso(at),
            finishedAt: iso(at + rbDuration),
            durationMs: rbDuration,
            actor: 'oncall@laptop',
            reason: pick(MANUAL_REASONS),
            result: 'succeeded',
            rollback: { reason: 'manual', toRevision: revision - 1, result: 'succeeded' },
          } as DeploymentRecord);
          continue;
        }
        if (r < 0.13)
          newIncident(
            `inc-${id}`,
            t + durationMs + Math.round(rnd() * 12 * HOUR),
            Math.round(logNormal(HOUR, 0.9)),
            1,
          );
      }
      if (rnd() < 0.004) rec.finishedAt = iso(t - 30_000); // clock skew between machines
      records.push(rec);
    }
    if (rnd() < 0.02)
      newIncident(
        `inc-day${day}`,
        dayStart + rnd() * DAY,
        Math.round(logNormal(45 * MIN, 0.8)),
        pick([1, 1, 2, 3]),
      );
  }
  // A deploy still running when the report is made.
  if (n < maxDeploys || options.maxDeploys === undefined) {
    records.push({
      ...base,
      id: 'g-running',
      kind: 'deploy',
      startedAt: iso(end.getTime() - 3 * MIN),
      image: 'ghcr.io/mobius-org/mobius-preview-worker:next',
      actor: 'ci:github-actions',
      result: 'in_progress',
    } as DeploymentRecord);
  }
  return { records, incidents, end };
}

/**
 * Exactly `total` records (deploys, rollbacks and incidents together): the newest ones, so the
 * ledger still ends at the report time. Generate more than needed, then trim.
 */
export function newestRecords(fixture: LedgerFixture, total: number): LedgerFixture {
  const all: Array<DeploymentRecord | IncidentRecord> = [...fixture.records, ...fixture.incidents];
  all.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? 1 : -1));
  const keep = all.slice(0, total);
  return {
    records: keep.filter((r): r is DeploymentRecord => r.kind !== 'incident'),
    incidents: keep.filter((r): r is IncidentRecord => r.kind === 'incident'),
    end: fixture.end,
  };
}
