/**
 * Typed reads and writes of core (`v1`) resources: namespaces, pods, secrets, service accounts, services, endpoints,
 * events and PersistentVolumeClaims. Errors are the transport's (kube/errors.ts): a 404 is a
 * KubeApiError with statusCode 404, a missing namespace a NamespaceNotFoundError.
 */
import type {
  CoreV1Event,
  V1Endpoints,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Secret,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { collectionPath, namespacePath, objectPath } from './paths.js';
import type { KubeReader, KubeWriter, ListOf, Query } from './reader.js';

export function getNamespace(kube: KubeReader, name: string): Promise<V1Namespace> {
  return kube.getJson<V1Namespace>(namespacePath(name));
}

export function listPods(kube: KubeReader, namespace: string, query?: Query): Promise<ListOf<V1Pod>> {
  return kube.getJson<ListOf<V1Pod>>(collectionPath('v1', 'pods', namespace), query);
}

export function listServiceAccounts(kube: KubeReader, namespace: string): Promise<ListOf<V1ServiceAccount>> {
  return kube.getJson<ListOf<V1ServiceAccount>>(collectionPath('v1', 'serviceaccounts', namespace));
}

export function getSecret(kube: KubeReader, namespace: string, name: string): Promise<V1Secret> {
  return kube.getJson<V1Secret>(objectPath('v1', 'secrets', namespace, name));
}

export function createSecret(kube: KubeWriter, namespace: string, body: V1Secret): Promise<V1Secret> {
  return kube.requestJson<V1Secret>({
    method: 'POST',
    path: collectionPath('v1', 'secrets', namespace),
    body,
  });
}

export function replaceSecret(
  kube: KubeWriter,
  namespace: string,
  name: string,
  body: V1Secret,
): Promise<V1Secret> {
  return kube.requestJson<V1Secret>({
    method: 'PUT',
    path: objectPath('v1', 'secrets', namespace, name),
    body,
  });
}

export function getService(kube: KubeReader, namespace: string, name: string): Promise<V1Service> {
  return kube.getJson<V1Service>(objectPath('v1', 'services', namespace, name));
}

export function listServices(kube: KubeReader, namespace: string): Promise<ListOf<V1Service>> {
  return kube.getJson<ListOf<V1Service>>(collectionPath('v1', 'services', namespace));
}

export function getEndpoints(kube: KubeReader, namespace: string, name: string): Promise<V1Endpoints> {
  return kube.getJson<V1Endpoints>(objectPath('v1', 'endpoints', namespace, name));
}

export function listEvents(kube: KubeReader, namespace: string, query?: Query): Promise<ListOf<CoreV1Event>> {
  return kube.getJson<ListOf<CoreV1Event>>(collectionPath('v1', 'events', namespace), query);
}

export function getPersistentVolumeClaim(
  kube: KubeReader,
  namespace: string,
  name: string,
): Promise<V1PersistentVolumeClaim> {
  return kube.getJson<V1PersistentVolumeClaim>(objectPath('v1', 'persistentvolumeclaims', namespace, name));
}
