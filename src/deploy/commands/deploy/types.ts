/** What a deploy is asked to do and what it returns (shared by run.ts and auto-rollback.ts). */
import type { AppliedObject, KubeObject } from '../../kube/apply.js';
import type { RolloutOutcome } from '../../kube/rollout-watch.js';
import type { DeploymentRecord } from '../../ledger/index.js';
import type { WatchSettings } from '../../release/environment.js';

export interface DeployInput extends WatchSettings {
  namespace: string;
  /** Environment name (-e), recorded. */
  environment?: string;
  /** The objects to apply (rendered by the manifests builders), or undefined with `image` alone. */
  objects?: KubeObject[];
  /** The image this deploy rolls out (full reference). */
  image: string;
  deployment?: string;
  reason?: string;
  dryRun?: boolean;
  /** Automatic rollback (default true; --no-rollback). */
  rollback?: boolean;
}

export interface DeployResult {
  /** Absent for --dry-run. */
  record?: DeploymentRecord;
  dryRun?: boolean;
  applied?: AppliedObject[];
  rollout?: RolloutOutcome;
  /** The rollout of the automatic rollback, when there was one. */
  rollbackRollout?: RolloutOutcome;
  /** One paragraph: what happened. */
  message: string;
  /** For failed deploys: what a person must do. */
  nextSteps?: string[];
}
