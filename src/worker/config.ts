/**
 * Worker configuration, read once from the environment and validated with zod.
 * A bad value stops the process with a ConfigError naming the variable and what it accepts.
 * See DESIGN.md section 3 ("Configuration") for the documented variables and defaults.
 */
import { z } from 'zod';
import { API_TOKEN_ENV, WORKER_PORT } from '../contract/http.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const NODE_ENVS = ['production', 'development', 'test'] as const;

export interface WorkerConfig {
  /** redis:// or rediss:// URL (may carry a password; never log it, see logger.redactRedisUrl). */
  redisUrl: string;
  /** BullMQ queue name (PREVIEW_QUEUE_NAME, default preview-jobs). */
  queueName: string;
  /** BullMQ key prefix (PREVIEW_REDIS_PREFIX, default bull). Tests use a unique one. */
  redisPrefix: string;
  concurrency: number;
  /** Backlog limit: submit() refuses with QueueFullError at this many waiting/active/delayed jobs. */
  queueMax: number;
  dataDir: string;
  /** HTTP port; 0 picks a free port (tests). */
  port: number;
  host: string;
  logLevel: (typeof LOG_LEVELS)[number];
  apiToken?: string;
  shutdownTimeoutMs: number;
  nodeEnv: (typeof NODE_ENVS)[number];
  maxBodyBytes: number;
  /** BullMQ stalled-job recovery: how often the checker runs, how long a job lock lives. */
  stalledIntervalMs: number;
  lockDurationMs: number;
  maxStalledCount: number;
  /** Attempts and the first exponential backoff delay for render errors. */
  jobAttempts: number;
  backoffDelayMs: number;
  /** Completed / failed jobs kept in Redis: at most this age (seconds) and count. */
  keepCompleted: { age: number; count: number };
  keepFailed: { age: number; count: number };
  /** How long startup waits for Redis before giving up. */
  redisStartupTimeoutMs: number;
  ffmpegPath?: string;
}

/** A configuration problem a user can fix; the message names the variable and the accepted values. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

function intVar(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { error: `a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

function describeRange(min: number, max: number): string {
  return `a whole number from ${min} to ${max}`;
}

interface VarSpec<T> {
  schema: z.ZodType<T>;
  allowed: string;
  default?: string;
}

function spec<T>(schema: z.ZodType<T>, allowed: string, def?: string): VarSpec<T> {
  return { schema, allowed, default: def };
}

function int(min: number, max: number, def?: string): VarSpec<number> {
  return spec(intVar(min, max), describeRange(min, max), def);
}

const redisUrlSchema = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { error: 'not a redis URL' },
  );

const VARS = {
  REDIS_URL: spec(redisUrlSchema, 'a URL like redis://host:6379 or rediss://:password@host:6380/0'),
  PREVIEW_QUEUE_NAME: spec(
    z.string().regex(NAME_PATTERN),
    "1-100 characters of letters, digits, '.', '_', ':' and '-'",
    'preview-jobs',
  ),
  PREVIEW_REDIS_PREFIX: spec(
    z.string().regex(NAME_PATTERN),
    "1-100 characters of letters, digits, '.', '_', ':' and '-'",
    'bull',
  ),
  PREVIEW_WORKER_CONCURRENCY: int(1, 64, '2'),
  PREVIEW_QUEUE_MAX: int(1, 1_000_000, '1000'),
  DATA_DIR: spec(z.string().min(1), 'a directory path', './data'),
  PORT: int(0, 65535, String(WORKER_PORT)),
  HOST: spec(z.string().min(1), 'an address to listen on, for example 0.0.0.0 or 127.0.0.1', '0.0.0.0'),
  LOG_LEVEL: spec(z.enum(LOG_LEVELS), LOG_LEVELS.join(', '), 'info'),
  [API_TOKEN_ENV]: spec(
    z.string().min(16),
    'a secret of at least 16 characters (for example `openssl rand -hex 32`)',
  ),
  SHUTDOWN_TIMEOUT_SECONDS: int(1, 3600, '25'),
  NODE_ENV: spec(z.enum(NODE_ENVS), NODE_ENVS.join(', '), 'development'),
  MAX_BODY_BYTES: int(1024, 256 * 1024 * 1024, String(8 * 1024 * 1024)),
  PREVIEW_STALLED_INTERVAL_MS: int(100, 600_000, '30000'),
  PREVIEW_LOCK_DURATION_MS: int(500, 600_000, '30000'),
  PREVIEW_MAX_STALLED_COUNT: int(0, 100, '2'),
  PREVIEW_JOB_ATTEMPTS: int(1, 50, '5'),
  PREVIEW_BACKOFF_DELAY_MS: int(1, 3_600_000, '2000'),
  PREVIEW_KEEP_COMPLETED_SECONDS: int(0, 365 * 24 * 3600, String(7 * 24 * 3600)),
  PREVIEW_KEEP_COMPLETED_COUNT: int(0, 1_000_000, '1000'),
  PREVIEW_KEEP_FAILED_SECONDS: int(0, 365 * 24 * 3600, String(14 * 24 * 3600)),
  PREVIEW_KEEP_FAILED_COUNT: int(0, 1_000_000, '5000'),
  REDIS_STARTUP_TIMEOUT_SECONDS: int(1, 600, '15'),
  FFMPEG_PATH: spec(z.string().min(1), 'a path to the ffmpeg executable'),
} as const;

type Vars = typeof VARS;
type VarName = keyof Vars;
type VarValue<K extends VarName> = Vars[K] extends VarSpec<infer T> ? T : never;

/** Every variable the worker reads, for docs and `--help`. */
export const CONFIG_VARIABLES: { name: string; allowed: string; default?: string }[] = Object.entries(
  VARS,
).map(([name, s]) => ({ name, allowed: s.allowed, default: s.default }));

