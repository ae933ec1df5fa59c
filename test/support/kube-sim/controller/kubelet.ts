/**
 * The scheduler and kubelet: each new pod gets a runtime, is scheduled on a node in turn (or stays
 * Pending as Unschedulable), and its containers behave per image (containers.ts); the pod status
 * is written from the runtime (pod-status.ts). Images' behaviors and log generators live here.
 */
import { type ImageBehavior, UNSCHEDULABLE_MESSAGE } from '../behaviors.js';
import type { LogGenerator, LogGeneratorOptions } from '../logs.js';
import type { KObj } from '../status.js';
import { type ContainerHost, startContainer } from './containers.js';
import { type ControllerContext, R } from './context.js';
import { NODE_NAMES, writePodStatus } from './pod-status.js';
import type { At, ContainerRuntime, PodRuntime } from './runtime.js';

export class Kubelet implements ContainerHost {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly behaviors = new Map<string, ImageBehavior>();
  private defaultBehavior: ImageBehavior = { kind: 'ready' };
  private readonly generators = new Map<string, { gen: LogGenerator; opts: LogGeneratorOptions }>();
  private ipCounter = 10;
  /** When each pod became Ready (ms), for minReadySeconds. */
  readonly readyAt = new Map<string, number>();

  constructor(readonly ctx: ControllerContext) {}

  /** Stops every pod's timers and forgets the pods. */
  close(): void {
    for (const p of this.pods.values()) for (const t of p.timers) clearTimeout(t);
    this.pods.clear();
  }

  /** True when every container of every pod is in its behavior's steady state. */
  settled(): boolean {
    for (const rt of this.pods.values()) if (!rt.containers.every((c) => c.settled)) return false;
    return true;
  }

  setImageBehavior(image: string, b: ImageBehavior): void {
    this.behaviors.set(image, b);
  }

  setDefaultBehavior(b: ImageBehavior): void {
    this.defaultBehavior = b;
  }

  setLogGenerator(image: string, gen: LogGenerator, opts: LogGeneratorOptions = {}): void {
    this.generators.set(image, { gen, opts });
  }

  behaviorFor(image: string): ImageBehavior {
    const exact = this.behaviors.get(image);
    if (exact) return exact;
    for (const [pattern, b] of this.behaviors) {
      if (pattern.endsWith('*') && image.startsWith(pattern.slice(0, -1))) return b;
    }
    return this.defaultBehavior;
  }

  /** Forgets a pod that is gone (`ns/name`): its timers stop. */
  stopPod(key: string): void {
    const rt = this.pods.get(key);
    if (rt) for (const t of rt.timers) clearTimeout(t);
    this.pods.delete(key);
    this.readyAt.delete(key);
  }

  /** Takes on a new pod: schedules it, then starts its containers. */
  startPod(pod: KObj): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.pods.has(key)) return;
    if (pod.spec?.nodeName && pod.status?.phase && pod.status.phase !== 'Pending') return; // seeded with a status
    if (pod.metadata.annotations?.['kube-sim/static'] === 'true') return;
    const rt: PodRuntime = {
      ns: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      containers: ((pod.spec?.containers ?? []) as KObj[]).map((c) => ({
        name: c.name,
        image: c.image,
        behavior: this.behaviorFor(c.image),
        state: 'creating',
        waiting: { reason: 'ContainerCreating' },
        ready: false,
        started: false,
        restartCount: 0,
        containerID: '',
        logIndex: 0,
        settled: false,
      })),
      timers: [],
      transitions: {},
    };
    this.pods.set(key, rt);
    const delay = this.ctx.opts.readyDelayMs;
    const at: At = (ms, fn) => {
      const t = setTimeout(
        () => {
          if (this.ctx.isClosed() || this.pods.get(key) !== rt) return;
          fn();
        },
        Math.max(0, ms),
      );
      rt.timers.push(t);
    };
    const every: At = (ms, fn) => {
      const tick = () => {
        if (this.ctx.isClosed() || this.pods.get(key) !== rt) return;
        fn();
        at(ms, tick);
      };
      at(ms, tick);
    };
    const worst =
      rt.containers.find((c) => c.behavior.kind !== 'ready')?.behavior ?? rt.containers[0]?.behavior;
    if (worst?.kind === 'pending') {
      at(Math.min(10, delay), () => {
        rt.unschedulable = worst.message ?? UNSCHEDULABLE_MESSAGE;
        for (const c of rt.containers) c.settled = true;
        this.writePod(rt);
        this.podEvent(rt, 'Warning', 'FailedScheduling', rt.unschedulable, 'default-scheduler');
      });
      every(worst.restartIntervalMs ?? delay * 4, () => {
        this.podEvent(
          rt,
          'Warning',
          'FailedScheduling',
          rt.unschedulable ?? UNSCHEDULABLE_MESSAGE,
          'default-scheduler',
        );
      });
      return;
    }
    at(Math.min(10, delay / 4), () => {
      const idx = this.ipCounter++;
      rt.node = NODE_NAMES[idx % NODE_NAMES.length];
      rt.ip = `10.244.${Math.floor(idx / 250) % 250}.${(idx % 250) + 1}`;
      rt.startTime = this.ctx.ts();
      this.writePod(rt);
      this.podEvent(
        rt,
        'Normal',
        'Scheduled',
        `Successfully assigned ${rt.ns}/${rt.name} to ${rt.node}`,
        'default-scheduler',
      );
      for (const c of rt.containers) startContainer(this, rt, c, at, every);
    });
  }

  writeStartupLogs(rt: PodRuntime, c: ContainerRuntime): void {
    const { logs, opts } = this.ctx;
    const g =
      this.generators.get(c.image) ??
      [...this.generators].find(([p]) => p.endsWith('*') && c.image.startsWith(p.slice(0, -1)))?.[1];
    if (!g) return;
    const n = g.opts.initialLines ?? 20;
    const t0 = opts.now();
    const lines: { time: number; text: string }[] = [];
    for (let i = 0; i < n; i++) {
      const time = t0 - (n - i) * 1000;
      lines.push({
        time,
        text: g.gen({ namespace: rt.ns, pod: rt.name, container: c.name, index: c.logIndex++, time }),
      });
    }
    logs.append(rt.ns, rt.name, c.name, lines);
    if (g.opts.intervalMs && g.opts.intervalMs > 0) {
      const key = `${rt.ns}/${rt.name}`;
      const tick = () => {
        if (this.ctx.isClosed() || this.pods.get(key) !== rt || c.state !== 'running') return;
        const time = opts.now();
        logs.append(rt.ns, rt.name, c.name, [
          {
            time,
            text: g.gen({ namespace: rt.ns, pod: rt.name, container: c.name, index: c.logIndex++, time }),
          },
        ]);
        rt.timers.push(setTimeout(tick, g.opts.intervalMs));
      };
      rt.timers.push(setTimeout(tick, g.opts.intervalMs));
    }
  }

  podEvent(
    rt: PodRuntime,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
  ): void {
    const pod = this.ctx.store.peek(R.pods, rt.ns, rt.name);
    if (!pod) return;
    this.ctx.events.record({
      involvedObject: pod,
      type,
      reason,
      message,
      component,
      host: rt.node,
      fieldPath,
    });
  }

  writePod(rt: PodRuntime): void {
    writePodStatus(this.ctx, rt, this.readyAt);
  }
}
