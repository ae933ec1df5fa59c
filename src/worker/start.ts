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
 * - Ctrl-C / SIGTERM / SIGHUP: the worker shuts down first (active jobs finish), then Redis (SHUTDOWN, which
 *   flushes the append-only file; SIGTERM, then SIGKILL if it hangs), and the process exits 0.
 *   A repeat within a second is the same Ctrl-C; a later one exits 1 at once. A signal during
 *   start-up stops what was started and exits 130.
 *
 * The worker's start-up, signal handling and drain are bootstrap.ts's (START_SIGNAL_RULES); the
 * private Redis is private-redis.ts (its own process group, a state file in ./.mobius/redis that
 * refuses a second `npm start` in the same directory and shuts down a Redis orphaned by a
 * hard-killed run). This file holds what only `npm start` does: the defaults, the Redis, its messages.
 */
import { readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_TOKEN_ENV, bearer, WORKER_PATH } from '../contract/http.js';
import { runWorker, START_SIGNAL_RULES } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { isEntryPoint } from './entry-point.js';
import { findOnPath } from './find-on-path.js';
import { flushLogWriters } from './log-destination.js';
import { redactRedisUrl } from './logger.js';
import { PrivateRedis } from './private-redis.js';
import { displayPath, shellQuote } from './shell-text.js';

export const REDIS_INSTALL_HELP = [
  'npm start needs Redis: either a `redis-server` on PATH (started privately for this run) or REDIS_URL.',
  '  Debian/Ubuntu:  sudo apt-get install redis-server',
  '  macOS:          brew install redis',
  '  Or point the worker at a running Redis:  REDIS_URL=redis://127.0.0.1:6379 npm start',
].join('\n');

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
  const auth = o.tokenRequired ? ` -H "Authorization: ${bearer(`$${API_TOKEN_ENV}`)}"` : '';
  const job = `${o.apiUrl}${WORKER_PATH.previews}/${o.jobId}`;
  return [
    `curl -sS${auth} -H 'Content-Type: application/json' --data-binary @${shellQuote(o.samplePath)} ${o.apiUrl}${WORKER_PATH.previews} && echo && \\`,
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
    `  Auth       ${b.tokenRequired ? `bearer token required on /v1 (${API_TOKEN_ENV})` : `none (set ${API_TOKEN_ENV} to require a bearer token)`}`,
    '',
    'Try it: paste this into another terminal to submit the sample 10-step preview,',
    'download its contact sheet when it is rendered, and show the job status:',
    ...(b.tokenRequired
      ? [`(export ${API_TOKEN_ENV} in that terminal first: the command reads it from there)`]
      : []),
    '',
    b.command
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
    `Health ${b.apiUrl}${WORKER_PATH.readyz}   Queue ${b.apiUrl}${WORKER_PATH.queue}   Metrics ${b.apiUrl}${WORKER_PATH.metrics}`,
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
  let redis: PrivateRedis | undefined;

  const { app, config, stop } = await runWorker({
    env,
    signals: {
      ...START_SIGNAL_RULES,
      // Until the worker runs, a signal just stops whatever was started so far.
      duringStartup(signal) {
        process.stderr.write(`\n${signal} during start-up: stopping.\n`);
        PrivateRedis.killAll();
        process.exit(130);
      },
    },
    async prepare() {
      process.once('exit', () => PrivateRedis.killAll());
      // Validate every other variable before starting anything.
      try {
        loadConfig(embedded ? { ...env, REDIS_URL: 'redis://127.0.0.1:6379' } : env);
      } catch (err) {
        if (err instanceof ConfigError) fail(`configuration error: ${err.message}`, 2);
        throw err;
      }
      if (!embedded) return;
      const binary = findOnPath('redis-server', env.PATH);
      if (!binary)
        fail(`REDIS_URL is not set and no redis-server was found on PATH.\n\n${REDIS_INSTALL_HELP}`);
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
    },
    async cleanUp() {
      if (redis) await redis.stop();
    },
    configError: (message) => fail(`configuration error: ${message}`, 2),
    startFailed(message, config) {
      const hint = /already in use/.test(message) ? ` (for example: PORT=${config.port + 1} npm start)` : '';
      fail(`the worker did not start: ${message}${hint}`);
    },
    stopping: (reason) => say(`\nStopping (${reason}): the worker first, then Redis ...`),
    shutdownFailed(err) {
      process.stderr.write(`worker shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
    },
    stopped: () => say('Stopped.'),
    forced(signal) {
      process.stderr.write(`\n${signal} again: exiting now without waiting for running jobs.\n`);
      PrivateRedis.killAll();
    },
  });

  if (redis) {
    redis.onUnexpectedExit = ({ code, signal }) => {
      process.stderr.write(
        `\nnpm start: the private redis-server exited unexpectedly (${signal ?? `code ${code}`}).\n${redis?.output ?? ''}\n`,
      );
      void stop('redis-server exited', 1);
    };
  }

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
