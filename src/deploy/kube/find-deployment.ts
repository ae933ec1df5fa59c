/**
 * Find the worker's Deployment the way `status` and `verify` do: by name, else by its
 * app.kubernetes.io/name label, and tell a missing namespace apart from a missing Deployment.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { NamespaceNotFoundError, UnhealthyError } from '../errors.js';
import { APP_NAME } from '../manifests/labels.js';
import { isNotFound } from './errors.js';
import { getDeployment, listDeployments } from './resources/apps.js';
import { getNamespace } from './resources/core.js';
import type { KubeReader } from './resources/reader.js';

export const DEFAULT_DEPLOYMENT = APP_NAME;
export const DEFAULT_SELECTOR = `app.kubernetes.io/name=${APP_NAME}`;

/** Find the Deployment by name, else by label; throws NamespaceNotFoundError / UnhealthyError. */
export async function findDeployment(
  kube: KubeReader,
  namespace: string,
  name: string = DEFAULT_DEPLOYMENT,
  selector: string = DEFAULT_SELECTOR,
): Promise<V1Deployment> {
  try {
    return await getDeployment(kube, namespace, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const [byLabel, ns] = await Promise.all([
    selector ? listDeployments(kube, namespace, { labelSelector: selector }) : Promise.resolve({ items: [] }),
    getNamespace(kube, namespace).catch((err) => {
      if (isNotFound(err)) return null;
      return undefined; // 403 etc.: cannot tell; carry on
    }),
  ]);
  if (ns === null) throw new NamespaceNotFoundError(namespace);
  const [only, ...more] = byLabel.items;
  if (only && more.length === 0) return only;
  if (only) {
    const names = byLabel.items.map((d) => d.metadata?.name).join(', ');
    throw new UnhealthyError(`Several Deployments in namespace ${namespace} match ${selector}: ${names}.`, {
      hint: 'Pick one with --deployment NAME.',
    });
  }
  throw new UnhealthyError(
    `Deployment ${name} not found in namespace ${namespace}${selector ? ` (and no Deployment has the label ${selector})` : ''}.`,
    { hint: 'Check --deployment, -n/--namespace and --context; deploy it with `mobius-deploy deploy`.' },
  );
}
