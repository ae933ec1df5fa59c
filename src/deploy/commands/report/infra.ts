/**
 * Infrastructure health for the monthly report, from one of two sources (the report says which):
 * - Prometheus's HTTP API over the report period (`collectInfraFromPrometheus`): worker job
 *   counters (preview_worker_jobs_total, preview_worker_job_duration_seconds), ALERTS, the worker's
 *   process metrics, and kube-state-metrics / cAdvisor series when they are present;
 * - the cluster as it is now (`infraFromClusterStatus`, from the status snapshot of
 *   health/status-read.ts): restart counts and last terminations of the current pods, metrics.k8s.io
 *   usage against limits, and the queue's retained job counts. Not limited to the period; no alert history.
 * A query that returns nothing is reported as "not available", never as 0.
 */

import type { StatusResult } from '../../health/status-types.js';
import { type PrometheusClient, type PromSeries, sumSamples } from '../../metrics/prometheus-client.js';

export interface Figure {
  /** null when not available. */
  value: number | null;
  note?: string;
}

export interface ResourcePeak {
  /** Peak usage (cores or bytes), null when not available. */
  peak: number | null;
  /** The container limit (cores or bytes), null when not available. */
  limit: number | null;
  /** peak / limit * 100, null unless both are known. */
  pctOfLimit: number | null;
  note?: string;
}

export interface AlertCount {
  alertname: string;
  severity?: string;
  /** Separate firing episodes in the period. */
  episodes: number;
  /** Approximate time spent firing (sum of episodes), seconds. */
  firingSeconds: number;
}

export interface JobThroughput {
  available: boolean;
  note?: string;
  /** Counter increase per outcome (completed, failed, retrying, invalid, dry_run). */
  byOutcome: Record<string, number>;
  /** completed + failed + invalid + dry_run: jobs that reached an end. */
  processed: number;
  /** failed / (completed + failed): renders that failed; null when none ran. */
  failureRatio: number | null;
  perDay: number | null;
  p50Seconds?: number | null;
  p95Seconds?: number | null;
}

export interface InfraHealth {
  source: 'prometheus' | 'cluster';
  /** One sentence naming the source and what it covers. */
  sourceDetail: string;
  window: { start: string; end: string } | null;
  restarts: Figure;
  oomKills: Figure;
  cpu: ResourcePeak;
  memory: ResourcePeak;
  alerts: { available: boolean; note?: string; firing: AlertCount[] };
  jobs: JobThroughput;
  notes: string[];
}

const TERMINAL = ['completed', 'failed', 'invalid', 'dry_run'];

export function throughputFrom(byOutcome: Record<string, number>, days: number | null): JobThroughput {
  const processed = TERMINAL.reduce((s, k) => s + (byOutcome[k] ?? 0), 0);
  const ran = (byOutcome.completed ?? 0) + (byOutcome.failed ?? 0);
  return {
    available: true,
    byOutcome,
    processed,
    failureRatio: ran === 0 ? null : (byOutcome.failed ?? 0) / ran,
    perDay: days ? processed / days : null,
  };
}

/**
 * Exact counter increase over a range query's points, per series, summed by `by`: drops are
 * counter resets (the new value counts from 0), and a series that first appears after the window
 * started counts its first value (the process started inside the window, from 0). Unlike PromQL's
 * increase(), nothing is extrapolated, so the numbers are whole and match what the workers did.
 */
export function counterIncrease(
  series: PromSeries[],
  by: string,
  windowStartSec: number,
  stepSec: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of series) {
    const key = s.metric[by] ?? '';
    let total = 0;
    const first = s.values[0];
    if (!first) continue;
    if (first[0] > windowStartSec + stepSec) total += first[1];
    for (let i = 1; i < s.values.length; i++) {
      const prev = (s.values[i - 1] as [number, number])[1];
      const cur = (s.values[i] as [number, number])[1];
      total += cur >= prev ? cur - prev : cur;
    }
    out[key] = (out[key] ?? 0) + total;
  }
  for (const k of Object.keys(out)) out[k] = Math.round((out[k] as number) * 1e6) / 1e6;
  return out;
}

