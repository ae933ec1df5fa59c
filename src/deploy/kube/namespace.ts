/**
 * Whether a namespace exists, for the commands that read one: a missing namespace is the same
 * NamespaceNotFoundError (exit 5, "Namespace NS does not exist in this cluster.") in every
 * command. The API server answers a list in a missing namespace with an empty list and a read with
 * the object's own 404, so commands ask about the namespace itself when an answer is empty or 404.
 */
import { NamespaceNotFoundError } from '../errors.js';
import { httpStatusOf, isNotFound, statusOf } from './errors.js';
import { getNamespace } from './resources/core.js';
import type { KubeReader } from './resources/reader.js';

/** true / false, or undefined when the answer cannot tell (403: RBAC hides namespaces). */
export async function namespaceExists(kube: KubeReader, namespace: string): Promise<boolean | undefined> {
  try {
    await getNamespace(kube, namespace);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    if (httpStatusOf(err) === 403 || (err as Error | null)?.name === 'AccessDeniedError') return undefined;
    throw err;
  }
}

/** Throws NamespaceNotFoundError when the namespace certainly does not exist. */
export async function assertNamespaceExists(kube: KubeReader, namespace: string): Promise<void> {
  if ((await namespaceExists(kube, namespace)) === false) throw new NamespaceNotFoundError(namespace);
}

/** A write's 404 that names the namespace (`namespaces "staging" not found`), not the object. */
export function isNamespaceNotFound(err: unknown): boolean {
  if ((err as Error | null)?.name === 'NamespaceNotFoundError') return true;
  const body = statusOf(err);
  return httpStatusOf(err) === 404 && body?.reason === 'NotFound' && body.details?.kind === 'namespaces';
}
