// Readable rendering of worker log lines and the NDJSON shape of `logs -o json`.
//   {"level":40,"time":…,"msg":"queue is filling","waiting":812}  ->  19:40:00 WARN  queue is filling waiting=812
// Lines that are not JSON are shown exactly as they are. Times are UTC.

import type { Colors } from '../output/color.js';
import type { LogLevelName, LogRecord } from './log-record.js';

const LEVEL_LABEL: Record<LogLevelName, string> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
  fatal: 'FATAL',
  unknown: '?    ',
};

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** HH:MM:SS in UTC. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function needsQuotes(s: string): boolean {
  if (s.length === 0) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 61 || c === 92 || c === 127) return true;
  }
  return false;
}

/** One value of key=value: bare when safe, JSON-quoted otherwise; error objects show their message. */
export function formatFieldValue(key: string, value: unknown): string {
  if (typeof value === 'string') return needsQuotes(value) ? JSON.stringify(value) : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if ((key === 'err' || key === 'error') && value !== null && typeof value === 'object') {
    const e = value as Record<string, unknown>;
    if (typeof e.message === 'string') {
      const type = typeof e.type === 'string' ? `${e.type}: ` : '';
      return JSON.stringify(type + e.message);
    }
  }
  return JSON.stringify(value) ?? String(value);
}

export function formatFields(fields: Record<string, unknown>): string {
  let out = '';
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined) continue;
    out += (out ? ' ' : '') + key + '=' + formatFieldValue(key, v);
  }
  return out;
}

export interface LineStyle {
  /** Colours the level label (already padded to 5 characters). */
  level?: (name: LogLevelName, label: string) => string;
  /** Dims secondary text (the key=value part). */
  dim?: (text: string) => string;
}

/** The level in colour (error red, warn yellow, info green, the rest dim) and dim fields; none without colour. */
export function logLineStyle(colors: Colors): LineStyle {
  if (!colors.enabled) return {};
  return {
    level: (name: LogLevelName, label: string) =>
      name === 'error' || name === 'fatal'
        ? colors.red(label)
        : name === 'warn'
          ? colors.yellow(label)
          : name === 'info'
            ? colors.green(label)
            : colors.dim(label),
    dim: colors.dim,
  };
}

/**
 * `HH:MM:SS LEVEL msg key=value …` for a JSON line with a level or time; the raw line otherwise.
 */
export function formatReadable(record: LogRecord, style: LineStyle = {}): string {
  if (!record.json) return record.raw;
  const clock = record.time === undefined ? '--:--:--' : formatClock(record.time);
  const label = LEVEL_LABEL[record.levelName];
  const fields = formatFields(record.fields);
  const levelText = style.level ? style.level(record.levelName, label) : label;
  const fieldText = fields && style.dim ? style.dim(fields) : fields;
  return `${clock} ${levelText} ${record.msg}${fields ? ` ${fieldText}` : ''}`;
}

/** One object of `logs -o json` (NDJSON, one per line). Stable, documented in docs/CLI.md. */
export interface LogJsonEntry {
  pod: string;
  container: string;
  /** ISO time of the line (its JSON time, else the API server's timestamp), null when unknown. */
  time: string | null;
  level: LogLevelName;
  msg: string;
  fields: Record<string, unknown>;
}

export function toJsonEntry(record: LogRecord, pod: string, container: string): LogJsonEntry {
  return {
    pod,
    container,
    time: record.time === undefined ? null : new Date(record.time).toISOString(),
    level: record.levelName,
    msg: record.msg,
    fields: record.fields,
  };
}
