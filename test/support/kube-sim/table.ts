/**
 * meta.k8s.io/v1 Table output (what `kubectl get` asks for with `Accept: ...;as=Table`), with the
 * columns the real server prints for the common resources.
 */
import type { ResourceDef } from './resources.js';
import type { Json, KObj } from './status.js';

/** True when the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** kubectl's short age format: 5s, 3m, 2d4h, ... */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 ? `${d}d${h % 24 ? `${h % 24}h` : ''}` : `${d}d`;
}

interface Col {
  name: string;
  type: string;
  priority?: number;
  format?: string;
  cell: (o: KObj, now: number) => Json;
}

const age = (o: KObj, now: number) => shortAge(now - Date.parse(o.metadata.creationTimestamp));
const NAME: Col = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const AGE: Col = { name: 'Age', type: 'string', cell: age };

function podStatus(p: KObj): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  let reason = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of (p.status?.containerStatuses ?? []) as KObj[]) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

function podRestarts(p: KObj): string {
  const cs = (p.status?.containerStatuses ?? []) as KObj[];
  const n = cs.reduce((a, c) => a + (c.restartCount ?? 0), 0);
  const last = cs
    .map((c) => c.lastState?.terminated?.finishedAt)
    .filter(Boolean)
    .sort()
    .pop();
  return last && n > 0 ? `${n} (${shortAge(Date.now() - Date.parse(last))} ago)` : String(n);
}

const COLUMNS: Record<string, Col[]> = {
  '/pods': [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (p) => {
        const cs = (p.status?.containerStatuses ?? []) as KObj[];
        const total = (p.spec?.containers ?? []).length;
        return `${cs.filter((c) => c.ready).length}/${total}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: podRestarts },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (p) => p.status?.podIP ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (p) => p.spec?.nodeName ?? '<none>' },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  'apps/deployments': [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (d) => d.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (d) => d.status?.availableReplicas ?? 0 },
    AGE,
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      cell: (d) => (d.spec?.template?.spec?.containers ?? []).map((c: KObj) => c.name).join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      cell: (d) => (d.spec?.template?.spec?.containers ?? []).map((c: KObj) => c.image).join(','),
    },
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (d) =>
        Object.entries(d.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    },
  ],
  'apps/replicasets': [
    NAME,
    { name: 'Desired', type: 'integer', cell: (r) => r.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', cell: (r) => r.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', cell: (r) => r.status?.readyReplicas ?? 0 },
    AGE,
  ],
  '/services': [
    NAME,
    { name: 'Type', type: 'string', cell: (s) => s.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (s) => s.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (s) => (s.spec?.ports ?? []).map((p: KObj) => `${p.port}/${p.protocol ?? 'TCP'}`).join(','),
    },
    AGE,
  ],
  '/events': [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (e, now) => shortAge(now - Date.parse(e.lastTimestamp ?? e.metadata.creationTimestamp)),
    },
    { name: 'Type', type: 'string', cell: (e) => e.type },
    { name: 'Reason', type: 'string', cell: (e) => e.reason },
    {
      name: 'Object',
      type: 'string',
      cell: (e) => `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name}`,
    },
    { name: 'Message', type: 'string', cell: (e) => e.message },
  ],
  'autoscaling/horizontalpodautoscalers': [
    NAME,
    {
      name: 'Reference',
      type: 'string',
      cell: (h) => `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`,
    },
    {
      name: 'Targets',
      type: 'string',
      cell: (h) =>
        ((h.spec?.metrics ?? []) as KObj[])
          .map((m) => `cpu: <unknown>/${m.resource?.target?.averageUtilization ?? '?'}%`)
          .join(', ') || '<none>',
    },
    { name: 'MinPods', type: 'integer', cell: (h) => h.spec?.minReplicas ?? 1 },
    { name: 'MaxPods', type: 'integer', cell: (h) => h.spec?.maxReplicas ?? 0 },
    { name: 'Replicas', type: 'integer', cell: (h) => h.status?.currentReplicas ?? 0 },
    AGE,
  ],
  '/endpoints': [
    NAME,
    {
      name: 'Endpoints',
      type: 'string',
      cell: (e) => {
        const eps = ((e.subsets ?? []) as KObj[]).flatMap((s) =>
          ((s.addresses ?? []) as KObj[]).flatMap((a) =>
            ((s.ports ?? []) as KObj[]).map((p) => `${a.ip}:${p.port}`),
          ),
        );
        return eps.length
          ? eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '')
          : '<none>';
      },
    },
    AGE,
  ],
  '/configmaps': [
    NAME,
    {
      name: 'Data',
      type: 'integer',
      cell: (c) => Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length,
    },
    AGE,
  ],
  '/secrets': [
    NAME,
    { name: 'Type', type: 'string', cell: (s) => s.type ?? 'Opaque' },
    { name: 'Data', type: 'integer', cell: (s) => Object.keys(s.data ?? {}).length },
    AGE,
  ],
  'coordination.k8s.io/leases': [
    NAME,
    { name: 'Holder', type: 'string', cell: (l) => l.spec?.holderIdentity ?? '' },
    AGE,
  ],
  '/nodes': [
    NAME,
    {
      name: 'Status',
      type: 'string',
      cell: (n) =>
        ((n.status?.conditions ?? []) as KObj[]).find((c) => c.type === 'Ready')?.status === 'True'
          ? 'Ready'
          : 'NotReady',
    },
    { name: 'Roles', type: 'string', cell: () => '<none>' },
    AGE,
    { name: 'Version', type: 'string', cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? '' },
  ],
  '/namespaces': [NAME, { name: 'Status', type: 'string', cell: (n) => n.status?.phase ?? 'Active' }, AGE],
};

/** Builds a Table for the objects. `includeObject` is None, Metadata (default) or Object. */
export function buildTable(
  r: ResourceDef,
  items: KObj[],
  resourceVersion: string,
  now: number,
  includeObject: string | null,
  meta: KObj = {},
): KObj {
  const cols = COLUMNS[`${r.group}/${r.plural}`] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...meta },
    columnDefinitions: cols.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => {
      const row: KObj = { cells: cols.map((c) => c.cell(o, now)) };
      const mode = includeObject ?? 'Metadata';
      if (mode === 'Object') row.object = o;
      else if (mode === 'Metadata') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      }
      return row;
    }),
  };
}
