/**
 * The verify checklist: proves the worker is rolled out and serving. Never prints (progress goes to
 * an optional reporter). Used by the `verify` command and by deploy and rollback:
 *
 *   const result = await runVerify(clients, { namespace, deployment: 'preview-worker' });
 *   if (!result.passed) ...
 *
 * Checks (each { name, status: pass|fail|warn|skip, evidence }), in this order:
 *   namespace, rollout (kubectl rollout status rules), pods (all ready, no restart within the
 *   window), service endpoints (EndpointSlices, else Endpoints), per pod /livez + /readyz through
 *   the pod proxy, /metrics (parses, carries the worker's metric names), and with `smoke` a
 *   dry-run preview job submitted through one pod and polled until it completes.
 * `runVerifyUrl` runs the endpoint, metrics and smoke checks against a worker URL directly.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { WORKER_PORT } from '../../contract/http.js';
import { ConfigError } from '../errors.js';
import { resolveApiToken } from '../kube/api-token.js';
import type { KubeClients } from '../kube/client.js';
import { DEFAULT_DEPLOYMENT, findDeployment } from '../kube/find-deployment.js';
import { classifyPodHealth } from '../kube/pod-health.js';
import { labelSelectorToString } from '../kube/rollout.js';
import { plural } from '../output/plural.js';
import { redactUrl } from '../output/redact-url.js';
import { checkSmokeJob, SMOKE_CHECK } from './smoke-job.js';
import { checkHealthEndpoints, checkMetricsEndpoint } from './verify-endpoints.js';
import { checkServiceEndpoints } from './verify-service-endpoints.js';
import { podProxyEndpoint, urlEndpoint } from './verify-transport.js';
import {
  type CommonVerifyOptions,
  finishVerify,
  type VerifyCheck,
  type VerifyOptions,
  type VerifyResult,
  type VerifyUrlOptions,
  type WorkerEndpoint,
} from './verify-types.js';
import { checkNamespace, checkPodsReady, checkRollout, listWorkloadPods } from './verify-workload.js';

/** Verify a deployment in a cluster. */
export async function runVerify(clients: KubeClients, opts: VerifyOptions): Promise<VerifyResult> {
  const now = opts.now ?? Date.now;
  const started = performance.now();
  const startedAt = new Date(now()).toISOString();
  const ns = opts.namespace;
  const depName = opts.deployment ?? DEFAULT_DEPLOYMENT;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const port = opts.workerPort ?? WORKER_PORT;
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
    ...(opts.smoke ? [SMOKE_CHECK] : []),
  ];

  // 1. namespace
  const namespaceCheck = await checkNamespace(clients, ns, opts.missingNamespace);
  checks.push(namespaceCheck);
  if (namespaceCheck.status === 'fail') {
    skipRest('namespace missing', later);
    return finishVerify(checks, target, started, startedAt);
  }

  // 2. rollout
  let deployment: V1Deployment;
  try {
    deployment = await findDeployment(clients, ns, depName, '');
  } catch (err) {
    if ((err as Error).name !== 'UnhealthyError') throw err;
    checks.push({ name: 'rollout', status: 'fail', evidence: (err as Error).message });
    skipRest('no deployment', later.slice(1));
    return finishVerify(checks, target, started, startedAt);
  }
  checks.push(checkRollout(deployment));

  // 3. pods
  const selector = labelSelectorToString(deployment.spec?.selector);
  const pods = await listWorkloadPods(clients, ns, selector);
  const nowMs = now();
  checks.push(checkPodsReady(pods, deployment, selector, nowMs, restartWindow));

  // 4. service endpoints
  checks.push(
    await checkServiceEndpoints(
      clients,
      ns,
      opts.service,
      deployment.metadata!.name!,
      deployment.spec?.template?.metadata?.labels,
    ),
  );

  // 5. each running pod's health endpoints, 6. /metrics (in parallel across pods)
  const running = pods.filter((p) => p.status?.phase === 'Running');
  if (running.length === 0) {
    skipRest('no running pods', ['pod /livez /readyz', '/metrics']);
  } else {
    const endpoints = running.map((p) => ({
      pod: p.metadata!.name!,
      ep: podProxyEndpoint(clients, ns, p.metadata!.name!, port),
    }));
    opts.progress?.update(`checking /livez, /readyz and /metrics on ${plural(running.length, 'pod')}`);
    const [health, metrics] = await Promise.all([
      Promise.all(endpoints.map(({ pod, ep }) => checkHealthEndpoints(ep, timeoutMs, pod))),
      Promise.all(endpoints.map(({ pod, ep }) => checkMetricsEndpoint(ep, timeoutMs, pod))),
    ]);
    checks.push(...health);
    checks.push(metricsAcrossPods(metrics));
  }

  // 7. smoke
  let smokeJobId: string | undefined;
  if (opts.smoke) {
    const readyPod = pods.find((p) => classifyPodHealth(p, { now: nowMs }).ready);
    if (!readyPod)
      checks.push({ name: SMOKE_CHECK, status: 'fail', evidence: 'no ready pod to submit the job to' });
    else {
      const token = await resolveApiToken(clients, opts);
      const { check, jobId } = await smokeWith(
        podProxyEndpoint(clients, ns, readyPod.metadata!.name!, port),
        opts,
        token,
      );
      checks.push(check);
      smokeJobId = jobId;
    }
  }
  opts.progress?.stop();
  return finishVerify(checks, target, started, startedAt, smokeJobId);
}

/** The per-pod /metrics checks as one: the first pod's evidence, or up to five pods' failures. */
function metricsAcrossPods(metrics: VerifyCheck[]): VerifyCheck {
  const badMetrics = metrics.filter((m) => m.status !== 'pass');
  return badMetrics.length === 0
    ? {
        name: '/metrics',
        status: 'pass',
        evidence: `${plural(metrics.length, 'pod')}: ${metrics[0].evidence}`,
      }
    : {
        name: '/metrics',
        status: 'fail',
        evidence: badMetrics
          .map((m) => `${m.pod}: ${m.evidence}`)
          .slice(0, 5)
          .join('; '),
      };
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
    throw new ConfigError(
      `--url ${redactUrl(opts.url)} is not an http(s) URL (for example http://localhost:3000).`,
    );
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
  return finishVerify(checks, { url: endpoint.label }, started, startedAt, smokeJobId);
}
