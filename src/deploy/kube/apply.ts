/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`, a field manager and force) of the
 * rendered objects, and the server-side dry run (`dryRun=All`) diff against the live objects that
 * `deploy --dry-run` prints.
 *
 * Objects are applied in Helm's install order (namespace and RBAC first, workloads after their
 * config, monitoring last). Kinds from CRDs the cluster does not serve (ServiceMonitor and
 * PrometheusRule without the Prometheus Operator) are skipped with a note instead of failing.
 * Cluster-scoped objects (the Namespace) are only created when missing: the deployer's Role is
 * namespaced and cannot patch them.
 */
import { stringify } from 'yaml';
import type { KubeRequest, KubeResponse } from './client.js';
import { KubeApiError, type KubeStatus } from './errors.js';

export const FIELD_MANAGER = 'mobius-deploy';

/** The smallest shape of a Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What apply needs from the cluster client (`KubeClients` satisfies it). */
export interface ApplyTransport {
  request(req: KubeRequest): Promise<KubeResponse>;
}

interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

const KNOWN: Record<string, ResourceInfo> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'monitoring.coreos.com/v1/ServiceMonitor': { plural: 'servicemonitors', namespaced: true },
  'monitoring.coreos.com/v1/PrometheusRule': { plural: 'prometheusrules', namespaced: true },
  'coordination.k8s.io/v1/Lease': { plural: 'leases', namespaced: true },
};

/** Helm's install order (pkg/release/util/kind_sorter.go), trimmed to what we render. */
const INSTALL_ORDER = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'Deployment',
  'HorizontalPodAutoscaler',
  'ServiceMonitor',
  'PrometheusRule',
];

/** Sorts objects into install order (unknown kinds last, stable). */
export function sortForInstall<T extends { kind: string }>(objects: T[]): T[] {
  const rank = (k: string) => {
    const i = INSTALL_ORDER.indexOf(k);
    return i === -1 ? INSTALL_ORDER.length : i;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map((x) => x.o);
}

/** `Deployment/preview-worker`, for messages. */
export function refOf(obj: { kind: string; metadata: { name: string } }): string {
  return `${obj.kind}/${obj.metadata.name}`;
}

/** The resource is a kind this cluster does not serve (its CRD is not installed). */
export class KindNotServedError extends Error {
  override name = 'KindNotServedError';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`${kind} (${apiVersion}) is not served by this cluster; is its CRD installed?`);
  }
}

const discovered = new Map<string, ResourceInfo | null>();

async function resourceInfo(
  transport: ApplyTransport,
  apiVersion: string,
  kind: string,
): Promise<ResourceInfo> {
  const key = `${apiVersion}/${kind}`;
  const known = KNOWN[key];
  if (known) return known;
  if (!discovered.has(key)) {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await transport.request({ path });
    let info: ResourceInfo | null = null;
    if (res.statusCode === 200) {
      const list = JSON.parse(res.body.toString('utf8')) as {
        resources?: { name: string; kind: string; namespaced: boolean }[];
      };
      const r = list.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
      if (r) info = { plural: r.name, namespaced: r.namespaced };
    }
    discovered.set(key, info);
  }
  const info = discovered.get(key);
  if (!info) throw new KindNotServedError(apiVersion, kind);
  return info;
}

/** The API path of an object (collection path when `named` is false). */
export async function objectPath(transport: ApplyTransport, obj: KubeObject, named = true): Promise<string> {
  const info = await resourceInfo(transport, obj.apiVersion, obj.kind);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}` : '';
  return `${base}${ns}/${info.plural}${named ? `/${encodeURIComponent(obj.metadata.name)}` : ''}`;
}

function parseBody(res: KubeResponse): unknown {
  if (res.body.length === 0) return undefined;
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    return { message: res.body.toString('utf8').slice(0, 300) };
  }
}

function failure(res: KubeResponse, method: string, path: string, obj: KubeObject): KubeApiError {
  const status = parseBody(res) as KubeStatus | undefined;
  return new KubeApiError(res.statusCode, status, {
    method,
    path,
    verb: method === 'PATCH' ? 'patch' : method === 'POST' ? 'create' : 'get',
    resource: path.split('/').slice(-2, -1)[0],
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
  });
}

/** Reads the live object, or undefined when it does not exist. */
export async function readLive(transport: ApplyTransport, obj: KubeObject): Promise<KubeObject | undefined> {
  const path = await objectPath(transport, obj);
  const res = await transport.request({ path });
  if (res.statusCode === 404) return undefined;
  if (res.statusCode !== 200) throw failure(res, 'GET', path, obj);
  return parseBody(res) as KubeObject;
}

export interface ApplyOptions {
  fieldManager?: string;
  /** Take ownership of fields other managers set (kubectl apply --server-side --force-conflicts). */
  force?: boolean;
  /** dryRun=All: the server validates and answers with the result, and stores nothing. */
  dryRun?: boolean;
}

