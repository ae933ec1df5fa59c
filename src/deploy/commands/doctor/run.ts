/**
 * `doctor`: checks the operator's setup and says how to fix each problem. A checklist of
 * pass / warn / fail / skip items, each with evidence and (when not passing) one fix line.
 *
 * Checks, in order: Node version; kubeconfig and context; cluster reachable (/version); namespace;
 * every permission the CLI needs (one SelfSubjectAccessReview per verb and resource of
 * resolvePermissions(env), the same list the deployer Role is built from); metrics API; image pull
 * secret (type and age against the rotation policy, from registry-secret rotate's annotation);
 * Prometheus (/-/ready, when a URL is given); backups: the DATA_DIR PersistentVolumeClaim is Bound
 * and Redis persistence (AOF, or an RDB save within --max-rdb-age) as the worker's /v1/queue reports.
 */

import { REGISTRY } from '../../image/image.js';
import type { KubeClients } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';
import { podProxyRequest } from '../../kube/pod-proxy.js';
import type { Environment } from '../../manifests/environment.js';
import { APP_NAME, HTTP_PORT, PVC_NAME } from '../../manifests/labels.js';
import { permissionsToCheck } from '../../manifests/rbac.js';
import { humanDuration } from '../../output/duration.js';
import {
  checkPullSecret,
  DEFAULT_MAX_TOKEN_AGE_DAYS,
  DEFAULT_PULL_SECRET,
  DOCKERCONFIGJSON_KEY,
  DOCKERCONFIGJSON_TYPE,
  MAX_AGE_ANNOTATION,
  ROTATED_AT_ANNOTATION,
  ROTATED_BY_ANNOTATION,
} from '../registry-secret/run.js';

export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: DoctorStatus;
  /** What was found. */
  evidence: string;
  /** How to fix it (absent when passing). */
  fix?: string;
}

export interface PermissionResult {
  apiGroup: string;
  resource: string;
  verb: string;
  resourceName?: string;
  allowed: boolean;
  /** The authorizer's reason or the denial reason, when given. */
  reason?: string;
  why: string;
}

export interface DoctorResult {
  ok: boolean;
  namespace: string;
  context?: string;
  server?: string;
  checks: DoctorCheck[];
  permissions: PermissionResult[];
  summary: Record<DoctorStatus, number>;
}

export const MIN_NODE = [20, 19, 0] as const;

export interface DoctorOptions {
  namespace: string;
  /** The environment file (-e), when given: names the API token Secret for resolvePermissions. */
  environment?: Environment;
  /** Creates the kube clients (kubeconfig errors become the kubeconfig check's failure). */
  kube: () => Promise<KubeClients>;
  nodeVersion?: string;
  pullSecret?: string;
  /** Days (default 30). */
  maxTokenAgeDays?: number;
  /** ms (default 24 h). */
  maxRdbAgeMs?: number;
  prometheusUrl?: string;
  /** A local worker's base URL for /v1/queue instead of the pod proxy. */
  workerUrl?: string;
  apiToken?: string;
  apiTokenSecret?: string;
  apiTokenKey?: string;
  deployment?: string;
  pvc?: string;
  now: () => number;
  /** Concurrent access reviews (default 8). */
  concurrency?: number;
  fetch?: typeof fetch;
}

// biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
type Json = any;
const enc = encodeURIComponent;

