/**
 * Seeding: namespaces, and a worker-like Deployment (+ Service + HPA) whose pods write worker-style
 * log lines, waiting for its rollout (or its pods) like a test would.
 */
import type { Api } from './api.js';
import type { Controllers } from './controller/index.js';
import { workerLogGenerator } from './logs.js';
import type { SeedDeploymentOptions, SeededDeployment } from './public-types.js';
import { findResource } from './resources.js';
import type { KObj } from './status.js';
import type { Store } from './store.js';
import { type WaitFor, waitForRollout } from './waits.js';

const NS = findResource('', 'v1', 'namespaces')!;
const PODS = findResource('', 'v1', 'pods')!;
const DEPLOY = findResource('apps', 'v1', 'deployments')!;
const RS = findResource('apps', 'v1', 'replicasets')!;
const DEFAULT_IMAGE = 'ghcr.io/mobius/preview-worker:1.0.0';

/** Pods owned (through ReplicaSets) by a deployment. */
export function podsOf(store: Store, namespace: string, deployment: string): KObj[] {
  const d = store.peek(DEPLOY, namespace, deployment);
  if (!d) return [];
  const rsUids = new Set(
    store
      .peekList(RS, namespace)
      .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r: KObj) => r.uid === d.metadata.uid))
      .map((rs) => rs.metadata.uid),
  );
  return store
    .list(PODS, namespace)
    .filter((p) => (p.metadata.ownerReferences ?? []).some((r: KObj) => rsUids.has(r.uid)));
}

/** Creates a namespace (no-op when it exists). */
export function createNamespace(store: Store, api: Api, name: string, labels?: Record<string, string>): KObj {
  const existing = store.get(NS, undefined, name);
  if (existing) return existing;
  return api.create(
    NS,
    undefined,
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } },
    { fieldManager: 'kube-sim' },
  );
}

/** What seeding needs of the simulator. */
export interface SeedParts {
  store: Store;
  api: Api;
  controllers: Controllers;
  waitFor: WaitFor;
}

/** A worker-like Deployment (+ Service + HPA), waiting for its pods unless told not to. */
export async function seedDeployment(
  { store, api, controllers, waitFor }: SeedParts,
  o: SeedDeploymentOptions = {},
): Promise<SeededDeployment> {
  const namespace = o.namespace ?? 'production';
  const name = o.name ?? 'preview-worker';
  const image = o.image ?? DEFAULT_IMAGE;
  const replicas = o.replicas ?? 3;
  const port = o.port ?? 3000;
  createNamespace(store, api, namespace);
  if (o.workerLogs !== false) controllers.setLogGenerator(image, workerLogGenerator, { initialLines: 20 });
  const selector = o.selector ?? { 'app.kubernetes.io/name': name };
  const labels = { ...selector, 'app.kubernetes.io/part-of': 'mobius', ...(o.labels ?? {}) };
  const deployment = api.create(
    DEPLOY,
    namespace,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        ...(o.progressDeadlineSeconds !== undefined
          ? { progressDeadlineSeconds: o.progressDeadlineSeconds }
          : {}),
        ...(o.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: o.revisionHistoryLimit } : {}),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: o.containerName ?? 'worker',
                image,
                ports: [{ name: 'http', containerPort: port }],
                env: [
                  { name: 'PORT', value: String(port) },
                  { name: 'PREVIEW_QUEUE_NAME', value: 'preview-jobs' },
                ],
                resources: {
                  requests: { cpu: '250m', memory: '256Mi' },
                  limits: { cpu: '1', memory: '1Gi' },
                },
                livenessProbe: { httpGet: { path: '/livez', port: 'http' } },
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
                ...(o.container ?? {}),
              },
            ],
          },
        },
      },
    },
    { fieldManager: 'kube-sim-seed' },
  );
  let service: KObj | undefined;
  let hpa: KObj | undefined;
  if (o.service !== false && !store.peek(findResource('', 'v1', 'services')!, namespace, name)) {
    service = api.create(
      findResource('', 'v1', 'services')!,
      namespace,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace, labels },
        spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
      { fieldManager: 'kube-sim-seed' },
    );
  }
  const HPA = findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!;
  if (o.hpa !== false && !store.peek(HPA, namespace, name)) {
    hpa = api.create(
      HPA,
      namespace,
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name, namespace, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: Math.max(1, replicas),
          maxReplicas: Math.max(replicas * 3, 6),
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
            },
          ],
        },
      },
      { fieldManager: 'kube-sim-seed' },
    );
  }
  const wait = o.wait ?? controllers.behaviorFor(image).kind === 'ready';
  if (wait) {
    await waitForRollout(store, waitFor, namespace, name, { timeoutMs: 15_000 + replicas * 200 });
  } else {
    await waitFor(() => podsOf(store, namespace, name).length >= replicas, {
      message: `${replicas} pods of ${name}`,
    });
  }
  return {
    deployment: store.get(DEPLOY, namespace, name) ?? deployment,
    service: service ? store.get(findResource('', 'v1', 'services')!, namespace, name) : undefined,
    hpa: hpa ? store.get(HPA, namespace, name) : undefined,
    pods: podsOf(store, namespace, name),
  };
}
