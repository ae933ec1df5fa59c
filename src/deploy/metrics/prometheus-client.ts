/**
 * A small client for Prometheus's HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * instant queries (`/api/v1/query`) and range queries (`/api/v1/query_range`), with a timeout and
 * errors that say what to fix. Uses the global fetch (Node 20); no dependencies.
 */
import { ClusterUnreachableError, ConfigError } from '../errors.js';

export interface PromSample {
  metric: Record<string, string>;
  /** [unix seconds, value] */
  value: [number, number];
}

export interface PromSeries {
  metric: Record<string, string>;
  values: Array<[number, number]>;
}

export interface PrometheusClientOptions {
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface ApiResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  errorType?: string;
  error?: string;
}

export class PrometheusQueryError extends Error {
  override name = 'PrometheusQueryError';
}

export class PrometheusClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ConfigError(`--prometheus-url "${options.baseUrl}" is not a URL`, {
        hint: 'Give the Prometheus base URL, for example http://prometheus.monitoring:9090',
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`--prometheus-url must be http or https (got ${url.protocol})`);
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async call(path: string, params: Record<string, string>): Promise<ApiResponse['data']> {
    const body = new URLSearchParams(params);
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ClusterUnreachableError(
        `Prometheus at ${this.baseUrl} cannot be reached (${(err as Error).message})`,
        {
          hint: 'Check --prometheus-url (port-forward: kubectl port-forward svc/prometheus 9090)',
          cause: err,
        },
      );
    }
    const text = await res.text();
    let parsed: ApiResponse | undefined;
    try {
      parsed = JSON.parse(text) as ApiResponse;
    } catch {
      /* not JSON: handled below */
    }
    if (parsed?.status !== 'success') {
      const why = parsed?.error ?? `HTTP ${res.status} ${text.slice(0, 200)}`;
      if (res.status === 404 && !parsed)
        throw new ClusterUnreachableError(`${this.baseUrl}${path} is not a Prometheus API (HTTP 404)`, {
          hint: 'Give the Prometheus base URL without /api/v1',
        });
      throw new PrometheusQueryError(`Prometheus query failed: ${why}`);
    }
    return parsed.data;
  }

  /** Instant query at `time` (default: the server's now). */
  async query(promql: string, time?: Date): Promise<PromSample[]> {
    const data = await this.call('/api/v1/query', {
      query: promql,
      ...(time ? { time: String(time.getTime() / 1000) } : {}),
    });
    if (data?.resultType === 'scalar') {
      const [t, v] = data.result as unknown as [number, string];
      return [{ metric: {}, value: [t, Number(v)] }];
    }
    return ((data?.result ?? []) as Array<{ metric: Record<string, string>; value: [number, string] }>).map(
      (r) => ({ metric: r.metric, value: [r.value[0], Number(r.value[1])] }),
    );
  }

  /** Range query over [start, end] at `stepSeconds`. */
  async queryRange(promql: string, start: Date, end: Date, stepSeconds: number): Promise<PromSeries[]> {
    const data = await this.call('/api/v1/query_range', {
      query: promql,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    return (
      (data?.result ?? []) as Array<{ metric: Record<string, string>; values: [number, string][] }>
    ).map((r) => ({
      metric: r.metric,
      values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]),
    }));
  }
}

/** Sum of the instant values of a result, or null when the query returned nothing. */
export function sumSamples(samples: PromSample[]): number | null {
  if (samples.length === 0) return null;
  let total = 0;
  for (const s of samples) if (Number.isFinite(s.value[1])) total += s.value[1];
  return total;
}
