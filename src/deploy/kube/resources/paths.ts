/**
 * The API paths of the resources the toolkit reads and writes, in one place: every other module
 * names a resource by kind, namespace and name, and never spells a REST path itself. The transport
 * reads a path back (describePath) with the same rules, so an error can name the verb, resource
 * and namespace ("cannot list pods in namespace production").
 */

const enc = encodeURIComponent;

/** What a request was, so a 403 can name the verb and resource. */
export interface RequestDescription {
  method: string;
  path: string;
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
}

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

/** The RBAC verb of an HTTP method. */
export function verbFor(method: string, named: boolean, watch = false): string {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/**
 * Split an API path into namespace, resource (with subresource, as RBAC names it: `pods/log`,
 * `pods/proxy`) and name. `/api/v1/namespaces/ns/pods/p/proxy/metrics` → pods/proxy, ns, p.
 */
export function describePath(method: string, path: string): RequestDescription {
  const clean = path.split('?')[0];
  const parts = clean.split('/').filter(Boolean);
  // /api/v1/... or /apis/group/version/...
  let i = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : parts.length;
  const group = parts[0] === 'apis' ? parts[1] : '';
  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const plural = parts[i];
  const name = parts[i + 1];
  const sub = parts[i + 2];
  if (plural === 'namespaces' && name && !sub) namespace = name;
  const resource = `${plural ?? ''}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
  const watch = /[?&]watch=(1|true)\b/.test(path);
  return { method, path, namespace, name, resource, verb: verbFor(method, Boolean(name), watch) };
}
