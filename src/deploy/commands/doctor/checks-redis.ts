/**
 * `doctor`'s Redis persistence check: AOF on, or an RDB save within --max-rdb-age, as the worker's
 * /v1/queue reports it (from a local worker with --url, else through the pod proxy of a ready pod).
 */
import type { V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import { API_TOKEN_HEADER, bearer, WORKER_PATH } from '../../../contract/http.js';
import type { KubeClients } from '../../kube/client.js';
import { statusMessageOf } from '../../kube/errors.js';
import { podProxyRequest } from '../../kube/pod-proxy.js';
import { listPods } from '../../kube/resources/core.js';
import { APP_NAME, HTTP_PORT } from '../../manifests/labels.js';
import { humanDuration } from '../../output/duration.js';
import { resolveToken } from './api-token.js';
import { errText } from './failure.js';
import type { DoctorCheck, DoctorOptions } from './types.js';

interface QueueAnswer {
  redis?: { aofEnabled?: boolean; lastRdbSaveAt?: string | null; lastRdbSaveStatus?: string | null };
}

export function judgeRedisPersistence(
  q: QueueAnswer,
  maxRdbAgeMs: number,
  now: number,
  source: string,
): DoctorCheck {
  const r = q.redis;
  const name = 'redis persistence';
  const fix =
    'Turn on persistence in Redis: `appendonly yes` (AOF; preferred for a queue), or `save 3600 1 300 100` for RDB snapshots, and keep the files on a persistent volume.';
  if (!r)
    return {
      name,
      status: 'warn',
      evidence: `${source}: /v1/queue has no redis persistence facts (an older worker?)`,
      fix: 'Deploy a worker version that reports Redis persistence in /v1/queue.',
    };
  if (r.aofEnabled)
    return {
      name,
      status: 'pass',
      evidence: `${source}: AOF is on${r.lastRdbSaveAt ? `; last RDB save ${r.lastRdbSaveAt}` : ''}`,
    };
  if (!r.lastRdbSaveAt)
    return {
      name,
      status: 'fail',
      evidence: `${source}: AOF is off and Redis has never saved an RDB snapshot: the queue is lost on a Redis restart`,
      fix,
    };
  const age = now - Date.parse(r.lastRdbSaveAt);
  const statusOk = !r.lastRdbSaveStatus || r.lastRdbSaveStatus === 'ok';
  if (!statusOk)
    return {
      name,
      status: 'fail',
      evidence: `${source}: AOF is off and the last RDB save failed (status ${r.lastRdbSaveStatus}); last good save ${r.lastRdbSaveAt}`,
      fix: 'Check the Redis log and disk space (bgsave failed).',
    };
  if (age > maxRdbAgeMs) {
    return {
      name,
      status: 'fail',
      evidence: `${source}: AOF is off and the last RDB save was ${humanDuration(age)} ago (${r.lastRdbSaveAt}), more than ${humanDuration(maxRdbAgeMs)}`,
      fix,
    };
  }
  return {
    name,
    status: 'pass',
    evidence: `${source}: AOF is off; RDB saved ${humanDuration(age)} ago (${r.lastRdbSaveAt}), within ${humanDuration(maxRdbAgeMs)}`,
  };
}

const NAME = 'redis persistence';

/** /v1/queue of a local worker (--url), with the token as a bearer token. */
async function fromWorkerUrl(workerUrl: string, maxAge: number, opts: DoctorOptions): Promise<DoctorCheck> {
  const name = NAME;
  const base = workerUrl.replace(/\/+$/, '');
  const token = opts.apiToken;
  try {
    const res = await (opts.fetch ?? fetch)(`${base}${WORKER_PATH.queue}`, {
      headers: token ? { Authorization: bearer(token) } : {},
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (res.status === 401)
      return {
        name,
        status: 'warn',
        evidence: `${base}/v1/queue needs the API token (401)`,
        fix: 'Set PREVIEW_API_TOKEN (or --api-token-secret) so doctor can read /v1/queue.',
      };
    if (!res.ok)
      return {
        name,
        status: 'fail',
        evidence: `${base}/v1/queue answered ${res.status}`,
        fix: 'Check the worker (mobius-deploy verify --url ...).',
      };
    return judgeRedisPersistence(JSON.parse(text) as QueueAnswer, maxAge, opts.now(), base);
  } catch (err) {
    return {
      name,
      status: 'fail',
      evidence: `${base}/v1/queue: ${errText(err)}`,
      fix: 'Check --url: the worker must be running there.',
    };
  }
}

/** /v1/queue of the first ready worker pod, through the API server's pod proxy. */
async function fromPod(
  kube: KubeClients,
  ns: string,
  maxAge: number,
  opts: DoctorOptions,
): Promise<DoctorCheck> {
  const name = NAME;
  const deployment = opts.deployment ?? APP_NAME;
  let pods: V1Pod[];
  try {
    const list = await listPods(kube, ns, { labelSelector: `app.kubernetes.io/name=${deployment}` });
    pods = list?.items ?? [];
  } catch (err) {
    return {
      name,
      status: 'warn',
      evidence: `cannot list the worker pods: ${errText(err)}`,
      fix: 'Grant list on pods (the deployer Role has it).',
    };
  }
  const ready = pods.filter(
    (p) =>
      p?.status?.phase === 'Running' &&
      (p?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') &&
      !p?.metadata?.deletionTimestamp,
  );
  if (ready.length === 0) {
    return {
      name,
      status: 'warn',
      evidence: `no ready worker pod (label app.kubernetes.io/name=${deployment}) to ask /v1/queue${pods.length ? ` (${pods.length} not ready)` : ''}`,
      fix: 'Deploy the worker (or pass --url to a local worker), then run doctor again.',
    };
  }
  const pod = (ready[0].metadata as V1ObjectMeta).name as string;
  const token = await resolveToken(kube, ns, opts);
  try {
    const res = await podProxyRequest(kube, {
      namespace: ns,
      pod,
      port: HTTP_PORT,
      path: WORKER_PATH.queue,
      headers: token ? { [API_TOKEN_HEADER]: token } : {},
    });
    const source = `pod ${pod}`;
    if (res.statusCode === 401) {
      return {
        name,
        status: 'warn',
        evidence: `${source}: /v1/queue needs the API token (401)`,
        fix: 'Pass --api-token-secret <secret> (or -e <env>, or PREVIEW_API_TOKEN) so doctor can read /v1/queue.',
      };
    }
    if (res.statusCode === 403 && res.fromApiServer) {
      return {
        name,
        status: 'fail',
        evidence: `${source}: the pod proxy is denied (RBAC get pods/proxy)`,
        fix: 'Grant get on pods/proxy (the deployer Role has it).',
      };
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      // At most 200 characters, also of a Status's message (statusMessageOf keeps all of it).
      const message = String(statusMessageOf(res.body)).slice(0, 200);
      return {
        name,
        status: 'fail',
        evidence: res.fromApiServer
          ? `${source}: the API server could not reach the worker (${res.statusCode}: ${message})`
          : `${source}: /v1/queue answered ${res.statusCode}: ${res.body.slice(0, 160)}`,
        fix: `Check the worker: mobius-deploy verify -n ${ns}.`,
      };
    }
    return judgeRedisPersistence(JSON.parse(res.body) as QueueAnswer, maxAge, opts.now(), source);
  } catch (err) {
    return {
      name,
      status: 'fail',
      evidence: `pod ${pod}: /v1/queue failed: ${errText(err)}`,
      fix: `Check the worker: mobius-deploy verify -n ${ns}.`,
    };
  }
}

export async function checkRedisPersistence(
  kube: KubeClients | undefined,
  ns: string,
  opts: DoctorOptions,
): Promise<DoctorCheck> {
  const maxAge = opts.maxRdbAgeMs ?? 24 * 3_600_000;
  if (opts.workerUrl) return fromWorkerUrl(opts.workerUrl, maxAge, opts);
  if (!kube) return { name: NAME, status: 'skip', evidence: 'no cluster and no --url' };
  return fromPod(kube, ns, maxAge, opts);
}
