/**
 * What `npm test` does after lint, typecheck and build (entry: test/run.mjs):
 *   1. every program of test/toolchain/manifest.ts is found or fetched into .tools/; when one can be
 *      neither, one message names them all with their install commands, and it exits 2 before any
 *      test runs;
 *   2. Redis: TEST_REDIS_URL or REDIS_URL when set; else the one on 127.0.0.1:6379 when it answers;
 *      else a private redis-server on a free port, stopped when the tests end;
 *   3. the test files run under `node --test` with .tools/bin first on PATH and TEST_REDIS_URL set.
 * `--unit` runs only test/unit/**, which needs neither tools nor Redis.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { redactRedisUrl } from '../src/worker/logger.js';
import { REPO_ROOT } from './support/cli.js';
import { type PrivateRedis, redisAnswers, startPrivateRedis } from './support/redis-server.js';
import { TOOLS_DIR } from './toolchain/paths.js';
import { missingMessage } from './toolchain/report.js';
import { envWithTools, provisionTools } from './toolchain/resolve.js';

const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name === 'support' || name === 'fixtures' || name.startsWith('.')) continue;
      out.push(...walk(full));
    } else if (name.endsWith('.test.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** The test files for these arguments, relative to the repository root. */
export function selectTestFiles(args: string[], root = REPO_ROOT): string[] {
  const unitOnly = args.includes('--unit');
  const filters = args.filter((a) => !a.startsWith('--'));
  let files = walk(join(root, 'test'))
    .map((f) => relative(root, f))
    .sort();
  if (unitOnly) files = files.filter((f) => f.startsWith(join('test', 'unit')));
  if (filters.length) files = files.filter((f) => filters.some((p) => f.includes(p)));
  return files;
}

function say(line: string): void {
  process.stderr.write(`npm test: ${line}\n`);
}

/** The Redis the tests use, and a private server to stop afterwards when one was started. */
async function chooseRedis(env: NodeJS.ProcessEnv): Promise<{ url: string; server?: PrivateRedis }> {
  const configured = env.TEST_REDIS_URL?.trim() || env.REDIS_URL?.trim();
  if (configured) {
    if (!(await redisAnswers(configured))) {
      throw new Error(
        `no Redis answers at ${env.TEST_REDIS_URL ? 'TEST_REDIS_URL' : 'REDIS_URL'} (${redactRedisUrl(configured)}); start it, or unset the variable and a private redis-server is started for the tests`,
      );
    }
    return { url: configured };
  }
  if (await redisAnswers(DEFAULT_REDIS)) {
    say(`Redis: the one answering on 127.0.0.1:6379 (each test uses its own key prefix)`);
    return { url: DEFAULT_REDIS };
  }
  const server = await startPrivateRedis({ appendOnly: false });
  say(
    `Redis: nothing answers on 127.0.0.1:6379, so a private redis-server runs on port ${server.port} for these tests`,
  );
  return { url: server.url, server };
}

export async function main(args: string[]): Promise<number> {
  const files = selectTestFiles(args);
  if (files.length === 0) {
    process.stderr.write('No test files matched.\n');
    return 1;
  }
  let env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' };
  let redis: PrivateRedis | undefined;
  if (!args.includes('--unit')) {
    const tools = provisionTools({ toolsDir: TOOLS_DIR, log: (line) => say(line) });
    if (tools.missing.length > 0) {
      process.stderr.write(`${missingMessage(tools.missing, 'npm test', { noTestRun: true, env })}\n`);
      return 2;
    }
    say(
      `tools: ${tools.found.map((f) => `${f.name} ${f.version} (${f.source})`).join(', ')}; details: npm run tools`,
    );
    env = envWithTools(tools.binDir, env);
    // private servers (redis-server) start from the chosen programs too
    process.env.PATH = env.PATH;
    try {
      const chosen = await chooseRedis(env);
      redis = chosen.server;
      env.TEST_REDIS_URL = chosen.url;
    } catch (err) {
      process.stderr.write(`npm test: ${(err as Error).message}\nNo test was run.\n`);
      return 2;
    }
  }
  try {
    return await runNodeTest(files, env);
  } finally {
    await redis?.destroy();
  }
}

function runNodeTest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
      { cwd: REPO_ROOT, stdio: 'inherit', env },
    );
    // Ctrl-C reaches the whole process group, the tests included: this process only stays alive to
    // stop the private Redis once they have ended. A SIGTERM or SIGHUP to this process alone is
    // passed on.
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
