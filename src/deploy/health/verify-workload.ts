/**
 * verify's checks of the workload in the cluster: the namespace exists, the Deployment is rolled
 * out (kubectl rollout status rules), and its pods are all ready with no restart within the window.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { NamespaceNotFoundError } from '../errors.js';
import { isNotFound } from '../kube/errors.js';
import { classifyPodHealth } from '../kube/pod-health.js';
import { getNamespace, listPods } from '../kube/resources/core.js';
import type { KubeReader } from '../kube/resources/reader.js';
import { deploymentRolloutStatus, REVISION_ANNOTATION } from '../kube/rollout.js';
import { formatDuration, humanDuration } from '../output/duration.js';
import { plural } from '../output/plural.js';
import type { VerifyCheck, VerifyOptions } from './verify-types.js';

/**
 * The `namespace` check: pass when it exists, warn when RBAC hides it. A missing namespace throws
 * NamespaceNotFoundError, or with missingNamespace 'fail' is a failed check.
 */
export async function checkNamespace(
  kube: KubeReader,
  ns: string,
  missingNamespace: VerifyOptions['missingNamespace'],
): Promise<VerifyCheck> {
  try {
    const nsObj = await getNamespace(kube, ns);
    return {
      name: 'namespace',
      status: 'pass',
      evidence: `namespace ${ns} exists (${nsObj.status?.phase ?? 'Active'})`,
    };
  } catch (err) {
    if (isNotFound(err) || err instanceof NamespaceNotFoundError) {
      if ((missingNamespace ?? 'throw') === 'throw') throw new NamespaceNotFoundError(ns);
      return { name: 'namespace', status: 'fail', evidence: `namespace ${ns} does not exist` };
    }
    if ((err as Error).name !== 'AccessDeniedError') throw err;
    return {
      name: 'namespace',
      status: 'warn',
      evidence: `cannot read namespace ${ns} (RBAC); continuing`,
    };
  }
}

/** The `rollout` check: done by kubectl's rules, with the revision and available replicas. */
export function checkRollout(deployment: V1Deployment): VerifyCheck {
  const rollout = deploymentRolloutStatus(deployment);
  return {
    name: 'rollout',
    status: rollout.done ? 'pass' : 'fail',
    evidence: `${rollout.message} (revision ${deployment.metadata?.annotations?.[REVISION_ANNOTATION] ?? '?'}, ${deployment.status?.availableReplicas ?? 0}/${deployment.spec?.replicas ?? 1} available)`,
  };
}

/** The Deployment's pods that are not being deleted, by name. */
export async function listWorkloadPods(kube: KubeReader, ns: string, selector: string): Promise<V1Pod[]> {
  const podList = await listPods(kube, ns, { labelSelector: selector });
  return podList.items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
}

/** The `pods ready` check: every pod ready, none restarted within the window. */
export function checkPodsReady(
  pods: V1Pod[],
  deployment: V1Deployment,
  selector: string,
  nowMs: number,
  restartWindow: number,
): VerifyCheck {
  const problems: string[] = [];
  for (const p of pods) {
    const h = classifyPodHealth(p, { now: nowMs });
    if (!h.ready)
      problems.push(
        `${p.metadata?.name} not ready${h.reason ? ` (${h.reason}${h.message ? `: ${h.message}` : ''})` : ''}`,
      );
    else if (h.restarts > 0 && h.lastRestartAt && nowMs - Date.parse(h.lastRestartAt) <= restartWindow) {
      const t = h.lastTermination;
      problems.push(
        `${p.metadata?.name} restarted ${humanDuration(nowMs - Date.parse(h.lastRestartAt))} ago (${plural(h.restarts, 'restart')}${t?.reason ? `, last ${t.reason}${t.exitCode !== undefined ? ` exit ${t.exitCode}` : ''}` : ''})`,
      );
    }
  }
  const desired = deployment.spec?.replicas ?? 1;
  if (pods.length === 0 && desired > 0) problems.push(`no pods match ${selector}`);
  const windowText = formatDuration(restartWindow);
  return problems.length
    ? {
        name: 'pods ready',
        status: 'fail',
        evidence: `${problems.length} of ${plural(pods.length, 'pod')} ${problems.length === 1 ? 'has a problem' : 'have problems'}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
      }
    : {
        name: 'pods ready',
        status: 'pass',
        evidence: `${plural(pods.length, 'pod')} ready, no restarts in the last ${windowText}`,
      };
}