/** Firing episodes per alert from a range query of ALERTS{alertstate="firing"}. */
export function alertEpisodes(series: PromSeries[], stepSec: number): AlertCount[] {
  const byName = new Map<string, AlertCount>();
  for (const s of series) {
    const name = s.metric.alertname ?? 'unknown';
    const entry = byName.get(name) ?? {
      alertname: name,
      ...(s.metric.severity ? { severity: s.metric.severity } : {}),
      episodes: 0,
      firingSeconds: 0,
    };
    let last: number | undefined;
    for (const [t] of s.values) {
      if (last === undefined || t - last > stepSec * 1.5) entry.episodes++;
      else entry.firingSeconds += t - last;
      last = t;
    }
    byName.set(name, entry);
  }
  return [...byName.values()].sort((a, b) => b.episodes - a.episodes || (a.alertname < b.alertname ? -1 : 1));
}

export interface PrometheusInfraOptions {
  /** PromQL label matchers selecting the worker's series, without braces: namespace="production". */
  selector: string;
  start: Date;
  end: Date;
}

/** Reads infrastructure health for [start, end) from Prometheus. */
export async function collectInfraFromPrometheus(
  client: PrometheusClient,
  options: PrometheusInfraOptions,
): Promise<InfraHealth> {
  const { selector, start, end } = options;
  const rangeSec = Math.max(1, Math.round((end.getTime() - start.getTime()) / 1000));
  const range = `${rangeSec}s`;
  // At most ~10,000 points per series (Prometheus refuses more than 11,000).
  const step = Math.max(1, Math.ceil(rangeSec / 10_000));
  // Range points are aligned to the query's start: start a whole number of steps before `end`, so
  // the last point is exactly at `end` (otherwise up to one step of data at the end is missed).
  const rangeStart = new Date(end.getTime() - Math.ceil(rangeSec / step) * step * 1000);
  const notes: string[] = [];
  const sel = (extra = '') => `{${[selector, extra].filter(Boolean).join(',')}}`;
  const instant = async (q: string) => sumSamples(await client.query(q, end));
  const days = rangeSec / 86_400;
  /** The first query (in order of preference) that returns something, with the metric it used. */
  const firstAvailable = async (
    queries: Array<[string, string]>,
  ): Promise<{ value: number | null; metric: string }> => {
    for (const [metric, q] of queries) {
      const value = await instant(q);
      if (value !== null) return { value, metric };
    }
    return { value: null, metric: queries.map(([m]) => m).join(' or ') };
  };

  const [jobsSeries, quantiles, restarts, ooms, alerts, cpuPeak, memPeak, cpuLimit, memLimit] =
    await Promise.all([
      client.queryRange(`preview_worker_jobs_total${sel()}`, rangeStart, end, step),
      Promise.all(
        [0.5, 0.95].map((q) =>
          instant(
            `histogram_quantile(${q}, sum by (le) (increase(preview_worker_job_duration_seconds_bucket${sel('outcome=~"completed|failed"')}[${range}])))`,
          ),
        ),
      ),
      instant(`sum(increase(kube_pod_container_status_restarts_total${sel()}[${range}]))`),
      instant(
        `count(max_over_time(kube_pod_container_status_last_terminated_reason${sel('reason="OOMKilled"')}[${range}]) > 0)`,
      ).then(async (v) => {
        if (v !== null) return v;
        // count() of nothing is empty: tell "no OOM kills" from "metric absent".
        const present = await instant(`count(kube_pod_container_status_last_terminated_reason${sel()})`);
        return present === null ? null : 0;
      }),
      client.queryRange(`ALERTS${sel('alertstate="firing"')}`, rangeStart, end, step),
      // cAdvisor's container series where Kubernetes exposes them, else the worker's own process metrics.
      firstAvailable([
        [
          'container_cpu_usage_seconds_total',
          `max(max_over_time(sum by (pod) (rate(container_cpu_usage_seconds_total${sel('container!="",container!="POD"')}[5m]))[${range}:${Math.max(60, step)}s]))`,
        ],
        [
          'process_cpu_seconds_total',
          `max(max_over_time(rate(process_cpu_seconds_total${sel()}[1m])[${range}:${Math.max(15, step)}s]))`,
        ],
      ]),
      firstAvailable([
        [
          'container_memory_working_set_bytes',
          `max(max_over_time(sum by (pod) (container_memory_working_set_bytes${sel('container!="",container!="POD"')})[${range}:${Math.max(60, step)}s]))`,
        ],
        [
          'process_resident_memory_bytes',
          `max(max_over_time(process_resident_memory_bytes${sel()}[${range}]))`,
        ],
      ]),
      instant(`max(kube_pod_container_resource_limits${sel('resource="cpu"')})`),
      instant(`max(kube_pod_container_resource_limits${sel('resource="memory"')})`),
    ]);

  const startSec = rangeStart.getTime() / 1000;
  let jobs: JobThroughput;
  if (jobsSeries.length === 0) {
    jobs = {
      available: false,
      note: `not available: preview_worker_jobs_total${sel()} returned no series`,
      byOutcome: {},
      processed: 0,
      failureRatio: null,
      perDay: null,
    };
  } else {
    jobs = throughputFrom(counterIncrease(jobsSeries, 'outcome', startSec, step), days);
    jobs.p50Seconds = quantiles[0] ?? null;
    jobs.p95Seconds = quantiles[1] ?? null;
  }
  const peak = (used: { value: number | null; metric: string }, limit: number | null): ResourcePeak => ({
    peak: used.value,
    limit,
    pctOfLimit: used.value !== null && limit ? (used.value / limit) * 100 : null,
    note:
      used.value === null
        ? `not available: no ${used.metric} series`
        : `peak of ${used.metric} over the period${limit === null ? '; limit not available (kube-state-metrics kube_pod_container_resource_limits absent)' : ''}`,
  });
  const na = (metric: string): Figure => ({ value: null, note: `not available: ${metric} returned nothing` });
  return {
    source: 'prometheus',
    sourceDetail: `Prometheus ${client.baseUrl}, series matching {${selector}} from ${start.toISOString()} to ${end.toISOString()}`,
    window: { start: start.toISOString(), end: end.toISOString() },
    restarts:
      restarts === null ? na('kube_pod_container_status_restarts_total') : { value: Math.round(restarts) },
    oomKills:
      ooms === null
        ? na('kube_pod_container_status_last_terminated_reason')
        : { value: ooms, note: 'containers whose last termination in the period was OOMKilled' },
    cpu: peak(cpuPeak, cpuLimit),
    memory: peak(memPeak, memLimit),
    alerts: { available: true, firing: alertEpisodes(alerts, step) },
    jobs,
    notes,
  };
}

