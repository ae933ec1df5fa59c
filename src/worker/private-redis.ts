/**
 * `npm start`'s private redis-server (dev only): started from PATH on a free port near 6380,
 * 127.0.0.1 only, data in the given directory, append-only file on so queued jobs survive a
 * restart, no RDB snapshots, `noeviction`; ready once it answers PING; stopped with SHUTDOWN
 * (which flushes the append-only file), then SIGTERM, then SIGKILL if it hangs.
 *
 * Redis is spawned with an argument array, in its own process group so the terminal's Ctrl-C
 * reaches only the worker's process and the shutdown order stays worker-then-Redis. A state file
 * (`<dir>/embedded.json`) records the Redis pid and port: a second `npm start` in the same
 * directory is refused while the first runs, and a Redis orphaned by a hard-killed run is shut
 * down before a new one starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { isAlive } from './process-alive.js';

const PREFERRED_REDIS_PORTS = Array.from({ length: 20 }, (_, i) => 6380 + i);
const REDIS_START_TIMEOUT_MS = 15_000;
const REDIS_STOP_TIMEOUT_MS = 10_000;

/** True when nothing listens on host:port right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolvePort(true)));
  });
}

/** A free port, preferring `preferred` in order (skipping `exclude`), else one the OS picks. */
export async function findFreePort(
  preferred: number[],
  exclude: ReadonlySet<number> = new Set(),
): Promise<number> {
  for (const port of preferred) {
    if (!exclude.has(port) && (await isPortFree(port))) return port;
  }
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Sends one inline Redis command and resolves with the first reply line, or null on any failure. */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolveReply) => {
    let settled = false;
    let data = '';
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (value: string | null) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolveReply(value);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.once('error', () => finish(null));
    socket.once('close', () => finish(data.length > 0 ? data.split('\r\n')[0]! : null));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) finish(data.split('\r\n')[0]!);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface EmbeddedState {
  redisPid: number;
  redisPort: number;
  ownerPid: number;
  startedAt: string;
}

export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

/** A private redis-server started for this run. */
export class PrivateRedis {
  /** redis-server processes started by this process and not yet exited (for last-resort cleanup). */
  static readonly live = new Set<ChildProcess>();

  /** Synchronous SIGTERM to every redis-server this process started (Redis shuts down cleanly on it). */
  static killAll(): void {
    for (const child of PrivateRedis.live) child.kill('SIGTERM');
  }

  private exited = false;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly outputTail: string[] = [];
  private readonly exitWaiters: (() => void)[] = [];
  onUnexpectedExit?: (info: { code: number | null; signal: NodeJS.Signals | null }) => void;
  private stopping = false;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
    private readonly stateFile: string,
  ) {
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) this.outputTail.push(line.trim());
      }
      while (this.outputTail.length > 30) this.outputTail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    PrivateRedis.live.add(child);
    child.once('exit', (code, signal) => {
      PrivateRedis.live.delete(child);
      this.exited = true;
      this.exitInfo = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
      if (!this.stopping) this.onUnexpectedExit?.({ code, signal });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /** The last lines redis-server printed (for failure messages). */
  get output(): string {
    return this.outputTail.join('\n');
  }

  private waitExit(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolveWait) => {
      const timer = setTimeout(() => resolveWait(this.exited), ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolveWait(true);
      });
    });
  }

  /**
   * Starts redis-server and resolves once it answers PING. `dir` is created if needed.
   * Retries on another port if the chosen one was taken in the meantime.
   */
  static async start(binary: string, dir: string): Promise<PrivateRedis> {
    mkdirSync(dir, { recursive: true });
    const stateFile = join(dir, 'embedded.json');
    await PrivateRedis.clearLeftover(stateFile);
    const tried = new Set<number>();
    let lastError: StartError | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = await findFreePort(PREFERRED_REDIS_PORTS, tried);
      tried.add(port);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
      ];
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const redis = new PrivateRedis(child, port, dir, stateFile);
      const spawnError = new Promise<Error>((r) => child.once('error', r));
      const ready = await redis.waitReady(spawnError);
      if (ready === true) {
        const state: EmbeddedState = {
          redisPid: redis.pid,
          redisPort: port,
          ownerPid: process.pid,
          startedAt: new Date().toISOString(),
        };
        writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
        return redis;
      }
      await redis.stop();
      lastError = new StartError(`redis-server did not start on port ${port}: ${ready}`);
      if (!/address already in use/i.test(ready)) break;
    }
    throw lastError ?? new StartError('redis-server did not start');
  }

  /** Refuses when another live `npm start` owns this Redis directory; stops an orphaned Redis. */
  private static async clearLeftover(stateFile: string): Promise<void> {
    let state: EmbeddedState;
    try {
      state = JSON.parse(readFileSync(stateFile, 'utf8')) as EmbeddedState;
    } catch {
      return;
    }
    const redisUp = isAlive(state.redisPid) && (await redisCommand(state.redisPort, 'PING')) === '+PONG';
    if (redisUp && state.ownerPid !== process.pid && isAlive(state.ownerPid)) {
      throw new StartError(
        `another npm start (pid ${state.ownerPid}) is already running with the private Redis in ${resolve(stateFile, '..')} ` +
          `(port ${state.redisPort}). Stop it with Ctrl-C in its terminal, or run this one elsewhere or with REDIS_URL set.`,
      );
    }
    if (redisUp) {
      // Orphaned by a run that was killed hard: shut it down cleanly so its data is flushed.
      await redisCommand(state.redisPort, 'SHUTDOWN', 3000);
      for (let i = 0; i < 50 && isAlive(state.redisPid); i++) await sleep(100);
    }
    rmSync(stateFile, { force: true });
  }

  /** true once PING answers; otherwise a reason (spawn error, early exit with its output, timeout). */
  private async waitReady(spawnError: Promise<Error>): Promise<true | string> {
    const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
    let failed: string | undefined;
    void spawnError.then((err) => {
      failed = err.message;
    });
    while (Date.now() < deadline) {
      if (failed) return failed;
      if (this.exited) {
        const info = this.exitInfo;
        return `it exited (${info?.signal ?? `code ${info?.code}`}): ${this.output || 'no output'}`;
      }
      if ((await redisCommand(this.port, 'PING', 500)) === '+PONG') return true;
      await sleep(100);
    }
    return `it did not answer PING within ${REDIS_START_TIMEOUT_MS / 1000} s: ${this.output || 'no output'}`;
  }

  /** SHUTDOWN (flushes the AOF), then SIGTERM, then SIGKILL; resolves when the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      if (!this.exited) {
        await redisCommand(this.port, 'SHUTDOWN', 3000);
        if (!(await this.waitExit(REDIS_STOP_TIMEOUT_MS))) {
          this.child.kill('SIGTERM');
          if (!(await this.waitExit(5000))) {
            this.child.kill('SIGKILL');
            await this.waitExit(5000);
          }
        }
      }
    } finally {
      try {
        const state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as EmbeddedState;
        if (state.redisPid === this.pid) rmSync(this.stateFile, { force: true });
      } catch {
        // no state file
      }
    }
  }
}
