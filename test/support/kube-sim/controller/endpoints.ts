/**
 * Services → Endpoints and EndpointSlices: ready pods are addresses, unready ones notReadyAddresses,
 * Terminating ones leave the ready set; Endpoints of a deleted Service go.
 */
import { deepEqual, isObj } from '../patch.js';
import { labelSelectorObjectMatcher } from '../selectors.js';
import type { KObj } from '../status.js';
import { type ControllerContext, isReady, R } from './context.js';

function resolveTargetPort(p: KObj, pod: KObj | undefined): number {
  const tp = p.targetPort ?? p.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(String(tp))) return Number(tp);
  for (const c of (pod?.spec?.containers ?? []) as KObj[]) {
    for (const cp of (c.ports ?? []) as KObj[]) if (cp.name === tp) return cp.containerPort;
  }
  return p.port;
}

export class EndpointsController {
  private readonly managedEndpoints = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  sync(svc: KObj): void {
    const { store } = this.ctx;
    const sel = svc.spec?.selector;
    if (!isObj(sel) || Object.keys(sel).length === 0) return;
    const ns = svc.metadata.namespace;
    const matcher = labelSelectorObjectMatcher({ matchLabels: sel });
    const pods = store.peekList(R.pods, ns).filter((p) => matcher(p.metadata.labels) && p.status?.podIP);
    const ports = ((svc.spec.ports ?? []) as KObj[]).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: resolveTargetPort(p, pods[0]),
      protocol: p.protocol ?? 'TCP',
    }));
    const addr = (p: KObj) => ({
      ip: p.status.podIP,
      nodeName: p.spec.nodeName,
      targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
    });
    const active = pods.filter((p) => !p.metadata.deletionTimestamp);
    const readyPods = active.filter(isReady);
    const notReadyPods = active.filter((p) => !isReady(p));
    const ep: KObj = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: svc.metadata.name, namespace: ns, labels: { ...(svc.metadata.labels ?? {}) } },
    };
    if (active.length) {
      const subset: KObj = {};
      if (readyPods.length) subset.addresses = readyPods.map(addr);
      if (notReadyPods.length) subset.notReadyAddresses = notReadyPods.map(addr);
      subset.ports = ports;
      ep.subsets = [subset];
    }
    this.managedEndpoints.add(`${ns}/${svc.metadata.name}`);
    const existing = store.peek(R.endpoints, ns, svc.metadata.name);
    if (!existing) store.insert(R.endpoints, store.prepareCreate(R.endpoints, ep, ns));
    else if (
      !deepEqual(existing.subsets, ep.subsets) ||
      !deepEqual(existing.metadata.labels, ep.metadata.labels)
    ) {
      store.mutate(R.endpoints, ns, svc.metadata.name, (o) => {
        o.metadata.labels = ep.metadata.labels;
        if (ep.subsets) o.subsets = ep.subsets;
        else delete o.subsets;
      });
    }
    const sliceName = `${svc.metadata.name}-${svc.metadata.uid.replace(/[^a-z0-9]/g, '').slice(0, 5)}`;
    const slice: KObj = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: sliceName,
        namespace: ns,
        labels: {
          ...(svc.metadata.labels ?? {}),
          'kubernetes.io/service-name': svc.metadata.name,
          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        },
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            name: svc.metadata.name,
            uid: svc.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      addressType: 'IPv4',
      endpoints: pods.map((p) => ({
        addresses: [p.status.podIP],
        conditions: {
          ready: isReady(p) && !p.metadata.deletionTimestamp,
          serving: isReady(p),
          terminating: !!p.metadata.deletionTimestamp,
        },
        targetRef: { kind: 'Pod', namespace: ns, name: p.metadata.name, uid: p.metadata.uid },
        nodeName: p.spec.nodeName,
      })),
      ports,
    };
    const es = store.peek(R.slices, ns, sliceName);
    if (!es) store.insert(R.slices, store.prepareCreate(R.slices, slice, ns));
    else if (!deepEqual(es.endpoints, slice.endpoints) || !deepEqual(es.ports, slice.ports)) {
      store.mutate(R.slices, ns, sliceName, (o) => {
        o.endpoints = slice.endpoints;
        o.ports = slice.ports;
      });
    }
  }

  /** Removes the Endpoints of Services that are gone. */
  cleanup(): void {
    const { store } = this.ctx;
    for (const key of [...this.managedEndpoints]) {
      const [ns, name] = key.split('/');
      if (store.peek(R.services, ns, name)) continue;
      this.managedEndpoints.delete(key);
      if (store.peek(R.endpoints, ns, name)) store.remove(R.endpoints, ns, name);
    }
  }
}
