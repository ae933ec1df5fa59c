/**
 * A pod's status as the kubelet reports it: phase, conditions (with stable transition times),
 * container states, node and pod IPs, QoS class; and the simulated nodes pods run on.
 */
import { clone } from '../patch.js';
import type { KObj } from '../status.js';
import { type ControllerContext, R } from './context.js';
import type { PodRuntime } from './runtime.js';

/** The simulated cluster's nodes: pods are scheduled on them in turn. */
export const NODE_NAMES = ['kube-sim-node-1', 'kube-sim-node-2', 'kube-sim-node-3'];

/** A node's InternalIP (a pod's hostIP): 192.168.49.2 for the first node, and so on. */
export function nodeIp(name: string): string {
  return `192.168.49.${NODE_NAMES.indexOf(name) + 2}`;
}

/** The pod's QoS class from its containers' requests and limits. */
export function qosClass(spec: KObj | undefined): string {
  const cs = (spec?.containers ?? []) as KObj[];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** When the condition last took this status (now, the first time it does). */
function transition(ctx: ControllerContext, rt: PodRuntime, type: string, status: string): string {
  const key = `${type}=${status}`;
  if (!rt.transitions[key]) {
    for (const k of Object.keys(rt.transitions)) if (k.startsWith(`${type}=`)) delete rt.transitions[k];
    rt.transitions[key] = ctx.ts();
  }
  return rt.transitions[key];
}

/** Builds the pod status from the runtime and writes it; keeps readyAt (`ns/name` → ms) current. */
export function writePodStatus(ctx: ControllerContext, rt: PodRuntime, readyAt: Map<string, number>): void {
  const cond = (type: string, status: string, reason?: string, message?: string) => ({
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: transition(ctx, rt, type, status),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  });
  ctx.store.mutate(R.pods, rt.ns, rt.name, (pod) => {
    const qos = qosClass(pod.spec);
    if (rt.unschedulable) {
      pod.status = {
        phase: 'Pending',
        conditions: [cond('PodScheduled', 'False', 'Unschedulable', rt.unschedulable)],
        qosClass: qos,
      };
      return;
    }
    pod.spec.nodeName = rt.node;
    const allReady = rt.containers.every((c) => c.ready);
    const key = `${rt.ns}/${rt.name}`;
    if (allReady && !readyAt.has(key)) readyAt.set(key, ctx.opts.now());
    if (!allReady) readyAt.delete(key);
    const notReady = rt.containers.filter((c) => !c.ready).map((c) => c.name);
    const anyStarted = rt.containers.some((c) => c.started);
    const notReadyMsg = `containers with unready status: [${notReady.join(' ')}]`;
    const hostIP = nodeIp(rt.node ?? '');
    pod.status = {
      phase: anyStarted ? 'Running' : 'Pending',
      conditions: [
        cond('PodReadyToStartContainers', 'True'),
        cond('Initialized', 'True'),
        allReady ? cond('Ready', 'True') : cond('Ready', 'False', 'ContainersNotReady', notReadyMsg),
        allReady
          ? cond('ContainersReady', 'True')
          : cond('ContainersReady', 'False', 'ContainersNotReady', notReadyMsg),
        cond('PodScheduled', 'True'),
      ],
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: rt.ip,
      podIPs: [{ ip: rt.ip }],
      startTime: rt.startTime,
      containerStatuses: rt.containers.map((c) => {
        const state: KObj =
          c.state === 'running'
            ? { running: { startedAt: c.startedAt } }
            : {
                waiting: {
                  reason: c.waiting?.reason ?? 'ContainerCreating',
                  ...(c.waiting?.message ? { message: c.waiting.message } : {}),
                },
              };
        return {
          name: c.name,
          state,
          lastState: c.lastTerminated ? { terminated: clone(c.lastTerminated) } : {},
          ready: c.ready,
          restartCount: c.restartCount,
          image: c.image,
          imageID: c.started ? `${c.image.split(':')[0]}@sha256:${'0'.repeat(64)}` : '',
          ...(c.containerID && c.state === 'running' ? { containerID: c.containerID } : {}),
          started: c.state === 'running',
        };
      }),
      qosClass: qos,
    };
  });
}
