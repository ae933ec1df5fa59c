/**
 * Container logs kept by the simulated kubelet: the current and the previous container instance
 * of every pod container, with followers for `follow=true` streams.
 */

/** One log line with the time it was written (ms since epoch). */
export interface LogLine {
  time: number;
  text: string;
}

/** Produces the n-th log line of a container (for generators set per image). */
export type LogGenerator = (ctx: {
  namespace: string;
  pod: string;
  container: string;
  index: number;
  time: number;
}) => string;

/** Options for a generator: how many lines a container writes at start, and then every intervalMs one more. */
export interface LogGeneratorOptions {
  initialLines?: number;
  /** 0 (default) writes nothing after the initial lines. */
  intervalMs?: number;
}

type Follower = (line: LogLine | null) => void;

/** A stable unsigned 32-bit number per name (s[0]*31^(n-1) + ... + s[n-1]), for per-pod variety. */
export function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h;
}

/** A stable number per pod name, so each pod logs its own job ids like separate workers do. */
function podSeed(pod: string): number {
  return nameHash(pod) % 100000;
}

/** The worker's pino-style JSON log lines: a realistic mix of info, warn and error lines. */
export const workerLogGenerator: LogGenerator = ({ pod, index, time }) => {
  const jobId = `job-${(index * 7919 + podSeed(pod)) % 100000}`;
  const base = { time, pid: 1, hostname: pod };
  const pick = index % 10;
  if (index === 0)
    return JSON.stringify({
      level: 30,
      ...base,
      msg: 'preview worker started',
      queue: 'preview-jobs',
      concurrency: 2,
    });
  if (pick === 7)
    return JSON.stringify({
      level: 40,
      ...base,
      msg: 'job attempt failed, retrying',
      jobId,
      attempt: 1,
      err: 'timeout after 30000ms',
    });
  if (pick === 9)
    return JSON.stringify({
      level: 50,
      ...base,
      msg: 'render failed',
      jobId,
      err: `asset ${jobId}-a1 could not be decoded`,
    });
  if (pick % 2 === 0)
    return JSON.stringify({ level: 30, ...base, msg: 'job started', jobId, priority: 'normal' });
  return JSON.stringify({
    level: 30,
    ...base,
    msg: 'job completed',
    jobId,
    durationMs: 100 + ((index * 37) % 900),
  });
};

export class LogBook {
  private readonly current = new Map<string, LogLine[]>();
  private readonly previous = new Map<string, LogLine[]>();
  private readonly followers = new Map<string, Set<Follower>>();

  constructor(private readonly now: () => number) {}

  private key(ns: string, pod: string, container: string): string {
    return `${ns}/${pod}/${container}`;
  }

  private toLines(lines: (string | LogLine)[]): LogLine[] {
    const t = this.now();
    return lines.map((l) => (typeof l === 'string' ? { time: t, text: l } : { ...l }));
  }

  /** Replaces the current instance's lines. */
  set(ns: string, pod: string, container: string, lines: (string | LogLine)[], previous = false): void {
    (previous ? this.previous : this.current).set(this.key(ns, pod, container), this.toLines(lines));
  }

  /** Appends lines to the current instance and hands them to followers. */
  append(ns: string, pod: string, container: string, lines: (string | LogLine)[]): void {
    const k = this.key(ns, pod, container);
    const list = this.current.get(k) ?? [];
    const add = this.toLines(lines);
    list.push(...add);
    this.current.set(k, list);
    for (const f of this.followers.get(k) ?? []) for (const l of add) f(l);
  }

  /** The container restarted: current lines become the previous instance's; followers end. */
  rotate(ns: string, pod: string, container: string): void {
    const k = this.key(ns, pod, container);
    this.previous.set(k, this.current.get(k) ?? []);
    this.current.set(k, []);
    this.endFollowers(k);
  }

  /** Lines of the current or previous instance (undefined when there never was one). */
  read(ns: string, pod: string, container: string, previous: boolean): LogLine[] | undefined {
    return (previous ? this.previous : this.current).get(this.key(ns, pod, container));
  }

  hasPrevious(ns: string, pod: string, container: string): boolean {
    return this.previous.has(this.key(ns, pod, container));
  }

  /** Registers a follower; it gets each new line, and null when the stream must end. */
  follow(ns: string, pod: string, container: string, f: Follower): () => void {
    const k = this.key(ns, pod, container);
    let set = this.followers.get(k);
    if (!set) {
      set = new Set();
      this.followers.set(k, set);
    }
    set.add(f);
    return () => set.delete(f);
  }

  private endFollowers(k: string): void {
    const set = this.followers.get(k);
    if (!set) return;
    this.followers.delete(k);
    for (const f of set) f(null);
  }

  /** The pod is gone: forget its logs and end its followers. */
  dropPod(ns: string, pod: string): void {
    const prefix = `${ns}/${pod}/`;
    for (const k of [...this.current.keys(), ...this.followers.keys()]) {
      if (!k.startsWith(prefix)) continue;
      this.current.delete(k);
      this.previous.delete(k);
      this.endFollowers(k);
    }
  }
}
