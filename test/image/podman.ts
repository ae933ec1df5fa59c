/**
 * podman as `npm run test:image` uses it, and the parsing of what podman prints (the pure half,
 * unit-tested in test/unit/image-podman.test.ts).
 *
 * Every call carries the global options this kind of machine needs: `--runtime runc` and
 * `--cgroup-manager cgroupfs` (no systemd, and crun cannot set up the container here), and every
 * container (the build's RUN steps included) gets explicit nofile/nproc limits, because the machine
 * does not let a container raise its limits above the host's (runc: "error setting rlimits").
 */
import { describeEnd, type RunResult, runStreaming, runSync, type StreamOptions, tail } from './exec.js';

export const PODMAN_GLOBAL_ARGS = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'] as const;
export const CONTAINER_ULIMITS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'] as const;

export class PodmanError extends Error {}

export const podman = {
  run(args: readonly string[], timeoutMs?: number): RunResult {
    return runSync('podman', [...PODMAN_GLOBAL_ARGS, ...args], { timeoutMs });
  },
  /** Runs podman and returns its stdout; a failure throws with podman's own words. */
  ok(args: readonly string[], timeoutMs?: number): string {
    const r = podman.run(args, timeoutMs);
    if (r.code !== 0) {
      throw new PodmanError(`podman ${args[0]} ${describeEnd(r)}:\n${tail(`${r.stdout}\n${r.stderr}`, 15)}`);
    }
    return r.stdout;
  },
  stream(args: readonly string[], opts: StreamOptions): Promise<RunResult> {
    return runStreaming('podman', [...PODMAN_GLOBAL_ARGS, ...args], opts);
  },
  imageExists(name: string): boolean {
    return podman.run(['image', 'exists', name]).code === 0;
  },
  /** Removes a container if it exists (force: a running one is killed). */
  removeContainer(name: string): void {
    podman.run(['rm', '--force', '--ignore', name]);
  },
};

/** The parts of `podman image inspect` the checks read. */
export interface ImageFacts {
  id: string;
  user: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  sizeBytes: number;
  workingDir: string;
  cmd: string[];
  entrypoint: string[];
  stopSignal?: string;
  exposedPorts: string[];
  layers: string[];
  /** the HEALTHCHECK's test (docker format only), [] when there is none */
  healthcheck: string[];
}

export function parseImageInspect(json: string): ImageFacts {
  const parsed = JSON.parse(json) as unknown;
  const first = (Array.isArray(parsed) ? parsed[0] : parsed) as
    | {
        Id: string;
        Size: number;
        Config?: {
          User?: string;
          Labels?: Record<string, string> | null;
          Env?: string[];
          WorkingDir?: string;
          Cmd?: string[] | null;
          Entrypoint?: string[] | null;
          StopSignal?: string;
          ExposedPorts?: Record<string, unknown> | null;
        };
        Labels?: Record<string, string> | null;
        RootFS?: { Layers?: string[] };
        Healthcheck?: { Test?: string[] } | null;
      }
    | undefined;
  if (!first?.Id) throw new Error('podman image inspect printed no image');
  const config = first.Config ?? {};
  const env: Record<string, string> = {};
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return {
    id: first.Id,
    user: config.User ?? '',
    labels: { ...(first.Labels ?? {}), ...(config.Labels ?? {}) },
    env,
    sizeBytes: first.Size,
    workingDir: config.WorkingDir ?? '',
    cmd: config.Cmd ?? [],
    entrypoint: config.Entrypoint ?? [],
    stopSignal: config.StopSignal,
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
    layers: first.RootFS?.Layers ?? [],
    healthcheck: first.Healthcheck?.Test ?? [],
  };
}

/** One entry of `podman history --format json`, newest first as podman prints them. */
export interface HistoryEntry {
  createdBy: string;
  sizeBytes: number;
  comment: string;
}

export function parseHistory(json: string): HistoryEntry[] {
  const rows = JSON.parse(json) as {
    CreatedBy?: string;
    createdBy?: string;
    size?: number;
    comment?: string;
  }[];
  return rows.map((r) => ({
    createdBy: (r.CreatedBy ?? r.createdBy ?? '').trim(),
    sizeBytes: r.size ?? 0,
    comment: r.comment ?? '',
  }));
}

/** A Dockerfile instruction as history shows it: `/bin/sh -c #(nop) ENV X=1` → `ENV X=1`, a RUN as `RUN ...`. */
export function instructionOf(createdBy: string): string {
  const nop = /^\/bin\/sh -c #\(nop\)\s*(.*)$/s.exec(createdBy);
  if (nop) return nop[1]!.trim();
  const run = /^\/bin\/sh -c (.*)$/s.exec(createdBy);
  if (run) return `RUN ${run[1]!.trim()}`;
  return createdBy;
}

export interface LayerSummary {
  instruction: string;
  sizeBytes: number;
}

/**
 * The history entries the image adds on top of its base (the base's entries are the oldest, at the
 * end of podman's newest-first list), oldest first, with what each instruction added.
 */
export function layersAboveBase(image: HistoryEntry[], base: HistoryEntry[]): LayerSummary[] {
  if (base.length > image.length) throw new Error('the image has fewer history entries than its base');
  return image
    .slice(0, image.length - base.length)
    .reverse()
    .map((h) => ({ instruction: instructionOf(h.createdBy), sizeBytes: h.sizeBytes }));
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** `podman diff --format json`: every path added, changed or deleted in the container's own layer. */
export interface FileChange {
  kind: 'added' | 'changed' | 'deleted';
  path: string;
}

export function parseDiff(json: string): FileChange[] {
  const parsed = JSON.parse(json || '{}') as Partial<Record<FileChange['kind'], string[] | null>>;
  const out: FileChange[] = [];
  for (const kind of ['added', 'changed', 'deleted'] as const) {
    for (const path of parsed[kind] ?? []) out.push({ kind, path });
  }
  return out;
}

/** Whether `path` is `dir` or inside it. */
export function isWithin(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(`${d}/`);
}

/**
 * The changes a container made outside its writable mounts, beyond what podman itself changes in
 * every container of the image (`baseline`: the diff of one that ran only `true` with the same
 * mounts, e.g. the /etc/hosts and /etc/resolv.conf mount points).
 */
export function writesOutside(
  changes: FileChange[],
  baseline: FileChange[],
  writable: readonly string[],
): FileChange[] {
  const expected = new Set(baseline.map((c) => `${c.kind} ${c.path}`));
  return changes.filter(
    (c) => !expected.has(`${c.kind} ${c.path}`) && !writable.some((dir) => isWithin(c.path, dir)),
  );
}

/** The current step of a `podman build` from one of its lines (`STEP 7/25: RUN npm ci`), if it is one. */
export function buildStep(line: string): string | undefined {
  const m = /^(?:\[\d+\/\d+\]\s+)?STEP (\d+\/\d+): (.*)$/.exec(line.trim());
  return m ? `step ${m[1]}: ${m[2]!.slice(0, 90)}` : undefined;
}
