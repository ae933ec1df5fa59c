/**
 * The worker container, started the way the rendered Deployment runs it (run-spec.ts), and what the
 * kubelet would see of it: the startup, liveness and readiness probes on the Deployment's paths and
 * port, its exit on SIGTERM within terminationGracePeriodSeconds, and the files it changed outside
 * its volumes (`podman diff` against a container of the same image that ran only `true`).
 */
import { describeEnd, tail } from './exec.js';
import {
  CONTAINER_ULIMITS,
  type FileChange,
  PodmanError,
  parseDiff,
  podman,
  writesOutside,
} from './podman.js';
import type { Progress } from './progress.js';
import {
  type ContainerRunSpec,
  type ProbeSpec,
  podmanRunArgs,
  type RunPlacement,
  startupBudgetSeconds,
} from './run-spec.js';

export class ContainerError extends Error {}

export interface HttpAnswer {
  status: number;
  body: string;
}

export async function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer | { error: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, body: await r.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { error: cause ?? (err as Error).message };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ContainerStatus {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
}

export class WorkerContainer {
  readonly baseUrl: string;

  private constructor(
    readonly name: string,
    readonly spec: ContainerRunSpec,
    placement: RunPlacement,
  ) {
    this.baseUrl = `http://127.0.0.1:${placement.hostPort}`;
  }

  /**
   * What podman itself changes in every container of this image with these mounts, run as a
   * container that only runs `true`.
   */
  static baselineDiff(spec: ContainerRunSpec, placement: RunPlacement): FileChange[] {
    const name = `${placement.name}-baseline`;
    podman.removeContainer(name);
    const args = podmanRunArgs(spec, { ...placement, name });
    const image = args.pop()!;
    try {
      podman.ok(['run', ...CONTAINER_ULIMITS, ...args, '--entrypoint', 'true', image]);
      return parseDiff(podman.ok(['diff', '--format', 'json', name]));
    } finally {
      podman.removeContainer(name);
    }
  }

  static start(spec: ContainerRunSpec, placement: RunPlacement): WorkerContainer {
    podman.removeContainer(placement.name);
    podman.ok(['run', '--detach', ...CONTAINER_ULIMITS, ...podmanRunArgs(spec, placement)]);
    return new WorkerContainer(placement.name, spec, placement);
  }

  status(): ContainerStatus {
    const out = podman.ok([
      'inspect',
      '--format',
      '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}',
      this.name,
    ]);
    const [running, code, oom] = out.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code), oomKilled: oom === 'true' };
  }

  logs(lines = 40): string {
    const r = podman.run(['logs', '--tail', String(lines), this.name]);
    return tail(`${r.stdout}\n${r.stderr}`, lines);
  }

  /** A crashed process's log: its first lines (where the error is named) and its last ones. */
  logSummary(): string {
    const lines = this.logs(100_000).split('\n');
    if (lines.length <= 30) return lines.join('\n');
    return [...lines.slice(0, 12), `... (${lines.length - 24} more lines) ...`, ...lines.slice(-12)].join(
      '\n',
    );
  }

  private exitedMessage(what: string): string {
    const s = this.status();
    return `the container exited (code ${s.exitCode}${s.oomKilled ? ', OOM-killed' : ''}) ${what}; its log:\n${this.logSummary()}`;
  }

  /**
   * Polls a probe the way the kubelet does (every periodSeconds, each try with its timeout) until it
   * answers 2xx, giving up after `budgetSeconds`; a line every 10 seconds says what it waits for.
   */
  async waitForProbe(p: ProbeSpec, budgetSeconds: number, progress: Progress, what: string): Promise<number> {
    const started = Date.now();
    let lastSay = started;
    let last = 'no answer yet';
    while ((Date.now() - started) / 1000 < budgetSeconds) {
      const r = await httpGet(`${this.baseUrl}${p.path}`, p.timeoutSeconds * 1000);
      if ('status' in r && r.status >= 200 && r.status < 400) return (Date.now() - started) / 1000;
      last = 'status' in r ? `${r.status} ${r.body.slice(0, 200)}` : r.error;
      if (!this.status().running) throw new ContainerError(this.exitedMessage(`while waiting for ${what}`));
      if (Date.now() - lastSay >= 10_000) {
        lastSay = Date.now();
        progress.info(
          `waiting for ${what} (${Math.round((Date.now() - started) / 1000)} of ${budgetSeconds} s): ${last}`,
        );
      }
      await sleep(Math.min(p.periodSeconds, 1) * 1000);
    }
    throw new ContainerError(
      `${what} did not answer within ${budgetSeconds} s (last: ${last}); its last log lines:\n${this.logs()}`,
    );
  }

  /** The startup probe's budget: periodSeconds × failureThreshold, as the kubelet allows. */
  waitStarted(progress: Progress): Promise<number> {
    const p = this.spec.probes.startup;
    return this.waitForProbe(p, startupBudgetSeconds(p), progress, `the startup probe ${p.path}`);
  }

  async get(path: string): Promise<HttpAnswer> {
    const r = await httpGet(`${this.baseUrl}${path}`, 5000);
    if ('error' in r) throw new ContainerError(`GET ${path} failed: ${r.error}`);
    return r;
  }

  /**
   * Sends SIGTERM (what the kubelet sends first) and waits up to terminationGracePeriodSeconds for
   * the container to exit. Resolves with the exit code and the seconds it took; `duringDrain` runs
   * right after the signal (readiness checks while the worker drains).
   */
  async terminate(
    progress: Progress,
    duringDrain?: () => Promise<void>,
  ): Promise<{ exitCode: number; seconds: number }> {
    const grace = this.spec.terminationGracePeriodSeconds;
    const started = Date.now();
    podman.ok(['kill', '--signal', 'TERM', this.name]);
    await duringDrain?.();
    let lastSay = Date.now();
    while ((Date.now() - started) / 1000 < grace) {
      const s = this.status();
      if (!s.running) return { exitCode: s.exitCode, seconds: (Date.now() - started) / 1000 };
      if (Date.now() - lastSay >= 10_000) {
        lastSay = Date.now();
        progress.info(
          `waiting for the worker to exit after SIGTERM (${Math.round((Date.now() - started) / 1000)} of ${grace} s)`,
        );
      }
      await sleep(250);
    }
    podman.run(['kill', '--signal', 'KILL', this.name]);
    throw new ContainerError(
      `the worker did not exit within terminationGracePeriodSeconds (${grace} s) after SIGTERM; the kubelet would SIGKILL it. Last log lines:\n${this.logs()}`,
    );
  }

  /** Paths the container changed outside its volumes, beyond what podman changes in every container. */
  writesOutsideVolumes(baseline: FileChange[]): FileChange[] {
    const writable = [...this.spec.tmpfs.map((t) => t.path), ...this.spec.volumes.map((v) => v.path)];
    return writesOutside(parseDiff(podman.ok(['diff', '--format', 'json', this.name])), baseline, writable);
  }

  remove(): void {
    try {
      podman.removeContainer(this.name);
    } catch (err) {
      if (!(err instanceof PodmanError)) throw err;
    }
  }
}

/** Runs a one-off command in the image (not as the Deployment runs it: for looking inside). */
export function runInImage(image: string, entrypoint: string, args: string[]): string {
  const r = podman.run([
    'run',
    '--rm',
    ...CONTAINER_ULIMITS,
    '--network',
    'none',
    '--no-healthcheck',
    '--read-only',
    '--entrypoint',
    entrypoint,
    image,
    ...args,
  ]);
  if (r.code !== 0) {
    throw new ContainerError(
      `${entrypoint} ${args.slice(0, 1).join(' ')} in the image ${describeEnd(r)}:\n${tail(`${r.stdout}\n${r.stderr}`, 15)}`,
    );
  }
  return r.stdout;
}
