/**
 * The checks of one worker's own endpoints: /livez and /readyz answer 200, and /metrics parses and
 * carries every metric name the worker registers.
 */
import { WORKER_PATH } from '../../contract/http.js';
import { METRIC } from '../../contract/metrics.js';
import { metricFamilies, parsePrometheusText } from '../metrics/prom-text.js';
import { plural } from '../output/plural.js';
import { describeFailure, ms, shortBody } from './verify-evidence.js';
import type { VerifyCheck, WorkerEndpoint } from './verify-types.js';

/** Metric names every worker must expose (DESIGN.md §3). */
export const WORKER_METRIC_NAMES = [
  METRIC.jobsTotal,
  METRIC.jobDurationSeconds,
  METRIC.queueJobs,
  METRIC.activeJobs,
  METRIC.stalledJobsTotal,
  METRIC.buildInfo,
] as const;

/** /livez and /readyz of one worker, as one check. */
export async function checkHealthEndpoints(
  endpoint: WorkerEndpoint,
  timeoutMs: number,
  pod?: string,
): Promise<VerifyCheck> {
  const name = pod ? `pod ${pod} /livez /readyz` : '/livez /readyz';
  const parts: string[] = [];
  let ok = true;
  const started = performance.now();
  for (const path of [WORKER_PATH.livez, WORKER_PATH.readyz]) {
    try {
      const res = await endpoint.request('GET', path, { timeoutMs });
      if (res.statusCode === 200) parts.push(`${path} 200 in ${ms(res.durationMs)}`);
      else {
        ok = false;
        parts.push(
          `${path} ${res.statusCode}${res.fromApiServer ? ' from the API server (pod not reachable)' : ''}: ${shortBody(res.body)}`,
        );
      }
    } catch (err) {
      ok = false;
      parts.push(`${path} failed: ${describeFailure(err)}`);
    }
  }
  return {
    name,
    status: ok ? 'pass' : 'fail',
    evidence: parts.join('; '),
    pod,
    durationMs: performance.now() - started,
  };
}

/** /metrics parses and carries the worker's metric names. */
export async function checkMetricsEndpoint(
  endpoint: WorkerEndpoint,
  timeoutMs: number,
  pod?: string,
): Promise<VerifyCheck> {
  const path = WORKER_PATH.metrics;
  const name = pod ? `pod ${pod} ${path}` : path;
  const started = performance.now();
  try {
    const res = await endpoint.request('GET', path, { timeoutMs });
    if (res.statusCode !== 200) {
      return {
        name,
        status: 'fail',
        evidence: `${path} answered ${res.statusCode}: ${shortBody(res.body)}`,
        pod,
      };
    }
    const parsed = parsePrometheusText(res.body);
    const families = metricFamilies(parsed);
    const missing = WORKER_METRIC_NAMES.filter((m) => !families.has(m));
    const problems: string[] = [];
    if (parsed.errors.length)
      problems.push(
        `${parsed.errors.length} unparsable line(s), first: line ${parsed.errors[0].line}: ${parsed.errors[0].error}`,
      );
    if (missing.length) problems.push(`missing ${missing.join(', ')}`);
    if (problems.length)
      return {
        name,
        status: 'fail',
        evidence: problems.join('; '),
        pod,
        durationMs: performance.now() - started,
      };
    return {
      name,
      status: 'pass',
      evidence: `${plural(parsed.samples.length, 'sample')}; all ${WORKER_METRIC_NAMES.length} worker metrics present`,
      pod,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return { name, status: 'fail', evidence: `${path} failed: ${describeFailure(err)}`, pod };
  }
}
