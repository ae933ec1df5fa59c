/** What the simulated kubelet knows about a pod and its containers between status writes. */
import { randomBytes } from 'node:crypto';
import type { ImageBehavior } from '../behaviors.js';
import type { KObj } from '../status.js';

export interface ContainerRuntime {
  name: string;
  image: string;
  behavior: ImageBehavior;
  state: 'creating' | 'running' | 'waiting';
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID: string;
  startedAt?: string;
  lastTerminated?: KObj;
  logIndex: number;
  /** Reached its behavior's steady state (Ready, first crash, ImagePullBackOff, ...). */
  settled: boolean;
}

export interface PodRuntime {
  ns: string;
  name: string;
  uid: string;
  unschedulable?: string;
  node?: string;
  ip?: string;
  startTime?: string;
  containers: ContainerRuntime[];
  timers: NodeJS.Timeout[];
  transitions: Record<string, string>;
}

/** Runs fn after ms, unless the pod is gone or the controllers closed. */
export type At = (ms: number, fn: () => void) => void;

export function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}