function compareVersion(v: string, min: readonly number[]): number {
  const parts = v
    .replace(/^v/, '')
    .split('.')
    .map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (parts[i] ?? 0) - (min[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function checkNodeVersion(version: string): DoctorCheck {
  const ok = compareVersion(version, MIN_NODE) >= 0;
  return {
    name: 'node version',
    status: ok ? 'pass' : 'fail',
    evidence: `Node.js ${version} (${ok ? 'meets' : 'below'} the required ${MIN_NODE.join('.')})`,
    ...(ok
      ? {}
      : {
          fix: 'Install Node.js 20.19 or newer (for example `nvm install 20` or the nodejs.org installer).',
        }),
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function statusCode(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  const name = (err as Error)?.name;
  if (name === 'AccessDeniedError') return 403;
  if (name === 'CredentialsError') return 401;
  if (name === 'NamespaceNotFoundError') return 404;
  return undefined;
}

/** Runs tasks with at most `n` in flight, keeping result order. */
async function mapLimit<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

/** One SelfSubjectAccessReview. */
export async function accessReview(
  kube: KubeClients,
  namespace: string,
  p: { apiGroup: string; resource: string; verb: string; resourceName?: string },
): Promise<{ allowed: boolean; reason?: string }> {
  const [resource, subresource] = p.resource.split('/');
  const review = await kube.requestJson<Json>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          namespace,
          verb: p.verb,
          group: p.apiGroup,
          resource,
          ...(subresource ? { subresource } : {}),
          ...(p.resourceName ? { name: p.resourceName } : {}),
        },
      },
    },
  });
  const s = review?.status ?? {};
  return {
    allowed: s.allowed === true && s.denied !== true,
    reason: s.reason || s.evaluationError || undefined,
  };
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorResult> {
  const checks: DoctorCheck[] = [];
  const permissions: PermissionResult[] = [];
  const ns = opts.namespace;
  const result = (): DoctorResult => {
    const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const c of checks) summary[c.status]++;
    return { ok: summary.fail === 0, namespace: ns, context, server, checks, permissions, summary };
  };
  let context: string | undefined;
  let server: string | undefined;

  checks.push(checkNodeVersion(opts.nodeVersion ?? process.versions.node));

  const clusterChecks = [
    'cluster reachable',
    'namespace',
    'permissions',
    'metrics API',
    'image pull secret',
    'data volume claim',
    'redis persistence',
  ];
  const skipAll = (reason: string, names: string[]) => {
    for (const name of names) checks.push({ name, status: 'skip', evidence: reason });
  };

  // Prometheus does not need the cluster: check it wherever it is in the flow (added at the end).
  const prometheus = opts.prometheusUrl
    ? checkPrometheus(opts.prometheusUrl, opts.fetch ?? fetch)
    : undefined;

  let kube: KubeClients;
  try {
    kube = await opts.kube();
    const cfg = kube.config;
    context = cfg.currentContext;
    server = kube.target.server;
    checks.push({
      name: 'kubeconfig',
      status: 'pass',
      evidence: `${cfg.inCluster ? 'in-cluster service account' : cfg.files.join(', ')}; context ${cfg.currentContext} (cluster ${cfg.cluster.name} at ${kube.target.server}, user ${cfg.user.name})`,
    });
  } catch (err) {
    checks.push({
      name: 'kubeconfig',
      status: 'fail',
      evidence: errText(err),
      fix:
        (err as { hint?: string }).hint ??
        'Pass --kubeconfig FILE and --context NAME, or set KUBECONFIG; `kubectl config get-contexts` lists the contexts.',
    });
    // A local worker (--url) still answers about Redis persistence without a cluster.
    skipAll('no kubeconfig', opts.workerUrl ? clusterChecks.slice(0, -1) : clusterChecks);
    if (prometheus) checks.push(await prometheus);
    if (opts.workerUrl) checks.push(await checkRedisPersistence(undefined, ns, opts));
    return result();
  }

  // Cluster reachable.
  try {
    const v = await kube.getJson<Json>('/version', undefined, { attempts: 2, timeoutMs: 10_000 });
    checks.push({
      name: 'cluster reachable',
      status: 'pass',
      evidence: `${kube.target.server} answers /version: Kubernetes ${v?.gitVersion ?? '?'}`,
    });
  } catch (err) {
    const code = statusCode(err);
    checks.push({
      name: 'cluster reachable',
      status: 'fail',
      evidence: errText(err),
      fix:
        code === 401
          ? 'Your credentials were rejected: log in again or refresh the token in the kubeconfig.'
          : `Check the network/VPN to ${kube.target.server} and the context (--context); \`kubectl cluster-info\` should answer.`,
    });
    skipAll('cluster not reachable', clusterChecks.slice(1));
    if (prometheus) checks.push(await prometheus);
    return result();
  }

  // Namespace.
  let namespaceExists = true;
  try {
    const nsObj = await kube.getJson<Json>(`/api/v1/namespaces/${enc(ns)}`);
    checks.push({
      name: 'namespace',
      status: 'pass',
      evidence: `namespace ${ns} exists (${nsObj?.status?.phase ?? 'Active'})`,
    });
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) {
      namespaceExists = false;
      checks.push({
        name: 'namespace',
        status: 'fail',
        evidence: `namespace ${ns} does not exist`,
        fix: `Check -n/-e; a cluster admin creates it with the bootstrap manifests: kubectl apply -f k8s/<env>/ (namespace ${ns}).`,
      });
    } else if (code === 403) {
      checks.push({
        name: 'namespace',
        status: 'warn',
        evidence: `cannot read namespace ${ns}: ${errText(err)}`,
        fix: 'The deployer Role grants get on its own namespace; apply the RBAC from k8s/<env>/ as a cluster admin.',
      });
    } else throw err;
  }

  // Permissions.
  const wanted = permissionsToCheck(ns, opts.environment, opts.apiTokenSecret);
  const reviews = wanted.flatMap((p) =>
    p.verbs.map((verb) => ({ p, verb, resourceName: p.resourceNames?.[0] })),
  );
  let reviewError: string | undefined;
  const answers = await mapLimit(reviews, opts.concurrency ?? 8, async (r) => {
    try {
      return await accessReview(kube, ns, {
        apiGroup: r.p.apiGroup,
        resource: r.p.resource,
        verb: r.verb,
        resourceName: r.resourceName,
      });
    } catch (err) {
      reviewError ??= errText(err);
      return undefined;
    }
  });
  if (reviewError && answers.every((a) => a === undefined)) {
    checks.push({
      name: 'permissions',
      status: 'fail',
      evidence: `SelfSubjectAccessReview failed: ${reviewError}`,
      fix: 'Every authenticated user may create SelfSubjectAccessReviews (ClusterRole system:basic-user); check the API server and your credentials.',
    });
  } else {
    reviews.forEach((r, i) => {
      const a = answers[i];
      permissions.push({
        apiGroup: r.p.apiGroup,
        resource: r.p.resource,
        verb: r.verb,
        ...(r.resourceName ? { resourceName: r.resourceName } : {}),
        allowed: a?.allowed ?? false,
        ...(a?.reason ? { reason: a.reason } : a ? {} : { reason: `review failed: ${reviewError}` }),
        why: r.p.why,
      });
    });
    const denied = permissions.filter((p) => !p.allowed);
    const label = (p: PermissionResult) =>
      `${p.verb} ${p.resource}${p.apiGroup ? `.${p.apiGroup}` : ''}${p.resourceName ? `/${p.resourceName}` : ''}`;
    checks.push({
      name: 'permissions',
      status: denied.length === 0 ? 'pass' : 'fail',
      evidence:
        denied.length === 0
          ? `all ${permissions.length} permissions the CLI needs are allowed in ${ns}`
          : `${denied.length} of ${permissions.length} denied in ${ns}: ${denied.map(label).join(', ')}`,
      ...(denied.length
        ? {
            fix: `Ask a cluster admin to apply the deployer Role (kubectl apply -f k8s/<env>/ as admin: Role/RoleBinding mobius-deployer), or grant: ${denied.map(label).join(', ')}.`,
          }
        : {}),
    });
  }

  // Metrics API.
  try {
    const apis = await kube.getJson<Json>('/apis');
    const group = (apis?.groups ?? []).find((g: Json) => g?.name === 'metrics.k8s.io');
    checks.push(
      group
        ? {
            name: 'metrics API',
            status: 'pass',
            evidence: `metrics.k8s.io ${group.preferredVersion?.version ?? ''} is served`.trim(),
          }
        : {
            name: 'metrics API',
            status: 'fail',
            evidence:
              'metrics.k8s.io is not in API discovery: the HPA cannot scale and status shows no CPU/memory',
            fix: "Install metrics-server (kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml) or your provider's add-on.",
          },
    );
  } catch (err) {
    checks.push({ name: 'metrics API', status: 'warn', evidence: `API discovery failed: ${errText(err)}` });
  }

  if (!namespaceExists) {
    skipAll('namespace missing', ['image pull secret', 'data volume claim', 'redis persistence']);
    if (prometheus) checks.push(await prometheus);
    return result();
  }

  checks.push(await checkPullSecretAge(kube, ns, opts));
  if (prometheus) checks.push(await prometheus);
  checks.push(await checkPvc(kube, ns, opts.pvc ?? PVC_NAME));
  checks.push(await checkRedisPersistence(kube, ns, opts));
  return result();
}

