/**
 * Typed reads of `apps/v1` and `autoscaling/v2` resources: Deployments, ReplicaSets and
 * HorizontalPodAutoscalers.
 */
import type { V1Deployment, V1ReplicaSet, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { collectionPath, objectPath } from './paths.js';
import type { KubeReader, ListOf, Query } from './reader.js';

export function deploymentPath(namespace: string, name: string): string {
  return objectPath('apps/v1', 'deployments', namespace, name);
}

export function getDeployment(kube: KubeReader, namespace: string, name: string): Promise<V1Deployment> {
  return kube.getJson<V1Deployment>(deploymentPath(namespace, name));
}

export function listDeployments(
  kube: KubeReader,
  namespace: string,
  query?: Query,
): Promise<ListOf<V1Deployment>> {
  return kube.getJson<ListOf<V1Deployment>>(collectionPath('apps/v1', 'deployments', namespace), query);
}

export function listReplicaSets(
  kube: KubeReader,
  namespace: string,
  query?: Query,
): Promise<ListOf<V1ReplicaSet>> {
  return kube.getJson<ListOf<V1ReplicaSet>>(collectionPath('apps/v1', 'replicasets', namespace), query);
}

export function listHorizontalPodAutoscalers(
  kube: KubeReader,
  namespace: string,
): Promise<ListOf<V2HorizontalPodAutoscaler>> {
  return kube.getJson<ListOf<V2HorizontalPodAutoscaler>>(
    collectionPath('autoscaling/v2', 'horizontalpodautoscalers', namespace),
  );
}
