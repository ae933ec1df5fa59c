/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, Redis URLs are
 * logged without their password, and job lines carry jobId, projectId, attempt and durationMs
 * (never the payload itself).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { API_TOKEN_ENV } from '../contract/http.js';
import { BufferedLineWriter } from './log-destination.js';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at the top level and one or two levels down. */
const SECRET_KEYS = [
  'token',
  'apiToken',
  'authorization',
  'Authorization',
  'password',
  'secret',
  'redisUrl',
  'REDIS_URL',
  API_TOKEN_ENV,
  'cookie',
];
const SECRET = new Set(SECRET_KEYS);
const CENSOR = '[redacted]';

/**
 * Replaces the values of secret keys at the top level and one or two levels down (and `payload`
 * at the top level and one down) with "[redacted]", copying only the objects on the way to one.
 * Plain objects and arrays are looked into; other values (errors, buffers, dates) are left to
 * pino's serializers.
 *
 * Hand-written rather than pino's `redact` option: its wildcard paths (`*.token`, `*.*.token` for
 * every key) cost ~40 us per line, more than BullMQ's own work for a job, and every job logs a line
 * (`npm run bench:worker`). This walk costs well under a microsecond for a job line.
 */
export function redactSecrets<T extends object>(obj: T, depth = 0): T {
  let out: Record<string, unknown> | unknown[] | undefined;
  const src = obj as Record<string, unknown>;
  for (const key in src) {
    const value = src[key];
    let next = value;
    if (SECRET.has(key) || (depth < 2 && key === 'payload')) next = CENSOR;
    else if (depth < 2 && isPlainContainer(value)) next = redactSecrets(value, depth + 1);
    if (next !== value) {
      out ??= Array.isArray(obj) ? [...obj] : { ...src };
      (out as Record<string, unknown>)[key] = next;
    }
  }
  return (out ?? obj) as T;
}

function isPlainContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * pino's `"time":"<ISO 8601>"` (what pino.stdTimeFunctions.isoTime writes), with the part up to the
 * second formatted once a second: `new Date().toISOString()` on every line cost ~4 us per job.
 */
export function isoTimestamp(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const ms = now - second * 1000;
  return `,"time":"${cachedPrefix}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go (tests pass a stream); default stdout, through a BufferedLineWriter. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'preview-worker', pid: process.pid, ...opts.base },
      timestamp: isoTimestamp,
      formatters: { level: (label) => ({ level: label }), log: (object) => redactSecrets(object) },
    },
    opts.destination ?? new BufferedLineWriter(),
  );
}

/** `redis://:secret@host:6379/0` → `redis://host:6379/0` with the credentials replaced by `***`. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable redis URL)';
  }
}

export interface JobLogFields {
  jobId: string;
  projectId: string | null;
  attempt: number;
  durationMs: number;
  requestId?: string;
}

/** Cuts untrusted identifiers to a loggable size (invalid payloads can carry anything). */
export function loggableId(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return value.length > 128 ? `${value.slice(0, 128)}…` : value;
}
