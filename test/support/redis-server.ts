/**
 * A private redis-server for fault tests (and for the whole suite when no Redis answers, test/run.ts):
 * its own free port, its own data directory, append-only file on unless asked otherwise (so a restart
 * keeps every queued job), maxmemory-policy noeviction. stop() shuts it down
 * cleanly (SHUTDOWN flushes the AOF); start() brings it back on the same port with the same data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a Redis answers PING at url within timeoutMs. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const c = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  /** (Re)starts the server on the same port and data directory; resolves when it answers PING. */
  start(): Promise<void>;
  /** Clean shutdown (AOF flushed); resolves when the process has exited. */
  stop(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

export interface PrivateRedisOptions {
  extraArgs?: string[];
  /** append-only file with fsync on every write (default true: a restart keeps every job) */
  appendOnly?: boolean;
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const persistence =
    opts.appendOnly === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const dir = await mkdtemp(join(tmpdir(), 'mobius-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;

  const server: PrivateRedis = {
    port,
    url,
    dir,
    async start() {
      if (child) return;
      const stderr: string[] = [];
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          ...persistence,
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
          '--protected-mode',
          'no',
          ...(opts.extraArgs ?? []),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      proc.stderr?.on('data', (d) => stderr.push(String(d)));
      child = proc;
      exited = new Promise<void>((resolve) => {
        proc.once('exit', () => {
          child = undefined;
          resolve();
        });
      });
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (await redisAnswers(url, 500)) return;
        if (!child) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      proc.kill('SIGKILL');
      throw new Error(`private redis-server on port ${port} did not start: ${stderr.join('')}`);
    },
    async stop() {
      if (!child) return;
      const done = exited;
      child.kill('SIGTERM');
      await done;
    },
    async destroy() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
