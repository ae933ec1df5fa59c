/**
 * A container's life per its image's behavior, once its pod is on a node: pull (or ErrImagePull →
 * ImagePullBackOff), CreateContainerConfigError, run → Ready, run but never ready (failing
 * readiness probe), or crash-loop / OOMKilled with restarts, back-off and previous logs.
 */
import type { ControllerContext } from './context.js';
import { type At, type ContainerRuntime, containerId, type PodRuntime } from './runtime.js';

/** What a container needs of the kubelet. */
export interface ContainerHost {
  readonly ctx: ControllerContext;
  /** Writes the pod's status from its runtime. */
  writePod(rt: PodRuntime): void;
  /** Records an event on the pod (when it still exists). */
  podEvent(
    rt: PodRuntime,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    fieldPath?: string,
  ): void;
  /** Writes the image's generated startup log lines (and keeps writing, per its generator). */
  writeStartupLogs(rt: PodRuntime, c: ContainerRuntime): void;
}

/** Starts one container of a scheduled pod; `at` and `every` run only while the pod lives. */
export function startContainer(
  host: ContainerHost,
  rt: PodRuntime,
  c: ContainerRuntime,
  at: At,
  every: At,
): void {
  const { opts, logs } = host.ctx;
  const b = c.behavior;
  const delay = b.delayMs ?? opts.readyDelayMs;
  const interval = b.restartIntervalMs ?? Math.max(delay * 4, 50);
  const fp = `spec.containers{${c.name}}`;
  const ev = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    host.podEvent(rt, type, reason, message, 'kubelet', fp);
  if (b.kind === 'imagepull') {
    ev('Normal', 'Pulling', `Pulling image "${c.image}"`);
    const pullMsg =
      b.message ??
      `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": failed to resolve reference "${c.image}": ${c.image}: not found`;
    at(delay / 2, () => {
      c.state = 'waiting';
      c.waiting = { reason: 'ErrImagePull', message: pullMsg };
      host.writePod(rt);
      ev('Warning', 'Failed', `Failed to pull image "${c.image}": ${pullMsg}`);
      ev('Warning', 'Failed', 'Error: ErrImagePull');
    });
    at(delay, () => {
      c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` };
      c.settled = true;
      host.writePod(rt);
      ev('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      ev('Warning', 'Failed', 'Error: ImagePullBackOff');
    });
    every(interval, () => {
      ev('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
      ev('Warning', 'Failed', 'Error: ImagePullBackOff');
    });
    return;
  }
  ev('Normal', 'Pulling', `Pulling image "${c.image}"`);
  ev(
    'Normal',
    'Pulled',
    `Successfully pulled image "${c.image}" in 1.2s (1.2s including waiting). Image size: 52428800 bytes.`,
  );
  if (b.kind === 'createconfigerror') {
    at(delay / 2, () => {
      const msg = b.message ?? 'secret "preview-worker-secrets" not found';
      c.state = 'waiting';
      c.waiting = { reason: 'CreateContainerConfigError', message: msg };
      c.settled = true;
      host.writePod(rt);
      ev('Warning', 'Failed', `Error: ${msg}`);
    });
    every(interval, () =>
      ev('Warning', 'Failed', `Error: ${b.message ?? 'secret "preview-worker-secrets" not found'}`),
    );
    return;
  }
  const run = () => {
    c.state = 'running';
    c.waiting = undefined;
    c.started = true;
    c.containerID = containerId();
    c.startedAt = host.ctx.ts();
    ev('Normal', 'Created', `Created container: ${c.name}`);
    ev('Normal', 'Started', `Started container ${c.name}`);
    host.writeStartupLogs(rt, c);
  };
  at(delay / 2, () => {
    run();
    host.writePod(rt);
  });
  if (b.kind === 'ready') {
    at(delay, () => {
      c.ready = true;
      c.settled = true;
      host.writePod(rt);
    });
    return;
  }
  if (b.kind === 'readiness-failing') {
    at(delay, () => {
      c.settled = true;
    });
    const probe = () =>
      ev('Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    at(delay, probe);
    every(interval, probe);
    return;
  }
  // crashloop / oomkilled
  const oom = b.kind === 'oomkilled';
  let backoff = 10;
  const crash = () => {
    const lines =
      b.crashLogLines ??
      (oom
        ? [JSON.stringify({ level: 30, time: opts.now(), msg: 'preview worker started' })]
        : [
            JSON.stringify({ level: 30, time: opts.now(), msg: 'preview worker started' }),
            JSON.stringify({
              level: 60,
              time: opts.now(),
              msg: b.message ?? 'Error: connect ECONNREFUSED 10.96.0.15:6379',
            }),
          ]);
    logs.append(rt.ns, rt.name, c.name, lines);
    logs.rotate(rt.ns, rt.name, c.name);
    const finishedAt = host.ctx.ts();
    c.lastTerminated = {
      exitCode: oom ? 137 : (b.exitCode ?? 1),
      reason: oom ? 'OOMKilled' : 'Error',
      ...(oom ? {} : { message: b.message ?? 'Error: connect ECONNREFUSED 10.96.0.15:6379' }),
      startedAt: c.startedAt ?? finishedAt,
      finishedAt,
      containerID: c.containerID || containerId(),
    };
    c.restartCount++;
    c.settled = true;
    c.state = 'waiting';
    c.ready = false;
    const podRef = `${rt.name}_${rt.ns}(${rt.uid})`;
    c.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${backoff >= 300 ? '5m0s' : `${backoff}s`} restarting failed container=${c.name} pod=${podRef}`,
    };
    backoff = Math.min(backoff * 2, 300);
    host.writePod(rt);
    ev('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef}`);
  };
  at(delay, crash);
  every(interval, () => {
    run();
    crash();
  });
}
