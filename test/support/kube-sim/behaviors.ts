/**
 * How simulated containers behave, keyed by image: the "kubelet" side of the simulator.
 */

/** What a pod's containers do after scheduling. */
export type BehaviorKind =
  | 'ready'
  | 'crashloop'
  | 'imagepull'
  | 'oomkilled'
  | 'pending'
  | 'createconfigerror'
  | 'readiness-failing';

/** A behavior with its knobs. A bare kind string uses the defaults. */
export interface ImageBehavior {
  kind: BehaviorKind;
  /** Time from creation to Ready (ready) or to the first crash (crashloop/oomkilled). Default: the sim's readyDelayMs. */
  delayMs?: number;
  /** Time between restarts for crashloop/oomkilled, and between Unhealthy events. Default 4× delay. */
  restartIntervalMs?: number;
  /** Exit code of the crashing container (crashloop; default 1). */
  exitCode?: number;
  /** lastState.terminated.message (crashloop), the CreateContainerConfigError or pull message, or the scheduler message. */
  message?: string;
  /** Log lines the container writes before it crashes (crashloop/oomkilled). */
  crashLogLines?: string[];
}

export const BEHAVIOR_KINDS: BehaviorKind[] = [
  'ready',
  'crashloop',
  'imagepull',
  'oomkilled',
  'pending',
  'createconfigerror',
  'readiness-failing',
];

export function normalizeBehavior(b: BehaviorKind | ImageBehavior): ImageBehavior {
  const out = typeof b === 'string' ? { kind: b } : { ...b };
  if (!BEHAVIOR_KINDS.includes(out.kind)) throw new Error(`kube-sim: unknown image behavior "${out.kind}"`);
  return out;
}

/** The default scheduler message of the `pending` behavior. */
export const UNSCHEDULABLE_MESSAGE =
  '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
