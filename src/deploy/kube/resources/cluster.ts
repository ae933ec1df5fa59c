/**
 * Typed calls on the cluster as a whole and on the other API groups the toolkit reads: the
 * server version, API discovery, access reviews, pod metrics, EndpointSlices and RBAC objects.
 */
import type {
  V1APIGroupList,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1EndpointSlice,
  V1Role,
  V1RoleBinding,
  V1SelfSubjectAccessReview,
  VersionInfo,
} from '@kubernetes/client-node';
import type { KubeRequest } from '../client.js';
import { collectionPath } from './paths.js';
import type { KubeReader, KubeWriter, ListOf, Query } from './reader.js';

export function getServerVersion(kube: KubeReader, extra?: Partial<KubeRequest>): Promise<VersionInfo> {
  return kube.getJson<VersionInfo>('/version', undefined, extra);
}

export function listApiGroups(kube: KubeReader): Promise<V1APIGroupList> {
  return kube.getJson<V1APIGroupList>('/apis');
}

export function createSelfSubjectAccessReview(
  kube: KubeWriter,
  body: V1SelfSubjectAccessReview,
): Promise<V1SelfSubjectAccessReview> {
  return kube.requestJson<V1SelfSubjectAccessReview>({
    method: 'POST',
    path: collectionPath('authorization.k8s.io/v1', 'selfsubjectaccessreviews'),
    body,
  });
}

/** One pod's usage from metrics.k8s.io (the metrics-server's PodMetrics). */
export interface PodMetrics {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

export function listPodMetrics(
  kube: KubeReader,
  namespace: string,
  query?: Query,
  extra?: Partial<KubeRequest>,
): Promise<ListOf<PodMetrics>> {
  return kube.getJson<ListOf<PodMetrics>>(
    collectionPath('metrics.k8s.io/v1beta1', 'pods', namespace),
    query,
    extra,
  );
}

export function listEndpointSlices(
  kube: KubeReader,
  namespace: string,
  query?: Query,
): Promise<ListOf<V1EndpointSlice>> {
  return kube.getJson<ListOf<V1EndpointSlice>>(
    collectionPath('discovery.k8s.io/v1', 'endpointslices', namespace),
    query,
  );
}

const RBAC = 'rbac.authorization.k8s.io/v1';
export const listRoles = (kube: KubeReader, namespace: string) =>
  kube.getJson<ListOf<V1Role>>(collectionPath(RBAC, 'roles', namespace));
export const listRoleBindings = (kube: KubeReader, namespace: string) =>
  kube.getJson<ListOf<V1RoleBinding>>(collectionPath(RBAC, 'rolebindings', namespace));
export const listClusterRoles = (kube: KubeReader) =>
  kube.getJson<ListOf<V1ClusterRole>>(collectionPath(RBAC, 'clusterroles'));
export const listClusterRoleBindings = (kube: KubeReader) =>
  kube.getJson<ListOf<V1ClusterRoleBinding>>(collectionPath(RBAC, 'clusterrolebindings'));
