/**
 * `npm start`: the worker for a laptop or a first try, with nothing to set up but Redis on PATH.
 *
 * - REDIS_URL unset: starts a private `redis-server` from PATH on a free port near 6380
 *   (127.0.0.1 only, data in ./.mobius/redis, append-only file on so queued jobs survive a restart,
 *   no RDB snapshots, `noeviction`), waits until it answers PING, and runs the worker against it.
 *   No redis-server on PATH: exits 1 with how to install Redis or set REDIS_URL.
 * - REDIS_URL set: runs the worker against that Redis only.
 * - DATA_DIR defaults to ./data and HOST to 127.0.0.1 (a local tool should not listen on every
 *   interface; set HOST=0.0.0.0 to share it).
 * - Prints the API URL, where artifacts go and a ready-to-paste curl command for the bundled
 *   sample (examples/sample-preview.json).
 * - Ctrl-C / SIGTERM: the worker shuts down first (active jobs finish), then Redis (SHUTDOWN, which
 *   flushes the append-only file; SIGTERM, then SIGKILL if it hangs), and the process exits 0.
 *
 * Redis is spawned with an argument array, in its own process group so the terminal's Ctrl-C
 * reaches only this process and the shutdown order stays worker-then-Redis. A state file
 * (./.mobius/redis/embedded.json) records the Redis pid and port: a second `npm start` in the same
 * directory is refused while the first runs, and a Redis orphaned by a hard-killed run is
 * shut down before a new one starts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type WorkerConfig } from './config.js';
import { findOnPath } from './find-on-path.js';
import { flushLogWriters } from './log-destination.js';
import { createLogger, redactRedisUrl } from './logger.js';
import { isEntryPoint, type RunningApp, startApp } from './main.js';
import { isAlive } from './process-alive.js';
import { displayPath, shellQuote } from './shell-text.js';

export const REDIS_INSTALL_HELP = [
  'npm start needs Redis: either a `redis-server` on PATH (started privately for this run) or REDIS_URL.',
  '  Debian/Ubuntu:  sudo apt-get install redis-server',
  '  macOS:          brew install redis',
  '  Or point the worker at a running Redis:  REDIS_URL=redis://127.0.0.1:6379 npm start',
].join('\n');

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

export interface TryItOptions {
  apiUrl: string;
  samplePath: string;
  jobId: string;
  tokenRequired: boolean;
}

/**
 * One paste-able command: submit the sample, wait for and download its contact sheet (curl
 * retries quietly while the render is still running: 404 until the artifacts exist), then show
 * the job's status (state, progress, every artifact with bytes and sha256). The token, when needed, is referenced as $PREVIEW_API_TOKEN, never printed.
 */
export function tryItCommand(o: TryItOptions): string {
  const auth = o.tokenRequired ? ` -H "Authorization: Bearer $PREVIEW_API_TOKEN"` : '';
  const job = `${o.apiUrl}/v1/previews/${o.jobId}`;
  return [
    `curl -sS${auth} -H 'Content-Type: application/json' --data-binary @${shellQuote(o.samplePath)} ${o.apiUrl}/v1/previews && echo && \\`,
    `curl -sf${auth} --retry 30 --retry-delay 1 --retry-all-errors -o contact-sheet.png ${job}/artifacts/contact-sheet.png \\`,
    `  && echo 'Saved contact-sheet.png' || echo 'No contact sheet yet: see the job status below'; \\`,
    `curl -sS${auth} ${job}; echo`,
  ].join('\n');
}

export interface BannerInfo {
  apiUrl: string;
  redisLine: string;
  artifactsDir: string;
  tokenRequired: boolean;
  command: string;
}

export function banner(b: BannerInfo): string {
  return [
    '',
    'Mobius Preview Worker is running.',
    '',
    `  API        ${b.apiUrl}`,
    `  Redis      ${b.redisLine}`,
    `  Artifacts  ${b.artifactsDir}${sep}previews${sep}<projectId>${sep}<jobId>${sep}`,
    `  Auth       ${b.tokenRequired ? 'bearer token required on /v1 (PREVIEW_API_TOKEN)' : 'none (set PREVIEW_API_TOKEN to require a bearer token)'}`,
    '',
    'Try it: paste this into another terminal to submit the sample 10-step preview,',
    'download its contact sheet when it is rendered, and show the job status:',
    ...(b.tokenRequired
      ? ['(export PREVIEW_API_TOKEN in that terminal first: the command reads it from there)']
      : []),
    '',
    b.command
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    `Health ${b.apiUrl}/readyz   Queue ${b.apiUrl}/v1/queue   Metrics ${b.apiUrl}/metrics`,
    'Press Ctrl-C to stop (running jobs finish first, then Redis stops).',
    '',
  ].join('\n');
}

