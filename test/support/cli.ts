/**
 * Run the BUILT CLI (`node cli/mobius-deploy.js ...`) as a child process, the way users run it,
 * and collect its exit code and output. Tests must build first (`npm test` does, via pretest; or
 * call `ensureBuilt()` in a before hook).
 *
 *   const r = await runCli(['status', '-n', 'production'], { kubeconfig: sim.kubeconfigPath });
 *   assert.equal(r.code, 0, r.stderr);
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUnderLock } from './build-lock.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_PATH = join(REPO_ROOT, 'cli', 'mobius-deploy.js');

export interface RunCliOptions {
  /** Passed as --kubeconfig unless args already contain it. */
  kubeconfig?: string;
  /** Extra environment (merged over a clean base: PATH, HOME, NODE_ENV; KUBECONFIG removed). */
  env?: Record<string, string | undefined>;
  /** Inherit the whole parent environment instead of a clean base. */
  inheritEnv?: boolean;
  cwd?: string;
  /** The CLI entry to run (default CLI_PATH, this repository's cli/mobius-deploy.js). */
  cliPath?: string;
  /** Kill the process after this many ms (default 60 s); the result then has timedOut: true. */
  timeoutMs?: number;
  /** Text written to stdin. */
  input?: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT', 'USERPROFILE', 'NODE_OPTIONS'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  env.NODE_ENV = 'test';
  env.NO_COLOR = '1';
  return env;
}

/** Run `node cli/mobius-deploy.js ...args`. Never rejects for a non-zero exit. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const fullArgs = [...args];
  if (options.kubeconfig && !args.includes('--kubeconfig')) fullArgs.push('--kubeconfig', options.kubeconfig);
  const env = { ...(options.inheritEnv ? process.env : baseEnv()) };
  if (!options.inheritEnv) delete env.KUBECONFIG;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cliPath ?? CLI_PATH, ...fullArgs], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(options.input ?? '');
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(full) : st.mtimeMs);
  }
  return newest;
}

/**
 * Build dist/ when it is missing or older than src/ (runs `npm run build` once per process, under
 * the dist/ build lock shared with the worker e2e tests).
 * Throws with the compiler output when the build fails.
 */
let built = false;
export function ensureBuilt(): void {
  if (built) return;
  const entry = join(REPO_ROOT, 'dist', 'deploy', 'cli', 'main.js');
  buildUnderLock(
    () => existsSync(entry) && newestMtime(join(REPO_ROOT, 'src', 'deploy')) <= statSync(entry).mtimeMs,
    () => {
      const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, encoding: 'utf8' });
      if (r.status !== 0 && !existsSync(entry)) {
        throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
      }
    },
  );
  built = true;
}

/** Parse a CLI's JSON stdout with a helpful error when it is not JSON. */
export function parseJsonOutput<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `CLI stdout is not JSON (exit ${result.code}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/**
 * A tiny HTTP server that answers like the worker (DESIGN.md §3 routes), for the simulator's pod
 * proxy to forward to: /livez, /readyz (200, or 503 with reasons when `ready` is false),
 * /metrics (the worker's metric names and queue gauges), POST /v1/previews (bearer token checked
 * when `token` is set) and GET /v1/previews/:jobId (queued, then completed after `pollsToComplete`).
 */
export interface FakeWorkerOptions {
  ready?: boolean;
  token?: string;
  queue?: Partial<Record<'waiting' | 'active' | 'failed' | 'delayed' | 'completed' | 'prioritized', number>>;
  activeJobs?: number;
  pollsToComplete?: number;
  /** Leave these metric names out of /metrics. */
  omitMetrics?: string[];
}

export interface FakeWorker {
  url: string;
  options: FakeWorkerOptions;
  /** Requests seen: method, path, authorization present. */
  requests: Array<{ method: string; path: string; authorized: boolean }>;
  submitted: unknown[];
  close(): Promise<void>;
}

export async function startFakeWorker(options: FakeWorkerOptions = {}): Promise<FakeWorker> {
  const { createServer } = await import('node:http');
  const state: FakeWorker = { url: '', options, requests: [], submitted: [], close: async () => {} };
  const polls = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const auth = req.headers.authorization ?? '';
    // Like the worker: Authorization: Bearer, or X-Preview-Api-Token (which survives the pod proxy).
    const alt = req.headers['x-preview-api-token'];
    const presented = auth !== '' || typeof alt === 'string';
    const authorized = !options.token || auth === `Bearer ${options.token}` || alt === options.token;
    state.requests.push({ method: req.method ?? 'GET', path, authorized: presented && authorized });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/livez') return json(200, { status: 'ok' });
    if (path === '/readyz') {
      return options.ready === false
        ? json(503, { status: 'not ready', reasons: ['redis: connect ECONNREFUSED 127.0.0.1:6379'] })
        : json(200, { status: 'ready' });
    }
    if (path === '/metrics') {
      const q = {
        waiting: 0,
        active: 0,
        failed: 0,
        delayed: 0,
        completed: 0,
        prioritized: 0,
        ...options.queue,
      };
      const lines = [
        '# TYPE preview_worker_jobs_total counter',
        'preview_worker_jobs_total{outcome="completed"} 12',
        '# TYPE preview_worker_job_duration_seconds histogram',
        'preview_worker_job_duration_seconds_bucket{outcome="completed",le="+Inf"} 12',
        'preview_worker_job_duration_seconds_sum{outcome="completed"} 3.5',
        'preview_worker_job_duration_seconds_count{outcome="completed"} 12',
        '# TYPE preview_worker_queue_jobs gauge',
        ...Object.entries(q).map(([s, v]) => `preview_worker_queue_jobs{state="${s}"} ${v}`),
        '# TYPE preview_worker_active_jobs gauge',
        `preview_worker_active_jobs ${options.activeJobs ?? 0}`,
        '# TYPE preview_worker_stalled_jobs_total counter',
        'preview_worker_stalled_jobs_total 0',
        '# TYPE preview_worker_build_info gauge',
        'preview_worker_build_info{version="1.0.0",revision="abc123"} 1',
      ].filter((l) => !(options.omitMetrics ?? []).some((m) => l.includes(m)));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(`${lines.join('\n')}\n`);
    }
    if (path.startsWith('/v1/') && !authorized) return json(401, { error: 'unauthorized' });
    if (path === '/v1/previews' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const payload = JSON.parse(body);
        state.submitted.push(payload);
        polls.set(payload.jobId, 0);
        json(202, { jobId: payload.jobId, state: 'queued' });
      });
      return;
    }
    const m = /^\/v1\/previews\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') {
      const id = decodeURIComponent(m[1]);
      if (!polls.has(id)) return json(404, { error: 'not found' });
      const n = (polls.get(id) ?? 0) + 1;
      polls.set(id, n);
      const done = n >= (options.pollsToComplete ?? 2);
      return json(200, {
        jobId: id,
        state: done ? 'completed' : 'queued',
        progress: done ? 100 : 0,
        attemptsMade: done ? 1 : 0,
        maxAttempts: 3,
        dryRun: true,
        artifacts: [],
      });
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as { port: number };
  state.url = `http://127.0.0.1:${address.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
