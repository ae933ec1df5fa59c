/**
 * Which pods and containers `logs` reads: the Deployment's spec.selector (found through the
 * Deployment, not by name), the pods it selects, and in each pod the container to read.
 */
import type { V1Deployment, V1LabelSelector, V1Pod, V1PodList } from '@kubernetes/client-node';
import { UnhealthyError, UsageError } from '../../errors.js';
import type { KubeClients } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { assertNamespaceExists } from '../../kube/namespace.js';
import { getDeployment } from '../../kube/resources/apps.js';
import { listPods as listPodsIn } from '../../kube/resources/core.js';
import { labelSelectorToString } from '../../kube/rollout.js';
import type { LogsNote, LogsRequest, Target } from './types.js';

/**
 * The label selector string of a Deployment's spec.selector (matchLabels and matchExpressions),
 * expression values in the Deployment's own order.
 */
export function selectorToString(sel: V1LabelSelector | undefined): string {
  return labelSelectorToString(sel, { sortValues: false });
}

export async function deploymentSelector(
  clients: KubeClients,
  namespace: string,
  name: string,
): Promise<string> {
  let dep: V1Deployment;
  try {
    dep = await getDeployment(clients, namespace, name);
  } catch (err) {
    if (isNotFound(err)) {
      await assertNamespaceExists(clients, namespace);
      throw new UnhealthyError(`Deployment ${name} not found in namespace ${namespace}.`, {
        hint: 'Check --deployment and -n/--namespace; `kubectl get deployments -n NAMESPACE` lists them.',
        cause: err,
      });
    }
    throw err;
  }
  const selector = selectorToString(dep.spec?.selector);
  if (!selector)
    throw new UnhealthyError(`Deployment ${name} has an empty spec.selector; it selects no pods.`);
  return selector;
}

export async function listPods(
  clients: KubeClients,
  namespace: string,
  selector: string,
): Promise<V1PodList> {
  return (await listPodsIn(clients, namespace, { labelSelector: selector })) as V1PodList;
}

export function byName(a: V1Pod, b: V1Pod): number {
  return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The container to read: --container, else kubectl's default-container annotation, else the first. */
export function containerOf(pod: V1Pod, wanted: string | undefined): string | undefined {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (wanted) return names.includes(wanted) ? wanted : undefined;
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  return names[0];
}

function containerStatus(pod: V1Pod, container: string) {
  return pod.status?.containerStatuses?.find((s) => s.name === container);
}

/** A container that has started (running or terminated) has a log to read. */
export function containerStarted(pod: V1Pod, container: string): boolean {
  const s = containerStatus(pod, container);
  return Boolean(s?.state?.running || s?.state?.terminated || s?.lastState?.terminated);
}

export function noPodsError(deployment: string, namespace: string, selector: string): UnhealthyError {
  return new UnhealthyError(
    `No pods of deployment ${deployment} in namespace ${namespace} (selector ${selector}).`,
    {
      hint: 'The Deployment may be scaled to 0 or its pods not created yet: see `mobius-deploy status`.',
    },
  );
}

/**
 * The pods to read once, by name, each with its container; pods without the container (or, with
 * --previous, without a terminated one) are noted and skipped.
 */
export async function resolveTargets(
  clients: KubeClients,
  req: LogsRequest,
  notes: LogsNote[],
): Promise<{ selector: string; targets: Target[] }> {
  const selector = await deploymentSelector(clients, req.namespace, req.deployment);
  const list = await listPods(clients, req.namespace, selector);
  const pods = (list.items ?? []).slice().sort(byName);
  if (pods.length === 0) throw noPodsError(req.deployment, req.namespace, selector);
  const targets: Target[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const container = containerOf(pod, req.container);
    if (!container) {
      const names = (pod.spec?.containers ?? []).map((c) => c.name).join(', ');
      notes.push({
        kind: 'container-missing',
        pod: name,
        message: `pod ${name} has no container ${req.container} (it has: ${names})`,
      });
      continue;
    }
    if (req.previous && !containerStatus(pod, container)?.lastState?.terminated) {
      const restarts = containerStatus(pod, container)?.restartCount ?? 0;
      notes.push({
        kind: 'no-previous',
        pod: name,
        message: `pod ${name} has no previous terminated container ${container} (restarts: ${restarts})`,
      });
      continue;
    }
    targets.push({ pod: name, container });
  }
  if (targets.length === 0 && req.container && notes.every((n) => n.kind === 'container-missing')) {
    throw new UsageError(`No pod of deployment ${req.deployment} has a container named ${req.container}.`, {
      hint: 'Leave out --container to read the default container, or name one of the containers listed above.',
    });
  }
  return { selector, targets };
}