function read<K extends VarName>(env: NodeJS.ProcessEnv, name: K): VarValue<K> | undefined {
  const s = VARS[name] as VarSpec<VarValue<K>>;
  const raw = env[name];
  const value = raw === undefined || raw === '' ? s.default : raw;
  if (value === undefined) return undefined;
  const result = s.schema.safeParse(value);
  if (!result.success) {
    // Never echo a secret back; for other variables the value helps the user see the typo.
    const shown = name === API_TOKEN_ENV || name === 'REDIS_URL' ? '(value hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `${name}=${shown} is not valid: expected ${s.allowed}.`);
  }
  return result.data;
}

/**
 * Reads and validates the configuration. Throws ConfigError on the first bad variable.
 * REDIS_URL defaults to redis://127.0.0.1:6379 outside production and is required in production;
 * PREVIEW_API_TOKEN is required in production.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const nodeEnv = read(env, 'NODE_ENV')!;
  const production = nodeEnv === 'production';
  const redisUrl = read(env, 'REDIS_URL');
  if (redisUrl === undefined && production) {
    throw new ConfigError(
      'REDIS_URL',
      'REDIS_URL is not set: with NODE_ENV=production the worker needs it, for example REDIS_URL=redis://redis:6379.',
    );
  }
  const apiToken = read(env, API_TOKEN_ENV);
  if (apiToken === undefined && production) {
    throw new ConfigError(
      API_TOKEN_ENV,
      `${API_TOKEN_ENV} is not set: with NODE_ENV=production the /v1 API must be protected. ` +
        `Set ${API_TOKEN_ENV} to a secret of at least 16 characters (for example \`openssl rand -hex 32\`).`,
    );
  }
  const stalledIntervalMs = read(env, 'PREVIEW_STALLED_INTERVAL_MS')!;
  const lockDurationMs = read(env, 'PREVIEW_LOCK_DURATION_MS')!;
  return {
    redisUrl: redisUrl ?? 'redis://127.0.0.1:6379',
    queueName: read(env, 'PREVIEW_QUEUE_NAME')!,
    redisPrefix: read(env, 'PREVIEW_REDIS_PREFIX')!,
    concurrency: read(env, 'PREVIEW_WORKER_CONCURRENCY')!,
    queueMax: read(env, 'PREVIEW_QUEUE_MAX')!,
    dataDir: read(env, 'DATA_DIR')!,
    port: read(env, 'PORT')!,
    host: read(env, 'HOST')!,
    logLevel: read(env, 'LOG_LEVEL')!,
    apiToken,
    shutdownTimeoutMs: read(env, 'SHUTDOWN_TIMEOUT_SECONDS')! * 1000,
    nodeEnv,
    maxBodyBytes: read(env, 'MAX_BODY_BYTES')!,
    stalledIntervalMs,
    lockDurationMs,
    maxStalledCount: read(env, 'PREVIEW_MAX_STALLED_COUNT')!,
    jobAttempts: read(env, 'PREVIEW_JOB_ATTEMPTS')!,
    backoffDelayMs: read(env, 'PREVIEW_BACKOFF_DELAY_MS')!,
    keepCompleted: {
      age: read(env, 'PREVIEW_KEEP_COMPLETED_SECONDS')!,
      count: read(env, 'PREVIEW_KEEP_COMPLETED_COUNT')!,
    },
    keepFailed: {
      age: read(env, 'PREVIEW_KEEP_FAILED_SECONDS')!,
      count: read(env, 'PREVIEW_KEEP_FAILED_COUNT')!,
    },
    redisStartupTimeoutMs: read(env, 'REDIS_STARTUP_TIMEOUT_SECONDS')! * 1000,
    ffmpegPath: read(env, 'FFMPEG_PATH'),
  };
}
