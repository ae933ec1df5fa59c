/**
 * The API paths of the resources the toolkit reads and writes, in one place: every other module
 * names a resource by kind, namespace and name, and never spells a REST path itself.
 */
const enc = encodeURIComponent;

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The collection path of a resource: `/apis/apps/v1/namespaces/ns/deployments`. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  return `${groupVersionPath(apiVersion)}${namespace === undefined ? '' : `/namespaces/${enc(namespace)}`}/${plural}`;
}

/** The path of one named object, optionally a subresource of it: `.../pods/p/log`. */
export function objectPath(
  apiVersion: string,
  plural: string,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  return `${collectionPath(apiVersion, plural, namespace)}/${enc(name)}${subresource ? `/${subresource}` : ''}`;
}

/** `/api/v1/namespaces/<name>`. */
export function namespacePath(name: string): string {
  return `/api/v1/namespaces/${enc(name)}`;
}
