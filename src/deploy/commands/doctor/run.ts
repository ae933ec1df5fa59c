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
 * Each check is in its own checks-*.ts; this file runs them in order and skips what cannot run.
 */
import { PVC_NAME } from '../../manifests/labels.js';
import { redactUrl } from '../../output/redact-url.js';
import { checkClusterReachable, checkKubeconfig, checkMetricsApi, checkNamespace } from './checks-cluster.js';
import { checkNodeVersion } from './checks-node.js';
import { checkPermissions } from './checks-permissions.js';
import { checkPrometheus } from './checks-prometheus.js';
import { checkPullSecretAge } from './checks-pull-secret.js';
import { checkRedisPersistence } from './checks-redis.js';
import { checkPvc } from './checks-storage.js';
import type { DoctorCheck, DoctorOptions, DoctorStatus, PermissionResult } from './types.js';

export interface DoctorResult {
  ok: boolean;
  namespace: string;
  context?: string;
  server?: string;
  checks: DoctorCheck[];
  permissions: PermissionResult[];
  summary: Record<DoctorStatus, number>;
}

/** The checks that need the cluster, in order. */
const CLUSTER_CHECKS = [
  'cluster reachable',
  'namespace',
  'permissions',
  'metrics API',
  'image pull secret',
  'data volume claim',
  'redis persistence',
];

export async function runDoctor(opts: DoctorOptions): Promise<DoctorResult> {
  const checks: DoctorCheck[] = [];
  let permissions: PermissionResult[] = [];
  const ns = opts.namespace;
  let context: string | undefined;
  let server: string | undefined;
  const result = (): DoctorResult => {
    const summary = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const c of checks) summary[c.status]++;
    // No URL credential reaches a pass or fix line, whichever check built it.
    const clean = checks.map((c) => ({
      ...c,
      evidence: redactUrl(c.evidence),
      ...(c.fix !== undefined ? { fix: redactUrl(c.fix) } : {}),
    }));
    return {
      ok: summary.fail === 0,
      namespace: ns,
      context,
      server: server === undefined ? undefined : redactUrl(server),
      checks: clean,
      permissions,
      summary,
    };
  };
  const skipAll = (reason: string, names: string[]) => {
    for (const name of names) checks.push({ name, status: 'skip', evidence: reason });
  };

  checks.push(checkNodeVersion(opts.nodeVersion ?? process.versions.node));

  // Prometheus does not need the cluster: check it wherever it is in the flow (added at the end).
  const prometheus = opts.prometheusUrl
    ? checkPrometheus(opts.prometheusUrl, opts.fetch ?? fetch, opts.prometheusAuth)
    : undefined;

  const connection = await checkKubeconfig(opts.kube);
  checks.push(connection.check);
  context = connection.context;
  server = connection.server;
  const kube = connection.kube;
  if (!kube) {
    // A local worker (--url) still answers about Redis persistence without a cluster.
    skipAll('no kubeconfig', opts.workerUrl ? CLUSTER_CHECKS.slice(0, -1) : CLUSTER_CHECKS);
    if (prometheus) checks.push(await prometheus);
    if (opts.workerUrl) checks.push(await checkRedisPersistence(undefined, ns, opts));
    return result();
  }

  const reachable = await checkClusterReachable(kube);
  checks.push(reachable);
  if (reachable.status !== 'pass') {
    skipAll('cluster not reachable', CLUSTER_CHECKS.slice(1));
    if (prometheus) checks.push(await prometheus);
    return result();
  }

  const namespace = await checkNamespace(kube, ns, opts.namespaceChosen);
  checks.push(namespace.check);

  const reviewed = await checkPermissions(kube, ns, opts);
  permissions = reviewed.permissions;
  checks.push(reviewed.check);

  checks.push(await checkMetricsApi(kube));

  if (!namespace.exists) {
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
