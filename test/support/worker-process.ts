/**
 * Runs the worker as a child process exactly as the container does (main.ts as the entry point),
 * through tsx so tests need no build: `node --import tsx src/worker/main.ts`.
 * Collects its JSON log lines and offers waits on them; stop() always leaves no process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
