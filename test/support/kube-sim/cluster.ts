/**
 * What a new cluster holds before any test writes: the built-in namespaces (default, kube-system,
 * kube-public), three Ready nodes and the `kubernetes` Service in default.
 */
import { NODE_NAMES, nodeIp } from './controller/index.js';
import { findResource, type ResourceDef } from './resources.js';
import type { KObj } from './status.js';
import type { Store } from './store.js';

/** Inserts the built-in objects into an empty store. */
export function seedCluster(store: Store): void {
  const NS = findResource('', 'v1', 'namespaces')!;
  for (const ns of ['default', 'kube-system', 'kube-public']) {
    store.insert(NS, builtinNamespace(store, NS, ns));
  }
  const NODES = findResource('', 'v1', 'nodes')!;
  NODE_NAMES.forEach((name, i) => {
    const node = store.prepareCreate(
      NODES,
      {
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + i)}`,
          },
        },
        spec: { podCIDR: `10.244.${i}.0/24` },
      },
      undefined,
    );
    node.status = {
      capacity: { cpu: '4', memory: '16374584Ki', pods: '110', 'ephemeral-storage': '102350Mi' },
      allocatable: { cpu: '3920m', memory: '15220536Ki', pods: '110', 'ephemeral-storage': '94303002500' },
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
        },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ].map((c) => ({
        ...c,
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: node.metadata.creationTimestamp,
      })),
      addresses: [
        { type: 'InternalIP', address: nodeIp(name) },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4',
        kubeProxyVersion: 'v1.32.4',
        containerRuntimeVersion: 'containerd://1.7.24',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'kube-sim',
        kernelVersion: '6.1.0',
      },
    };
    store.insert(NODES, node);
  });
  store.insert(
    findResource('', 'v1', 'services')!,
    store.prepareCreate(
      findResource('', 'v1', 'services')!,
      {
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.1',
          clusterIPs: ['10.96.0.1'],
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          sessionAffinity: 'None',
        },
      },
      'default',
    ),
  );
}

/** A namespace as the API server creates its built-in ones (default, kube-system, kube-public). */
function builtinNamespace(store: Store, r: ResourceDef, name: string): KObj {
  const o = store.prepareCreate(r, { metadata: { name } }, undefined);
  o.metadata.labels = { 'kubernetes.io/metadata.name': name };
  o.spec = { finalizers: ['kubernetes'] };
  o.status = { phase: 'Active' };
  return o;
}
