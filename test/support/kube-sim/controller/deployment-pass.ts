/**
 * One sync pass of the deployment controller over one Deployment: the values its phases share
 * (rollout in deployment-rollout.ts, status and history in deployment-status.ts), the revision
 * annotations, and what a phase may ask of the controller.
 */
import type { KObj } from '../status.js';
import { type ControllerContext, num } from './context.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** The state of one pass, read and updated by its phases in turn. */
export interface DeploymentPass {
  /** The Deployment as last written in this pass. */
  d: KObj;
  readonly ns: string;
  readonly uid: string;
  /** spec.replicas. */
  readonly want: number;
  readonly paused: boolean;
  /** RollingUpdate or Recreate. */
  readonly strategy: string;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  /** The Deployment's ReplicaSets. */
  all: KObj[];
  /** The ReplicaSet whose template equals the Deployment's, once there is one. */
  newRs: KObj | undefined;
  /** The highest revision among the old ReplicaSets when the pass began. */
  readonly maxOldRevision: number;
  /** The pass's timestamp for conditions. */
  readonly now: string;
  /** The Progressing condition as it will be written. */
  progressing: KObj | undefined;
}

/** What a phase may ask of the deployment controller. */
export interface DeploymentOps {
  readonly ctx: ControllerContext;
  /** The ReplicaSets the Deployment controls. */
  rsFor(d: KObj): KObj[];
  /** Sets rs.spec.replicas (and the desired/max annotations), with a ScalingReplicaSet event. */
  scaleRs(d: KObj, rs: KObj, replicas: number, maxSurge: number): KObj;
  /** Sets the pass's Progressing condition and marks progress now. */
  setProgressing(pass: DeploymentPass, status: string, reason: string, message: string): void;
  /** When the Deployment last progressed (ms), if this controller saw it. */
  progressMarkOf(uid: string): number | undefined;
  /** Re-runs the loop in ms (the progress deadline). */
  armDeadline(uid: string, ms: number): void;
}

export function revisionOf(rs: KObj): number {
  const v = Number(rs.metadata?.annotations?.[REVISION] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

export function condition(type: string, status: string, reason: string, message: string, ts: string): KObj {
  return { type, status, lastUpdateTime: ts, lastTransitionTime: ts, reason, message };
}

/** The pass's ReplicaSets other than the new one. */
export function olds(pass: DeploymentPass): KObj[] {
  return pass.all.filter((rs) => rs.metadata.uid !== pass.newRs?.metadata.uid);
}

/** True when the deployment status is what `kubectl rollout status` calls complete. */
export function deploymentComplete(d: KObj): boolean {
  const s = d.status ?? {};
  const want = num(d.spec?.replicas);
  return (
    num(s.updatedReplicas) === want &&
    num(s.replicas) === want &&
    num(s.availableReplicas) === want &&
    num(s.observedGeneration) >= num(d.metadata?.generation)
  );
}