/** Infrastructure health from the cluster as it is now (the status action's result). */
export function infraFromClusterStatus(status: StatusResult): InfraHealth {
  const notes = [...status.notes];
  const restarts = status.pods.reduce((s, p) => s + p.restarts, 0);
  const ooms = status.pods.filter((p) => p.health.lastTermination?.reason === 'OOMKilled').length;
  const worst = (pick: 'cpu' | 'memory'): ResourcePeak => {
    if (!status.resources.available || status.resources.pods.length === 0)
      return {
        peak: null,
        limit: null,
        pctOfLimit: null,
        note: `not available: ${status.resources.note ?? 'no pod metrics (metrics.k8s.io)'}`,
      };
    let best = status.resources.pods[0]?.[pick];
    for (const p of status.resources.pods) {
      const f = p[pick];
      if (
        (f.pctOfLimit ?? -1) > (best?.pctOfLimit ?? -1) ||
        (best?.pctOfLimit === undefined && f.usage > (best?.usage ?? 0))
      )
        best = f;
    }
    return {
      peak: best?.usage ?? null,
      limit: best?.limit ?? null,
      pctOfLimit: best?.pctOfLimit ?? null,
      note: 'current usage of the busiest pod (metrics.k8s.io), not a peak over the period',
    };
  };
  const q = status.queue;
  const jobs: JobThroughput =
    q?.available && (q.completed !== undefined || q.failed !== undefined)
      ? {
          ...throughputFrom({ completed: q.completed ?? 0, failed: q.failed ?? 0 }, null),
          note: 'jobs the queue currently retains (preview_worker_queue_jobs), not a count over the period',
        }
      : {
          available: false,
          note: `not available: ${q?.note ?? 'the workers did not report queue metrics'}`,
          byOutcome: {},
          processed: 0,
          failureRatio: null,
          perDay: null,
        };
  return {
    source: 'cluster',
    sourceDetail: `current state of namespace ${status.namespace} (pods, metrics.k8s.io, worker /metrics) at ${status.generatedAt}; no --prometheus-url was given, so nothing here covers the whole period`,
    window: null,
    restarts: { value: restarts, note: `restart counts of the ${status.pods.length} current pods` },
    oomKills: { value: ooms, note: 'current pods whose last termination was OOMKilled' },
    cpu: worst('cpu'),
    memory: worst('memory'),
    alerts: {
      available: false,
      note: 'not available without --prometheus-url (alert history lives in Prometheus)',
      firing: [],
    },
    jobs,
    notes,
  };
}
