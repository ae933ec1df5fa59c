/**
 * metrics.k8s.io/v1beta1: PodMetrics (what a test set, else a stable synthetic value for running
 * pods) and NodeMetrics (the sum of the node's pods plus a system share).
 */
import type { ServerResponse } from 'node:http';
import { nameHash } from '../logs.js';
import { findResource } from '../resources.js';
import { parseLabelSelector } from '../selectors.js';
import { type KObj, methodNotAllowed, StatusError } from '../status.js';
import { type ParsedPath, type ServerContext, send } from './context.js';
import { checkAccess } from './rbac.js';
import type { ContainerUsage } from './types.js';

const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity ("250m", "150Mi", "12345678n", "1.5Gi") as a number of base units. */
export function quantityToNumber(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) return 0;
  return Number(m[1]) * (SUFFIX[m[2]] ?? 1);
}

/** The usage of a pod: what the test set, else a stable synthetic value for running pods. */
export function podMetrics(ctx: ServerContext, pod: KObj): KObj | undefined {
  const { store } = ctx;
  const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const set = ctx.state.metrics.get(key);
  const containers = ((pod.spec?.containers ?? []) as KObj[]).map((c) => c.name as string);
  let usage: ContainerUsage[];
  if (set) {
    usage = set.map((u, i) => ({ ...u, name: u.name ?? containers[i] ?? containers[0] }));
  } else {
    if (pod.status?.phase !== 'Running') return undefined;
    const h = nameHash(key);
    usage = containers.map((name) => ({
      name,
      cpu: `${(10 + (h % 40)) * 1_000_000 + (h % 997)}n`,
      memory: `${(100 + (h % 60)) * 1024}Ki`,
    }));
  }
  return {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: store.timestamp(ctx.now()),
      labels: pod.metadata.labels ?? {},
    },
    timestamp: store.timestamp(ctx.now() - 5000),
    window: '15.01s',
    containers: usage.map((u) => ({ name: u.name, usage: { cpu: u.cpu, memory: u.memory } })),
  };
}

/** Node usage: the sum of its pods' usage plus a system share. */
function nodeMetrics(ctx: ServerContext, node: KObj): KObj {
  const { store } = ctx;
  let cpuNano = 150_000_000;
  let memBytes = 900 * 1024 * 1024;
  for (const pod of store.peekList(PODS)) {
    if (pod.spec?.nodeName !== node.metadata.name) continue;
    for (const c of (podMetrics(ctx, pod)?.containers ?? []) as KObj[]) {
      cpuNano += quantityToNumber(c.usage.cpu) * 1e9;
      memBytes += quantityToNumber(c.usage.memory);
    }
  }
  return {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {
      name: node.metadata.name,
      creationTimestamp: store.timestamp(ctx.now()),
      labels: node.metadata.labels ?? {},
    },
    timestamp: store.timestamp(ctx.now() - 5000),
    window: '20.05s',
    usage: { cpu: `${Math.round(cpuNano)}n`, memory: `${Math.round(memBytes / 1024)}Ki` },
  };
}

export function serveMetrics(
  ctx: ServerContext,
  res: ServerResponse,
  method: string,
  p: ParsedPath,
  query: URLSearchParams,
): unknown {
  const { store, state } = ctx;
  if (method !== 'GET') throw methodNotAllowed();
  if (p.r.plural === 'nodes') {
    if (p.name) {
      checkAccess(state, 'get', p);
      const node = store.get(NODES, undefined, p.name);
      if (!node) {
        throw new StatusError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${p.name}" not found`, {
          name: p.name,
          group: 'metrics.k8s.io',
          kind: 'nodes',
        });
      }
      return send(res, 200, nodeMetrics(ctx, node));
    }
    checkAccess(state, 'list', p);
    const label = parseLabelSelector(query.get('labelSelector'));
    const items = store
      .list(NODES)
      .filter((n) => label(n.metadata.labels))
      .map((n) => nodeMetrics(ctx, n));
    return send(res, 200, {
      kind: 'NodeMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items,
    });
  }
  if (p.name) {
    checkAccess(state, 'get', p);
    const pod = store.get(PODS, p.namespace, p.name);
    const m = pod ? podMetrics(ctx, pod) : undefined;
    if (!m)
      throw new StatusError(
        404,
        'NotFound',
        `podmetrics.metrics.k8s.io "${p.namespace}/${p.name}" not found`,
        {
          name: `${p.namespace}/${p.name}`,
          group: 'metrics.k8s.io',
          kind: 'pods',
        },
      );
    return send(res, 200, m);
  }
  checkAccess(state, 'list', p);
  const label = parseLabelSelector(query.get('labelSelector'));
  const items = store
    .list(PODS, p.namespace)
    .filter((o) => label(o.metadata.labels))
    .map((o) => podMetrics(ctx, o))
    .filter((m): m is KObj => !!m);
  send(res, 200, {
    kind: 'PodMetricsList',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {},
    items,
  });
}
