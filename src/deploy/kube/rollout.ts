/**
 * Rollout state of a Deployment, with exactly the rules of `kubectl rollout status`
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go, DeploymentStatusViewer):
 *   1. metadata.generation > status.observedGeneration → waiting for the spec update to be observed
 *   2. Progressing condition with reason ProgressDeadlineExceeded → failed
 *   3. status.updatedReplicas < spec.replicas → N out of M new replicas have been updated
 *   4. status.replicas > status.updatedReplicas → N old replicas are pending termination
 *   5. status.availableReplicas < status.updatedReplicas → N of M updated replicas are available
 *   6. otherwise → successfully rolled out
 * The messages are kubectl's. In addition, `paused` is reported (kubectl would wait forever on a
 * paused, unfinished rollout; we say so instead).
 */

/** The parts of apps/v1 Deployment this module reads. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number; paused?: boolean; progressDeadlineSeconds?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastUpdateTime?: string | Date;
      lastTransitionTime?: string | Date;
    }>;
  };
}

export type RolloutPhase = 'complete' | 'progressing' | 'waiting-for-observation' | 'failed' | 'paused';

export interface RolloutStatus {
  phase: RolloutPhase;
  /** True only when kubectl would say "successfully rolled out". */
  done: boolean;
  /** kubectl's message, e.g. `Waiting for deployment "x" rollout to finish: 1 out of 3 new replicas have been updated...` */
  message: string;
  /** Which rule decided (for evidence). */
  rule:
    | 'observedGeneration'
    | 'progressDeadline'
    | 'updatedReplicas'
    | 'oldReplicas'
    | 'availableReplicas'
    | 'complete';
  desired?: number;
  updated: number;
  available: number;
  /** Old replicas still pending termination. */
  oldReplicas: number;
  paused: boolean;
}

export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

export function deploymentRolloutStatus(d: DeploymentLike): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const generation = d.metadata?.generation ?? 0;
  const st = d.status ?? {};
  const observed = st.observedGeneration ?? 0;
  const desired = d.spec?.replicas;
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const paused = d.spec?.paused === true;
  const base = { desired, updated, available, oldReplicas: Math.max(0, replicas - updated), paused };
  const waiting = (message: string, rule: RolloutStatus['rule']): RolloutStatus => ({
    ...base,
    phase: paused ? 'paused' : 'progressing',
    done: false,
    message: paused
      ? `${message} (the deployment is paused: resume it with \`kubectl rollout resume deployment/${name}\`)`
      : message,
    rule,
  });

  if (generation > observed) {
    return {
      ...waiting('Waiting for deployment spec update to be observed...', 'observedGeneration'),
      phase: paused ? 'paused' : 'waiting-for-observation',
    };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return {
      ...base,
      phase: 'failed',
      done: false,
      message: `deployment "${name}" exceeded its progress deadline`,
      rule: 'progressDeadline',
    };
  }
  if (desired !== undefined && updated < desired) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
      'updatedReplicas',
    );
  }
  if (replicas > updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
      'oldReplicas',
    );
  }
  if (available < updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      'availableReplicas',
    );
  }
  return {
    ...base,
    phase: 'complete',
    done: true,
    message: `deployment "${name}" successfully rolled out`,
    rule: 'complete',
  };
}

/** The revision annotation the deployment controller stamps (`deployment.kubernetes.io/revision`). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export function deploymentRevision(d: DeploymentLike): number | undefined {
  const v = d.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? Number.NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * A label selector object (matchLabels + matchExpressions) as the string form for `?labelSelector=`.
 * Expression values are sorted unless `sortValues` is false (then they keep the object's order).
 */
export function labelSelectorToString(
  selector:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
      }
    | undefined,
  { sortValues = true }: { sortValues?: boolean } = {},
): string {
  if (!selector) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const list = e.values ?? [];
    const values = (sortValues ? [...list].sort() : list).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        throw new Error(`Unknown label selector operator "${e.operator}" for key ${e.key}`);
    }
  }
  return parts.join(',');
}