function sampleFile(): string {
  // dist/worker/start.js and src/worker/start.ts both sit two levels below the repository root.
  return fileURLToPath(new URL('../../examples/sample-preview.json', import.meta.url));
}

function readSampleJobId(path: string): string {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { jobId?: unknown };
    if (typeof value.jobId === 'string') return value.jobId;
  } catch {
    // fall through
  }
  return 'sample-tutorial-001';
}

function say(line: string): void {
  flushLogWriters(); // the log lines before it, first
  process.stdout.write(`${line}\n`);
}

function fail(message: string, code = 1): never {
  process.stderr.write(`\nnpm start: ${message}\n\n`);
  process.exit(code);
}

export async function main(): Promise<void> {
  const env = process.env;
  if (!env.DATA_DIR) env.DATA_DIR = './data';
  if (!env.HOST) env.HOST = '127.0.0.1';
  const embedded = !env.REDIS_URL;

  // One signal handler for the whole run (swapping handlers could drop a signal that arrives in
  // between): until the worker runs, a signal just stops whatever was started so far; afterwards
  // `onRunningSignal` shuts down gracefully.
  let onRunningSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (onRunningSignal) {
      onRunningSignal(signal);
      return;
    }
    process.stderr.write(`\n${signal} during start-up: stopping.\n`);
    PrivateRedis.killAll();
    process.exit(130);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.once('exit', () => PrivateRedis.killAll());

  // Validate every other variable before starting anything.
  try {
    loadConfig(embedded ? { ...env, REDIS_URL: 'redis://127.0.0.1:6379' } : env);
  } catch (err) {
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`, 2);
    throw err;
  }

  let redis: PrivateRedis | undefined;
  if (embedded) {
    const binary = findOnPath('redis-server', env.PATH);
    if (!binary) fail(`REDIS_URL is not set and no redis-server was found on PATH.\n\n${REDIS_INSTALL_HELP}`);
    const dir = resolve('.mobius', 'redis');
    say(
      `Starting a private redis-server (${binary}) with its data in ${displayPath(dir, process.cwd())} ...`,
    );
    try {
      redis = await PrivateRedis.start(binary, dir);
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
    env.REDIS_URL = redis.url;
  }

  const stopRedis = async () => {
    if (redis) await redis.stop();
  };

  let config: WorkerConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    await stopRedis();
    if (err instanceof ConfigError) fail(`configuration error: ${err.message}`, 2);
    throw err;
  }

  const logger = createLogger({ level: config.logLevel });
  let app: RunningApp;
  try {
    app = await startApp(config, { logger });
  } catch (err) {
    await stopRedis();
    const message = err instanceof Error ? err.message : String(err);
    const hint = /already in use/.test(message) ? ` (for example: PORT=${config.port + 1} npm start)` : '';
    fail(`the worker did not start: ${message}${hint}`);
  }

  let stopping: Promise<void> | undefined;
  const stop = (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return stopping;
    say(`\nStopping (${reason}): the worker first, then Redis ...`);
    stopping = (async () => {
      try {
        await app.close(reason);
      } catch (err) {
        process.stderr.write(`worker shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        exitCode = 1;
      }
      await stopRedis();
      say('Stopped.');
      process.exit(exitCode);
    })();
    return stopping;
  };

  if (redis) {
    redis.onUnexpectedExit = ({ code, signal }) => {
      process.stderr.write(
        `\nnpm start: the private redis-server exited unexpectedly (${signal ?? `code ${code}`}).\n${redis?.output ?? ''}\n`,
      );
      void stop('redis-server exited', 1);
    };
  }

  // A terminal's Ctrl-C reaches every process of the foreground group, and npm may forward it
  // too: a repeat within a second is the same Ctrl-C. A later one forces the exit.
  let firstSignalAt = 0;
  onRunningSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      void stop(signal, 0);
      return;
    }
    if (now - firstSignalAt < 1000) return;
    process.stderr.write(`\n${signal} again: exiting now without waiting for running jobs.\n`);
    PrivateRedis.killAll();
    process.exit(1);
  };

  const samplePath = displayPath(sampleFile(), process.cwd());
  const tokenRequired = Boolean(config.apiToken);
  say(
    banner({
      apiUrl: app.url,
      redisLine: redis
        ? `private redis-server on 127.0.0.1:${redis.port} (pid ${redis.pid}), data in ${displayPath(redis.dir, process.cwd())}, append-only file on`
        : redactRedisUrl(config.redisUrl),
      artifactsDir: resolve(config.dataDir),
      tokenRequired,
      command: tryItCommand({
        apiUrl: app.url,
        samplePath,
        jobId: readSampleJobId(sampleFile()),
        tokenRequired,
      }),
    }),
  );
}

if (isEntryPoint(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