async function resolvePullSecretName(
  kube: KubeClients,
  ns: string,
  opts: DoctorOptions,
): Promise<{ name: string; from: string }> {
  if (opts.pullSecret) return { name: opts.pullSecret, from: '--pull-secret' };
  try {
    const dep = await kube.getJson<Json>(
      `/apis/apps/v1/namespaces/${enc(ns)}/deployments/${enc(opts.deployment ?? APP_NAME)}`,
    );
    const name = dep?.spec?.template?.spec?.imagePullSecrets?.[0]?.name;
    if (name) return { name, from: `deployment/${opts.deployment ?? APP_NAME} imagePullSecrets` };
  } catch {
    /* no deployment yet, or not readable: the default */
  }
  return { name: DEFAULT_PULL_SECRET, from: 'default' };
}

export async function checkPullSecretAge(
  kube: KubeClients,
  ns: string,
  opts: DoctorOptions,
): Promise<DoctorCheck> {
  const { name, from } = await resolvePullSecretName(kube, ns, opts);
  const rotate = `GHCR_TOKEN=... mobius-deploy registry-secret rotate -n ${ns} --from-env GHCR_TOKEN --username <user> --name ${name}`;
  const check = 'image pull secret';
  let secret: Json;
  try {
    secret = await kube.getJson<Json>(`/api/v1/namespaces/${enc(ns)}/secrets/${enc(name)}`);
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) {
      return {
        name: check,
        status: 'fail',
        evidence: `Secret ${name} (${from}) does not exist in ${ns}: pods cannot pull from GHCR`,
        fix: rotate,
      };
    }
    if (code === 403) {
      return {
        name: check,
        status: 'warn',
        evidence: `cannot read Secret ${name} (${from}): your RBAC denies it (the deployer Role reads no Secret but the API token's, by design)`,
        fix: 'Run doctor with a context that may read Secrets in the namespace (an admin) to check the pull secret.',
      };
    }
    throw err;
  }
  const registries = Object.keys(parseAuths(secret));
  const structure = checkPullSecret(secret, { server: registries[0] ?? REGISTRY });
  const broken = structure.filter((c) => !c.ok);
  if (secret?.type !== DOCKERCONFIGJSON_TYPE || broken.length) {
    return {
      name: check,
      status: 'fail',
      evidence: `Secret ${name} is not a well-formed pull secret: ${broken.map((c) => c.detail).join('; ')}`,
      fix: rotate,
    };
  }
  const stamped = secret?.metadata?.annotations?.[ROTATED_AT_ANNOTATION];
  const by = secret?.metadata?.annotations?.[ROTATED_BY_ANNOTATION];
  const stampedPolicy = Number(secret?.metadata?.annotations?.[MAX_AGE_ANNOTATION]);
  const policyDays =
    opts.maxTokenAgeDays ??
    (Number.isFinite(stampedPolicy) && stampedPolicy > 0 ? stampedPolicy : DEFAULT_MAX_TOKEN_AGE_DAYS);
  const since = stamped && !Number.isNaN(Date.parse(stamped)) ? Date.parse(stamped) : undefined;
  const servers = registries.join(', ');
  if (since === undefined) {
    const created = secret?.metadata?.creationTimestamp;
    return {
      name: check,
      status: 'warn',
      evidence: `Secret ${name} (${DOCKERCONFIGJSON_TYPE}, ${servers}) has no ${ROTATED_AT_ANNOTATION} stamp${created ? `; created ${humanDuration(opts.now() - Date.parse(created))} ago` : ''}: its token age is unknown`,
      fix: `Rotate it with the CLI so the rotation is stamped: ${rotate}`,
    };
  }
  const age = opts.now() - since;
  const maxMs = policyDays * 86_400_000;
  const base = `Secret ${name} (${servers}) rotated ${humanDuration(age)} ago (${stamped}${by ? ` by ${by}` : ''}); policy ${policyDays} days`;
  if (age > maxMs) {
    return {
      name: check,
      status: 'fail',
      evidence: `${base}: overdue by ${humanDuration(age - maxMs)}`,
      fix: `Create a new token and rotate: ${rotate}`,
    };
  }
  if (age > maxMs - 7 * 86_400_000) {
    return {
      name: check,
      status: 'warn',
      evidence: `${base}: due in ${humanDuration(maxMs - age)}`,
      fix: `Rotate soon: ${rotate}`,
    };
  }
  return { name: check, status: 'pass', evidence: `${base}: next due in ${humanDuration(maxMs - age)}` };
}