/** Server-side apply of one object; answers the object as the server stored (or would store) it. */
export async function serverSideApply(
  transport: ApplyTransport,
  obj: KubeObject,
  options: ApplyOptions = {},
): Promise<KubeObject> {
  const path = await objectPath(transport, obj);
  const body = { ...obj, metadata: { ...obj.metadata } };
  delete (body.metadata as Record<string, unknown>).resourceVersion;
  delete (body.metadata as Record<string, unknown>).managedFields;
  const res = await transport.request({
    method: 'PATCH',
    path,
    query: {
      fieldManager: options.fieldManager ?? FIELD_MANAGER,
      force: options.force ?? true,
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    },
    contentType: 'application/apply-patch+yaml',
    body,
  });
  if (res.statusCode !== 200 && res.statusCode !== 201) throw failure(res, 'PATCH', path, obj);
  return parseBody(res) as KubeObject;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'skipped';

export interface AppliedObject {
  ref: string;
  kind: string;
  name: string;
  action: ApplyAction;
  /** Why it was skipped. */
  note?: string;
  /** The object as the server answered (absent when skipped). */
  result?: KubeObject;
  /** Unified diff of live → desired (dry run only). */
  diff?: string;
}

/**
 * Applies every object (install order), or with `dryRun` asks the server what it would store and
 * diffs that against the live object. Stops at the first error (the caller records ApplyFailed).
 */
export async function applyObjects(
  transport: ApplyTransport,
  objects: KubeObject[],
  options: ApplyOptions = {},
): Promise<AppliedObject[]> {
  const results: AppliedObject[] = [];
  for (const obj of sortForInstall(objects)) {
    const ref = refOf(obj);
    const base = { ref, kind: obj.kind, name: obj.metadata.name };
    let info: ResourceInfo;
    try {
      info = await resourceInfo(transport, obj.apiVersion, obj.kind);
    } catch (err) {
      if (err instanceof KindNotServedError) {
        results.push({
          ...base,
          action: 'skipped',
          note: `${obj.apiVersion} ${obj.kind} is not served by this cluster`,
        });
        continue;
      }
      throw err;
    }
    const live = await readLive(transport, obj);
    if (!info.namespaced && live) {
      results.push({
        ...base,
        action: 'unchanged',
        note: 'exists (cluster-scoped objects are only created)',
        result: live,
      });
      continue;
    }
    const result = await serverSideApply(transport, obj, options);
    const changed = !live || normalizedYaml(live) !== normalizedYaml(result);
    const action: ApplyAction = !live ? 'created' : changed ? 'configured' : 'unchanged';
    results.push({
      ...base,
      action,
      result,
      ...(options.dryRun
        ? { diff: unifiedDiff(live ? normalizedYaml(live) : '', normalizedYaml(result), ref) }
        : {}),
    });
  }
  return results;
}

const NOISY_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
];
const NOISY_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
];

/** A copy without the fields the server manages (status, managedFields, resourceVersion, ...). */
export function normalizeForDiff(obj: KubeObject | Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(obj) as Record<string, unknown>;
  delete copy.status;
  const meta = copy.metadata as Record<string, unknown> | undefined;
  if (meta) {
    for (const k of NOISY_METADATA) delete meta[k];
    const ann = meta.annotations as Record<string, string> | undefined;
    if (ann) {
      for (const k of NOISY_ANNOTATIONS) delete ann[k];
      if (Object.keys(ann).length === 0) delete meta.annotations;
    }
  }
  return sortKeys(copy) as Record<string, unknown>;
}

/** A copy of `v` with every object's keys in sorted order (stable comparison and YAML output). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** YAML of the normalized object, for comparing and diffing. */
export function normalizedYaml(obj: KubeObject | Record<string, unknown>): string {
  return stringify(normalizeForDiff(obj), { lineWidth: 0 });
}

/**
 * A unified diff (3 lines of context) between two texts; '' when equal. Line-based LCS, which is
 * fine for manifests (hundreds of lines).
 */
export function unifiedDiff(before: string, after: string, label: string, context = 3): string {
  if (before === after) return '';
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = LCS length of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  type Op = { t: ' ' | '-' | '+'; line: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ t: ' ', line: a[i]!, ai: i++, bi: j++ });
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ t: '-', line: a[i]!, ai: i++, bi: j });
    } else {
      ops.push({ t: '+', line: b[j]!, ai: i, bi: j++ });
    }
  }
  const out = [`--- live ${label}`, `+++ desired ${label}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.t === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // extend the hunk while the next change is within 2*context unchanged lines (like GNU diff)
    let lastChange = k;
    while (end < ops.length) {
      if (ops[end]!.t !== ' ') lastChange = end;
      else if (end - lastChange > context * 2) break;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const aStart = hunk[0]!.ai + 1;
    const bStart = hunk[0]!.bi + 1;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    k = end;
  }
  return `${out.join('\n')}\n`;
}
