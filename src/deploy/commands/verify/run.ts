/**
 * The `verify` action: a checklist proving the worker is rolled out and serving.
 * Never prints (progress goes to an optional reporter). Reused by deploy and rollback:
 *
 *   const result = await runVerify(clients, { namespace, deployment: 'preview-worker' });
 *   if (!result.passed) ...
 *
 * Checks (each { name, status: pass|fail|warn|skip, evidence }):
 *   namespace, rollout (kubectl rollout status rules), pods (all ready, no restart within the
 *   window), service endpoints (EndpointSlices, else Endpoints), per pod /livez + /readyz through
 *   the pod proxy, /metrics (parses, carries the worker's metric names), and with `smoke` a
 *   dry-run preview job submitted through one pod and polled until it completes.
 * `runVerifyUrl` runs the endpoint, metrics and smoke checks against a worker URL directly.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, NamespaceNotFoundError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import { httpStatusOf, isNotFound, networkErrorCode } from '../../kube/errors.js';
import { findDeployment } from '../../kube/find-deployment.js';
import { classifyPodHealth } from '../../kube/pod-health.js';
import { podProxyRequest } from '../../kube/pod-proxy.js';
import { deploymentRolloutStatus, labelSelectorToString } from '../../kube/rollout.js';
import { metricFamilies, parsePrometheusText } from '../../metrics/prom-text.js';
import type { ProgressReporter } from '../../output/progress.js';
import { sleep as pause } from '../../util/sleep.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface VerifyCheck {
  name: string;
  status: CheckStatus;
  evidence: string;
  /** The pod the check is about, when it is about one. */
  pod?: string;
  durationMs?: number;
}

export interface VerifyResult {
  kind: 'VerifyResult';
  /** True when no check failed (warn and skip do not fail). */
  passed: boolean;
  target: { namespace?: string; deployment?: string; url?: string; context?: string };
  checks: VerifyCheck[];
  summary: { pass: number; fail: number; warn: number; skip: number };
  /** The smoke job's id, when one was submitted. */
  smokeJobId?: string;
  startedAt: string;
  durationMs: number;
}

/** Metric names every worker must expose (DESIGN.md §3). */
export const WORKER_METRIC_NAMES = [
  'preview_worker_jobs_total',
  'preview_worker_job_duration_seconds',
  'preview_worker_queue_jobs',
  'preview_worker_active_jobs',
  'preview_worker_stalled_jobs_total',
  'preview_worker_build_info',
] as const;

interface CommonVerifyOptions {
  /** Timeout for each health/metrics request (default 5 s). */
  timeoutMs?: number;
  smoke?: boolean;
  /** How long the smoke job may take (default 60 s). */
  smokeTimeoutMs?: number;
  /** Bearer token for /v1 (never printed). */
  apiToken?: string;
  progress?: ProgressReporter;
  now?: () => number;
  /** Poll interval for the smoke job (default 500 ms). */
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface VerifyOptions extends CommonVerifyOptions {
  namespace: string;
  deployment?: string;
  /** Service name (default: the deployment's name, else one selecting its pods). */
  service?: string;
  /** A restart within this window fails the pods check (default 10 minutes). */
  restartWindowMs?: number;
  workerPort?: number;
  /** Read the API token from this Secret when apiToken is not given. */
  apiTokenSecret?: string;
  apiTokenKey?: string;
  /** 'throw' (default): a missing namespace is NamespaceNotFoundError (exit 5); 'fail': a failed check. */
  missingNamespace?: 'throw' | 'fail';
}

export interface VerifyUrlOptions extends CommonVerifyOptions {
  url: string;
}

/** How the checks reach one worker: through the pod proxy or directly. */
export interface WorkerEndpoint {
  label: string;
  request(
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; timeoutMs: number },
  ): Promise<{
    statusCode: number;
    body: string;
    durationMs: number;
    /** The answer came from the API server (pod unreachable), not the worker. */
    fromApiServer?: boolean;
  }>;
}

// biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
type Json = any;

const enc = encodeURIComponent;
const ms = (n: number) => `${Math.round(n)} ms`;

function summarize(checks: VerifyCheck[]): VerifyResult['summary'] {
  const s = { pass: 0, fail: 0, warn: 0, skip: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}

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

function describeFailure(err: unknown): string {
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
  for (const path of ['/livez', '/readyz']) {
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
  const name = pod ? `pod ${pod} /metrics` : '/metrics';
  const started = performance.now();
  try {
    const res = await endpoint.request('GET', '/metrics', { timeoutMs });
    if (res.statusCode !== 200) {
      return {
        name,
        status: 'fail',
        evidence: `/metrics answered ${res.statusCode}: ${shortBody(res.body)}`,
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
      evidence: `${parsed.samples.length} samples; all ${WORKER_METRIC_NAMES.length} worker metrics present`,
      pod,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return { name, status: 'fail', evidence: `/metrics failed: ${describeFailure(err)}`, pod };
  }
}

/** A small valid dry-run payload (src/worker/payload.ts), with a unique job id. */
export function smokePayload(now: number): {
  jobId: string;
  projectId: string;
  dryRun: true;
  priority: 'high';
  previewRequest: Json;
} {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return {
    jobId: `smoke-${stamp}-${randomBytes(4).toString('hex')}`,
    projectId: 'mobius-smoke',
    dryRun: true,
    priority: 'high',
    previewRequest: {
      title: 'mobius-deploy verify smoke test',
      steps: [
        { title: 'Smoke', text: 'A dry-run job submitted by mobius-deploy verify --smoke.', durationSec: 1 },
      ],
      options: { resolution: '320x180', format: 'png' },
    },
  };
}

/** Submit a dry-run job and poll until it completes, fails or times out. */
export async function checkSmokeJob(
  endpoint: WorkerEndpoint,
  opts: {
    token?: string;
    timeoutMs: number;
    requestTimeoutMs: number;
    now: () => number;
    pollIntervalMs?: number;
    sleep?: (ms: number) => Promise<void>;
    progress?: ProgressReporter;
  },
): Promise<{ check: VerifyCheck; jobId: string }> {
  const payload = smokePayload(opts.now());
  const name = 'smoke: dry-run preview job';
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (opts.token) {
    headers.Authorization = `Bearer ${opts.token}`;
    // The API server's pod proxy strips Authorization; the worker also accepts this header.
    headers['X-Preview-Api-Token'] = opts.token;
  }
  const sleep = opts.sleep ?? pause;
  const started = performance.now();
  const fail = (evidence: string): { check: VerifyCheck; jobId: string } => ({
    check: { name, status: 'fail', evidence, durationMs: performance.now() - started },
    jobId: payload.jobId,
  });
  opts.progress?.update(`smoke: submitting ${payload.jobId} through ${endpoint.label}`);
  let submit: Awaited<ReturnType<WorkerEndpoint['request']>>;
  try {
    submit = await endpoint.request('POST', '/v1/previews', {
      body: payload,
      headers,
      timeoutMs: opts.requestTimeoutMs,
    });
  } catch (err) {
    return fail(`POST /v1/previews failed: ${describeFailure(err)}`);
  }
  if (submit.fromApiServer) {
    return fail(
      `the Kubernetes API server refused the pod proxy request (${submit.statusCode}): ${shortBody(submit.body)}`,
    );
  }
  if (submit.statusCode === 401) {
    return fail(
      `POST /v1/previews was refused (401): the worker needs its API token; pass --api-token, set PREVIEW_API_TOKEN or use --api-token-secret${opts.token ? ' (the token given was rejected)' : ''}`,
    );
  }
  if (submit.statusCode !== 202 && submit.statusCode !== 200) {
    return fail(`POST /v1/previews answered ${submit.statusCode}: ${shortBody(submit.body)}`);
  }
  const deadline = performance.now() + opts.timeoutMs;
  let last = 'queued';
  const interval = opts.pollIntervalMs ?? 500;
  while (true) {
    let res: Awaited<ReturnType<WorkerEndpoint['request']>> | undefined;
    try {
      res = await endpoint.request('GET', `/v1/previews/${enc(payload.jobId)}`, {
        headers,
        timeoutMs: opts.requestTimeoutMs,
      });
    } catch (err) {
      last = `poll failed: ${describeFailure(err)}`;
    }
    if (res && res.statusCode === 200) {
      let body: Json;
      try {
        body = JSON.parse(res.body);
      } catch {
        return fail(`GET /v1/previews/${payload.jobId} returned invalid JSON: ${shortBody(res.body)}`);
      }
      last = body.state ?? 'unknown';
      opts.progress?.update(`smoke: ${payload.jobId} is ${last}`);
      if (body.state === 'completed') {
        return {
          check: {
            name,
            status: 'pass',
            evidence: `job ${payload.jobId} (dry run) completed in ${ms(performance.now() - started)} via ${endpoint.label}`,
            durationMs: performance.now() - started,
          },
          jobId: payload.jobId,
        };
      }
      if (body.state === 'failed') {
        return fail(
          `job ${payload.jobId} failed: ${body.failedReason ?? 'no reason given'} (attempts ${body.attemptsMade ?? '?'})`,
        );
      }
    } else if (res) {
      last = `GET answered ${res.statusCode}: ${shortBody(res.body)}`;
    }
    if (performance.now() >= deadline) {
      return fail(
        `job ${payload.jobId} did not complete within ${Math.round(opts.timeoutMs / 1000)} s (last state: ${last})`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - performance.now())));
  }
}

/** A worker reached through the API server's pod proxy. */
export function podProxyEndpoint(
  clients: KubeClients,
  namespace: string,
  pod: string,
  port: number,
): WorkerEndpoint {
  return {
    label: `pod ${pod} (pod proxy)`,
    async request(method, path, opts) {
      const res = await podProxyRequest(clients, {
        namespace,
        pod,
        port,
        path,
        method,
        body: opts.body,
        headers: opts.headers,
        timeoutMs: opts.timeoutMs,
      });
      return res;
    },
  };
}

/** A worker reached directly by URL (fetch). */
export function urlEndpoint(baseUrl: string): WorkerEndpoint {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    label: base,
    async request(method, path, opts) {
      const started = performance.now();
      const res = await fetch(base + path, {
        method,
        headers: opts.headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const body = await res.text();
      return { statusCode: res.status, body, durationMs: performance.now() - started };
    },
  };
}

async function resolveApiToken(clients: KubeClients, opts: VerifyOptions): Promise<string | undefined> {
  if (opts.apiToken) return opts.apiToken;
  if (!opts.apiTokenSecret) return undefined;
  const key = opts.apiTokenKey ?? 'PREVIEW_API_TOKEN';
  let secret: Json;
  try {
    secret = await clients.getJson<Json>(
      `/api/v1/namespaces/${enc(opts.namespace)}/secrets/${enc(opts.apiTokenSecret)}`,
    );
  } catch (err) {
    if (isNotFound(err)) {
      throw new ConfigError(
        `Secret ${opts.apiTokenSecret} (from --api-token-secret) not found in namespace ${opts.namespace}.`,
      );
    }
    throw err;
  }
  const value = secret?.data?.[key] ?? undefined;
  const plain = secret?.stringData?.[key];
  if (typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8').trim();
  if (typeof plain === 'string') return plain.trim();
  const keys = Object.keys(secret?.data ?? {});
  throw new ConfigError(
    `Secret ${opts.apiTokenSecret} has no key ${key}${keys.length ? ` (keys: ${keys.join(', ')})` : ''}; choose one with --api-token-key.`,
  );
}

/** Does a Service's selector select these labels? */
function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

async function checkServiceEndpoints(
  clients: KubeClients,
  ns: string,
  serviceName: string | undefined,
  depName: string,
  podLabels: Record<string, string> | undefined,
): Promise<VerifyCheck> {
  const name = 'service endpoints';
  let service: Json | undefined;
  try {
    service = await clients.getJson<Json>(
      `/api/v1/namespaces/${enc(ns)}/services/${enc(serviceName ?? depName)}`,
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!service && !serviceName) {
    const list = await clients.getJson<{ items: Json[] }>(`/api/v1/namespaces/${enc(ns)}/services`);
    service = list.items.find((s) => selects(s.spec?.selector, podLabels));
  }
  if (!service) {
    return {
      name,
      status: 'fail',
      evidence: serviceName
        ? `Service ${serviceName} not found`
        : `no Service named ${depName} or selecting its pods`,
    };
  }
  const svc = service.metadata.name;
  try {
    const slices = await clients.getJson<{ items: Json[] }>(
      `/apis/discovery.k8s.io/v1/namespaces/${enc(ns)}/endpointslices`,
      {
        labelSelector: `kubernetes.io/service-name=${svc}`,
      },
    );
    if (slices.items.length > 0) {
      let ready = 0;
      let total = 0;
      for (const s of slices.items) {
        for (const e of s.endpoints ?? []) {
          total++;
          if (e.conditions?.ready !== false) ready++;
        }
      }
      return ready > 0
        ? {
            name,
            status: 'pass',
            evidence: `Service ${svc}: ${ready} of ${total} endpoints ready (EndpointSlices)`,
          }
        : {
            name,
            status: 'fail',
            evidence: `Service ${svc} has no ready endpoints (${total} not ready, EndpointSlices)`,
          };
    }
  } catch (err) {
    if (!isNotFound(err) && (err as Error).name !== 'AccessDeniedError') throw err;
  }
  try {
    const ep = await clients.getJson<Json>(`/api/v1/namespaces/${enc(ns)}/endpoints/${enc(svc)}`);
    let ready = 0;
    let notReady = 0;
    for (const s of ep.subsets ?? []) {
      ready += (s.addresses ?? []).length;
      notReady += (s.notReadyAddresses ?? []).length;
    }
    return ready > 0
      ? {
          name,
          status: 'pass',
          evidence: `Service ${svc}: ${ready} ready address${ready === 1 ? '' : 'es'}${notReady ? `, ${notReady} not ready` : ''} (Endpoints)`,
        }
      : {
          name,
          status: 'fail',
          evidence: `Service ${svc} has no ready endpoints${notReady ? ` (${notReady} not ready)` : ''}`,
        };
  } catch (err) {
    if (isNotFound(err))
      return {
        name,
        status: 'fail',
        evidence: `Service ${svc} has no endpoints at all (no EndpointSlices, no Endpoints)`,
      };
    throw err;
  }
}

function finish(
  checks: VerifyCheck[],
  target: VerifyResult['target'],
  started: number,
  startedAt: string,
  smokeJobId?: string,
): VerifyResult {
  const summary = summarize(checks);
  return {
    kind: 'VerifyResult',
    passed: summary.fail === 0,
    target,
    checks,
    summary,
    smokeJobId,
    startedAt,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Verify a deployment in a cluster. */
export async function runVerify(clients: KubeClients, opts: VerifyOptions): Promise<VerifyResult> {
  const now = opts.now ?? Date.now;
  const started = performance.now();
  const startedAt = new Date(now()).toISOString();
  const ns = opts.namespace;
  const depName = opts.deployment ?? 'preview-worker';
  const timeoutMs = opts.timeoutMs ?? 5000;
  const port = opts.workerPort ?? 3000;
  const restartWindow = opts.restartWindowMs ?? 10 * 60_000;
  const target = { namespace: ns, deployment: depName, context: clients.target.context };
  const checks: VerifyCheck[] = [];
  const skipRest = (reason: string, names: string[]) => {
    for (const n of names) checks.push({ name: n, status: 'skip', evidence: reason });
  };
  const later = [
    'rollout',
    'pods ready',
    'service endpoints',
    'pod /livez /readyz',
    '/metrics',
    ...(opts.smoke ? ['smoke: dry-run preview job'] : []),
  ];

  // 1. namespace
  try {
    const nsObj = await clients.getJson<Json>(`/api/v1/namespaces/${enc(ns)}`);
    checks.push({
      name: 'namespace',
      status: 'pass',
      evidence: `namespace ${ns} exists (${nsObj.status?.phase ?? 'Active'})`,
    });
  } catch (err) {
    if (isNotFound(err) || err instanceof NamespaceNotFoundError) {
      if ((opts.missingNamespace ?? 'throw') === 'throw') throw new NamespaceNotFoundError(ns);
      checks.push({ name: 'namespace', status: 'fail', evidence: `namespace ${ns} does not exist` });
      skipRest('namespace missing', later);
      return finish(checks, target, started, startedAt);
    }
    if ((err as Error).name !== 'AccessDeniedError') throw err;
    checks.push({
      name: 'namespace',
      status: 'warn',
      evidence: `cannot read namespace ${ns} (RBAC); continuing`,
    });
  }

  // 2. rollout
  let deployment: Json;
  try {
    deployment = await findDeployment(clients, ns, depName, '');
  } catch (err) {
    if ((err as Error).name !== 'UnhealthyError') throw err;
    checks.push({ name: 'rollout', status: 'fail', evidence: (err as Error).message });
    skipRest('no deployment', later.slice(1));
    return finish(checks, target, started, startedAt);
  }
  const rollout = deploymentRolloutStatus(deployment);
  checks.push({
    name: 'rollout',
    status: rollout.done ? 'pass' : 'fail',
    evidence: `${rollout.message} (revision ${deployment.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '?'}, ${deployment.status?.availableReplicas ?? 0}/${deployment.spec?.replicas ?? 1} available)`,
  });

  // 3. pods
  const selector = labelSelectorToString(deployment.spec?.selector);
  const podList = await clients.getJson<{ items: Json[] }>(`/api/v1/namespaces/${enc(ns)}/pods`, {
    labelSelector: selector,
  });
  const pods = podList.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  const nowMs = now();
  const problems: string[] = [];
  for (const p of pods) {
    const h = classifyPodHealth(p, { now: nowMs });
    if (!h.ready)
      problems.push(
        `${p.metadata.name} not ready${h.reason ? ` (${h.reason}${h.message ? `: ${h.message}` : ''})` : ''}`,
      );
    else if (h.restarts > 0 && h.lastRestartAt && nowMs - Date.parse(h.lastRestartAt) <= restartWindow) {
      const t = h.lastTermination;
      problems.push(
        `${p.metadata.name} restarted ${Math.round((nowMs - Date.parse(h.lastRestartAt)) / 60_000)}m ago (${h.restarts} restarts${t?.reason ? `, last ${t.reason}${t.exitCode !== undefined ? ` exit ${t.exitCode}` : ''}` : ''})`,
      );
    }
  }
  const desired = deployment.spec?.replicas ?? 1;
  if (pods.length === 0 && desired > 0) problems.push(`no pods match ${selector}`);
  const windowText = `${Math.round(restartWindow / 60_000)}m`;
  checks.push(
    problems.length
      ? {
          name: 'pods ready',
          status: 'fail',
          evidence: `${problems.length} of ${pods.length} pods have problems: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
        }
      : {
          name: 'pods ready',
          status: 'pass',
          evidence: `${pods.length} pod${pods.length === 1 ? '' : 's'} ready, no restarts in the last ${windowText}`,
        },
  );

  // 4. service endpoints
  checks.push(
    await checkServiceEndpoints(
      clients,
      ns,
      opts.service,
      deployment.metadata.name,
      deployment.spec?.template?.metadata?.labels,
    ),
  );

  // 5. each running pod's health endpoints, 6. /metrics (in parallel across pods)
  const running = pods.filter((p) => p.status?.phase === 'Running');
  if (running.length === 0) {
    skipRest('no running pods', ['pod /livez /readyz', '/metrics']);
  } else {
    const endpoints = running.map((p) => ({
      pod: p.metadata.name as string,
      ep: podProxyEndpoint(clients, ns, p.metadata.name, port),
    }));
    opts.progress?.update(`checking /livez, /readyz and /metrics on ${running.length} pods`);
    const [health, metrics] = await Promise.all([
      Promise.all(endpoints.map(({ pod, ep }) => checkHealthEndpoints(ep, timeoutMs, pod))),
      Promise.all(endpoints.map(({ pod, ep }) => checkMetricsEndpoint(ep, timeoutMs, pod))),
    ]);
    checks.push(...health);
    const badMetrics = metrics.filter((m) => m.status !== 'pass');
    checks.push(
      badMetrics.length === 0
        ? {
            name: '/metrics',
            status: 'pass',
            evidence: `${metrics.length} pod${metrics.length === 1 ? '' : 's'}: ${metrics[0].evidence}`,
          }
        : {
            name: '/metrics',
            status: 'fail',
            evidence: badMetrics
              .map((m) => `${m.pod}: ${m.evidence}`)
              .slice(0, 5)
              .join('; '),
          },
    );
  }

  // 7. smoke
  let smokeJobId: string | undefined;
  if (opts.smoke) {
    const readyPod = pods.find((p) => classifyPodHealth(p, { now: nowMs }).ready);
    if (!readyPod)
      checks.push({
        name: 'smoke: dry-run preview job',
        status: 'fail',
        evidence: 'no ready pod to submit the job to',
      });
    else {
      const token = await resolveApiToken(clients, opts);
      const { check, jobId } = await smokeWith(
        podProxyEndpoint(clients, ns, readyPod.metadata.name, port),
        opts,
        token,
      );
      checks.push(check);
      smokeJobId = jobId;
    }
  }
  opts.progress?.stop();
  return finish(checks, target, started, startedAt, smokeJobId);
}

/** The smoke job with the timeouts, clock and progress of either verify mode. */
function smokeWith(
  endpoint: WorkerEndpoint,
  opts: CommonVerifyOptions,
  token: string | undefined,
): Promise<{ check: VerifyCheck; jobId: string }> {
  return checkSmokeJob(endpoint, {
    token,
    timeoutMs: opts.smokeTimeoutMs ?? 60_000,
    requestTimeoutMs: opts.timeoutMs ?? 5000,
    now: opts.now ?? Date.now,
    pollIntervalMs: opts.pollIntervalMs,
    sleep: opts.sleep,
    progress: opts.progress,
  });
}

/** Verify a worker reached directly by URL (no cluster, no kubeconfig). */
export async function runVerifyUrl(opts: VerifyUrlOptions): Promise<VerifyResult> {
  const now = opts.now ?? Date.now;
  const started = performance.now();
  const startedAt = new Date(now()).toISOString();
  let url: URL;
  try {
    url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`--url ${opts.url} is not an http(s) URL (for example http://localhost:3000).`);
  }
  const endpoint = urlEndpoint(url.toString());
  const timeoutMs = opts.timeoutMs ?? 5000;
  const checks: VerifyCheck[] = [];
  checks.push(await checkHealthEndpoints(endpoint, timeoutMs));
  checks.push(await checkMetricsEndpoint(endpoint, timeoutMs));
  let smokeJobId: string | undefined;
  if (opts.smoke) {
    const { check, jobId } = await smokeWith(endpoint, opts, opts.apiToken);
    checks.push(check);
    smokeJobId = jobId;
  }
  opts.progress?.stop();
  return finish(checks, { url: endpoint.label }, started, startedAt, smokeJobId);
}
