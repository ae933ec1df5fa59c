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
    const child = spawn(process.execPath, [CLI_PATH, ...fullArgs], {
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
 * Build dist/ when it is missing or older than src/ (runs `npm run build` once per process).
 * Throws with the compiler output when the build fails.
 */
let built = false;
export function ensureBuilt(): void {
  if (built) return;
  const entry = join(REPO_ROOT, 'dist', 'deploy', 'cli', 'main.js');
  const stale = !existsSync(entry) || newestMtime(join(REPO_ROOT, 'src', 'deploy')) > statSync(entry).mtimeMs;
  if (stale) {
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (r.status !== 0 && !existsSync(entry)) {
      throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
    }
  }
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
