/**
 * Runs the worker as a child process exactly as the container does (main.ts as the entry point),
 * through tsx so tests need no build: `node --import tsx src/worker/main.ts`.
 * Collects its JSON log lines and offers waits on them; stop() always leaves no process behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUnderLock } from './build-lock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Every JSON line so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves when the worker logged that it listens; gives its URL. */
  ready(timeoutMs?: number): Promise<string>;
  /** Exit code (or signal name) once the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGKILL if still running, then wait for the exit. */
  stop(): Promise<void>;
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let buffer = '';
  let errText = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
      if (!line.trim()) continue;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { msg: line, unparsed: true };
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errText += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const waitForLog: WorkerProcess['waitForLog'] = (match, timeoutMs = 20_000, what = 'log line') => {
    const found = logs.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (l: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(`worker ${child.pid}: timed out waiting for ${what}; stderr: ${errText.slice(-2000)}`),
        );
      }, timeoutMs);
      waiters.push(waiter);
      void exited.then(({ code, signal }) => {
        if (waiters.includes(waiter)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          clearTimeout(timer);
          reject(
            new Error(
              `worker ${child.pid} exited (${code ?? signal}) before ${what}; stderr: ${errText.slice(-2000)}`,
            ),
          );
        }
      });
    });
  };

  return {
    child,
    pid: child.pid ?? -1,
    logs,
    stderr: () => errText,
    waitForLog,
    async ready(timeoutMs = 30_000) {
      const line = await waitForLog((l) => l.msg === 'preview worker listening', timeoutMs, 'startup');
      return String(line.url);
    },
    exited,
    kill(signal = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
    },
    async stop() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
  };
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) newest = Math.max(newest, newestMtime(full, ext));
    else if (name.endsWith(ext)) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

function isFresh(entry: string): boolean {
  const srcNewest = newestMtime(join(ROOT, 'src', 'worker'), '.ts');
  return existsSync(entry) && newestMtime(join(ROOT, 'dist', 'worker'), '.js') >= srcNewest;
}

/**
 * Builds dist/ when `entry` (a compiled worker entry, e.g. dist/worker/main.js) is missing or
 * older than a worker source. A lock directory keeps two e2e files running at once from compiling
 * into dist/ at the same time.
 */
export function ensureWorkerBuilt(entry: string): void {
  buildUnderLock(
    () => isFresh(entry),
    () => {
      // tsc emits even when unrelated files have type errors; what matters is that the entry exists.
      spawnSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: ROOT,
          stdio: 'ignore',
        },
      );
    },
  );
  assert.ok(existsSync(entry), `npm run build did not produce ${entry}`);
}

/** Polls check() every 100 ms until it returns a truthy value; errors from check() propagate. */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
