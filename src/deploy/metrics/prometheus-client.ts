/**
 * A small client for Prometheus's HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * instant queries (`/api/v1/query`) and range queries (`/api/v1/query_range`), with a timeout and
 * errors that say what to fix. Uses the global fetch (Node 20); no dependencies.
 */
import { ClusterUnreachableError } from '../errors.js';
import { redactUrl } from '../output/redact-url.js';
import { type PrometheusAuth, prometheusEndpoint } from './prometheus-auth.js';

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
  /** May carry user and password (sent as basic auth unless `auth` is given; never printed). */
  baseUrl: string;
  /** From --prometheus-token-file or the environment (prometheus-auth.ts). */
  auth?: PrometheusAuth;
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
  /** The base URL without credentials, safe to print. */
  readonly baseUrl: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: PrometheusClientOptions) {
    const endpoint = prometheusEndpoint(options.baseUrl, options.auth);
    this.url = endpoint.url;
    this.baseUrl = endpoint.display;
    this.headers = endpoint.headers;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async call(path: string, params: Record<string, string>): Promise<ApiResponse['data']> {
    const body = new URLSearchParams(params);
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.url}${path}`, {
        method: 'POST',
        headers: {
          ...this.headers,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ClusterUnreachableError(
        `Prometheus at ${this.baseUrl} cannot be reached (${redactUrl((err as Error).message)})`,
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
    if (res.status === 401 || res.status === 403)
      throw new ClusterUnreachableError(
        `Prometheus at ${this.baseUrl} refused the request (HTTP ${res.status}${this.headers.authorization ? ': the credentials were rejected' : ': it needs credentials'}).`,
        {
          hint: 'Give a bearer token with --prometheus-token-file FILE or $PROMETHEUS_TOKEN, or basic auth with $PROMETHEUS_USERNAME and $PROMETHEUS_PASSWORD.',
        },
      );
    if (parsed?.status !== 'success') {
      const why = parsed?.error ?? `HTTP ${res.status} ${text.slice(0, 200)}`;
      if (res.status === 404 && !parsed)
        throw new ClusterUnreachableError(`${this.baseUrl}${path} is not a Prometheus API (HTTP 404)`, {
          hint: 'Give the Prometheus base URL without /api/v1',
        });
      throw new PrometheusQueryError(`Prometheus query failed: ${redactUrl(why)}`);
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
