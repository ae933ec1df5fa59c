/**
 * Structured JSON logs (pino). Secrets are redacted by key wherever they appear, Redis URLs are
 * logged without their password, and job lines carry jobId, projectId, attempt and durationMs
 * (never the payload itself).
 */
import { type DestinationStream, type Logger, pino } from 'pino';

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
  'PREVIEW_API_TOKEN',
  'cookie',
];
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'payload',
  '*.payload',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go (tests pass a stream); default stdout. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'preview-worker', pid: process.pid, ...opts.base },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
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