function statusMessage(body: string): string {
  try {
    return String(JSON.parse(body)?.message ?? body).slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

function parseAuths(secret: Json): Record<string, unknown> {
  try {
    const raw = secret?.data?.[DOCKERCONFIGJSON_KEY];
    return JSON.parse(Buffer.from(String(raw), 'base64').toString('utf8'))?.auths ?? {};
  } catch {
    return {};
  }
}

export async function checkPrometheus(url: string, fetchImpl: typeof fetch): Promise<DoctorCheck> {
  const target = `${url.replace(/\/+$/, '')}/-/ready`;
  try {
    const res = await fetchImpl(target, { signal: AbortSignal.timeout(5000) });
    const body = (await res.text()).trim().slice(0, 120);
    if (res.ok)
      return {
        name: 'prometheus',
        status: 'pass',
        evidence: `${target} answered ${res.status}${body ? `: ${body}` : ''}`,
      };
    return {
      name: 'prometheus',
      status: 'fail',
      evidence: `${target} answered ${res.status}${body ? `: ${body}` : ''}`,
      fix: 'Prometheus is up but not ready (still loading the WAL?); check its logs, or the --prometheus-url.',
    };
  } catch (err) {
    const cause = (err as Error)?.cause as Error | undefined;
    return {
      name: 'prometheus',
      status: 'fail',
      evidence: `${target}: ${errText(err)}${cause?.message ? ` (${cause.message})` : ''}`,
      fix: 'Check --prometheus-url (for a cluster Prometheus: kubectl port-forward svc/<prometheus> 9090 and use http://127.0.0.1:9090).',
    };
  }
}

export async function checkPvc(kube: KubeClients, ns: string, name: string): Promise<DoctorCheck> {
  const check = 'data volume claim';
  try {
    const pvc = await kube.getJson<Json>(`/api/v1/namespaces/${enc(ns)}/persistentvolumeclaims/${enc(name)}`);
    const phase = pvc?.status?.phase ?? 'Pending';
    const modes = (pvc?.status?.accessModes ?? pvc?.spec?.accessModes ?? []).join(',');
    const size = pvc?.status?.capacity?.storage ?? pvc?.spec?.resources?.requests?.storage ?? '?';
    const desc = `PersistentVolumeClaim ${name} (DATA_DIR) is ${phase}: ${size}, ${modes || 'no access modes'}, class ${pvc?.spec?.storageClassName ?? '(default)'}`;
    if (phase === 'Bound')
      return { name: check, status: 'pass', evidence: `${desc}, volume ${pvc?.spec?.volumeName ?? '?'}` };
    return {
      name: check,
      status: 'fail',
      evidence: desc,
      fix: `The artifacts have no volume: \`kubectl describe pvc ${name} -n ${ns}\` shows why (a storage class that provides ReadWriteMany volumes must exist; see storage.storageClassName in the environment file).`,
    };
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) {
      return {
        name: check,
        status: 'fail',
        evidence: `PersistentVolumeClaim ${name} does not exist in ${ns}`,
        fix: `Deploy with -e <env> (it applies the claim), or create ${name}.`,
      };
    }
    if (code === 403)
      return {
        name: check,
        status: 'warn',
        evidence: `cannot read PersistentVolumeClaim ${name}: ${errText(err)}`,
        fix: 'Grant get on persistentvolumeclaims (the deployer Role has it).',
      };
    throw err;
  }
}

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

async function resolveToken(kube: KubeClients, ns: string, opts: DoctorOptions): Promise<string | undefined> {
  if (opts.apiToken) return opts.apiToken;
  const secretName =
    opts.apiTokenSecret ?? opts.environment?.apiToken.secretName ?? 'preview-worker-api-token';
  const key = opts.apiTokenKey ?? opts.environment?.apiToken.secretKey ?? 'PREVIEW_API_TOKEN';
  if (!secretName) return undefined;
  try {
    const s = await kube.getJson<Json>(`/api/v1/namespaces/${enc(ns)}/secrets/${enc(secretName)}`);
    const v = s?.data?.[key];
    return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8').trim() : undefined;
  } catch {
    return undefined;
  }
}

export async function checkRedisPersistence(
  kube: KubeClients | undefined,
  ns: string,
  opts: DoctorOptions,
): Promise<DoctorCheck> {
  const name = 'redis persistence';
  const maxAge = opts.maxRdbAgeMs ?? 24 * 3_600_000;
  const headersFor = (token?: string): Record<string, string> =>
    token ? { 'X-Preview-Api-Token': token } : {};
  if (opts.workerUrl) {
    const base = opts.workerUrl.replace(/\/+$/, '');
    const token = opts.apiToken;
    try {
      const res = await (opts.fetch ?? fetch)(`${base}/v1/queue`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
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
  if (!kube) return { name, status: 'skip', evidence: 'no cluster and no --url' };
  const deployment = opts.deployment ?? APP_NAME;
  let pods: Json[];
  try {
    const list = await kube.getJson<Json>(`/api/v1/namespaces/${enc(ns)}/pods`, {
      labelSelector: `app.kubernetes.io/name=${deployment}`,
    });
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
      (p?.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True') &&
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
  const pod = ready[0].metadata.name as string;
  const token = await resolveToken(kube, ns, opts);
  try {
    const res = await podProxyRequest(kube, {
      namespace: ns,
      pod,
      port: HTTP_PORT,
      path: '/v1/queue',
      headers: headersFor(token),
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
      return {
        name,
        status: 'fail',
        evidence: res.fromApiServer
          ? `${source}: the API server could not reach the worker (${res.statusCode}: ${statusMessage(res.body)})`
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
