// Parsing of one container log line: the Kubernetes timestamp prefix (timestamps=true) and the
// worker's pino JSON lines ({"level":30,"time":…,"pid":…,"hostname":…,"msg":…,…fields}).
// Lines that are not JSON objects are kept as they are; their level is read from a level word near
// their start (plainLevel), else it is "unknown".

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'unknown';

/** pino's numeric levels. */
export const LOG_LEVELS: Readonly<Record<Exclude<LogLevelName, 'unknown'>, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Lines at or above this level are "error-level". */
export const ERROR_LEVEL = 50;

export interface LogRecord {
  /** The line as the container wrote it (without the Kubernetes timestamp prefix). */
  raw: string;
  /** RFC3339Nano timestamp the API server added (only when requested with timestamps=true). */
  kubeTime?: string;
  /** True when the line is a JSON object. */
  json: boolean;
  /** Numeric pino level (10..60); undefined for lines without one. */
  level?: number;
  levelName: LogLevelName;
  /** Milliseconds since the epoch: the JSON `time`, else the Kubernetes timestamp. */
  time?: number;
  /** The JSON `msg` (or `message`), else the raw line. */
  msg: string;
  /** JSON keys other than level, time, msg, message, pid, hostname and v (built on first use). */
  readonly fields: Record<string, unknown>;
  /** The parsed JSON object itself (JSON lines only); read it with isBaseKey to skip the base keys. */
  readonly source?: Record<string, unknown>;
}

/** The (shared, frozen) fields of a line that is not JSON. */
const NO_FIELDS: Record<string, unknown> = Object.freeze({});

const BASE_KEYS = new Set(['level', 'time', 'msg', 'message', 'pid', 'hostname', 'v']);

/** True for the pino keys that are not shown as fields. */
export function isBaseKey(key: string): boolean {
  return BASE_KEYS.has(key);
}

/**
 * A parsed JSON line. `fields` is built lazily: the template miner reads `source` directly, and
 * copying the keys of every line costs more than parsing it.
 */
class JsonLogRecord implements LogRecord {
  readonly json = true;
  private fieldsCache?: Record<string, unknown>;
  constructor(
    readonly raw: string,
    readonly kubeTime: string | undefined,
    readonly level: number | undefined,
    readonly levelName: LogLevelName,
    readonly time: number | undefined,
    readonly msg: string,
    readonly source: Record<string, unknown>,
  ) {}

  get fields(): Record<string, unknown> {
    if (this.fieldsCache === undefined) {
      const fields: Record<string, unknown> = {};
      const o = this.source;
      for (const key in o) {
        if (!BASE_KEYS.has(key)) fields[key] = o[key];
      }
      this.fieldsCache = fields;
    }
    return this.fieldsCache;
  }

  toJSON(): Omit<LogRecord, 'source'> {
    const { raw, kubeTime, json, level, levelName, time, msg, fields } = this;
    return { raw, kubeTime, json, level, levelName, time, msg, fields };
  }
}

export function levelName(level: number | undefined): LogLevelName {
  if (level === undefined) return 'unknown';
  if (level >= 60) return 'fatal';
  if (level >= 50) return 'error';
  if (level >= 40) return 'warn';
  if (level >= 30) return 'info';
  if (level >= 20) return 'debug';
  return 'trace';
}

/**
 * Level names, lower-cased: pino's, and the other names loggers write (log4j, logback, Python, Go,
 * syslog), in a JSON `level`, in --level, and as the level word of a plain line.
 */
const LEVEL_NAMES: ReadonlyMap<string, number> = new Map([
  ...Object.entries(LOG_LEVELS),
  ['notice', 30],
  ['warning', 40],
  ['err', 50],
  ['critical', 60],
  ['crit', 60],
  ['severe', 60],
  ['panic', 60],
  ['emerg', 60],
  ['alert', 60],
]);

/**
 * Parse a level given by a user (`--level warn`, `WARNING`, `40`). Returns undefined when invalid.
 */
export function parseLevelOption(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  const named = LEVEL_NAMES.get(v);
  if (named !== undefined) return named;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n >= 1 && n <= 100) return n;
  }
  return undefined;
}

function levelFromJson(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return parseLevelOption(value);
  return undefined;
}

function timeFromJson(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/**
 * Parse an RFC3339(Nano) timestamp such as 2026-11-26T19:40:00.123456789Z to epoch milliseconds.
 * Fractions beyond milliseconds are dropped (Date.parse does not take them everywhere).
 */
export function parseKubeTime(ts: string): number | undefined {
  const dot = ts.indexOf('.', 19);
  let s = ts;
  if (dot === 19) {
    let end = dot + 1;
    while (end < ts.length && ts.charCodeAt(end) >= 48 && ts.charCodeAt(end) <= 57) end++;
    s = ts.slice(0, Math.min(end, dot + 4)) + ts.slice(end);
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Split the `timestamps=true` prefix from a line: [timestamp, rest], or undefined when absent. */
export function splitKubeTimestamp(line: string): [string, string] | undefined {
  const sp = line.indexOf(' ');
  if (sp < 20 || sp > 40) return undefined;
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57 || line.charCodeAt(4) !== 45 || line.charCodeAt(10) !== 84) return undefined;
  return [line.slice(0, sp), line.slice(sp + 1)];
}

export interface ParseOptions {
  /** The line starts with the API server's timestamp (the log request had timestamps=true). */
  kubeTimestamps?: boolean;
}

/** Parse one log line. Never throws. */
export function parseLogLine(line: string, options: ParseOptions = {}): LogRecord {
  let raw = line;
  let kubeTime: string | undefined;
  if (options.kubeTimestamps) {
    const split = splitKubeTimestamp(line);
    if (split) [kubeTime, raw] = split;
  }
  if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
  const kubeMs = kubeTime === undefined ? undefined : parseKubeTime(kubeTime);
  if (raw.charCodeAt(0) === 123 /* { */) {
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch {
      obj = undefined;
    }
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      const o = obj as Record<string, unknown>;
      const level = levelFromJson(o.level);
      const m = o.msg ?? o.message;
      return new JsonLogRecord(
        raw,
        kubeTime,
        level,
        levelName(level),
        timeFromJson(o.time) ?? kubeMs,
        typeof m === 'string' ? m : m === undefined ? '' : JSON.stringify(m),
        o,
      );
    }
  }
  const level = plainLevel(raw);
  return {
    raw,
    kubeTime,
    json: false,
    level,
    levelName: levelName(level),
    time: kubeMs,
    msg: raw,
    fields: NO_FIELDS,
  };
}

const LEVEL_KEYS = new Set(['level', 'lvl', 'severity', 'loglevel']);

/**
 * The level a plain-text line names near its start, or undefined. Only where a log format puts it,
 * so a message that merely mentions an error is not one:
 * - among its first four words, after nothing but a prefix (words with a digit or a bracket: a time,
 *   a pid, a [thread]), a level word in capitals (`2026-12-04 10:00:00 ERROR [main] ...`, `WARN:
 *   disk`) or in brackets of any case (`[error]`, `<warn>`, `(Info)`);
 * - its first word, with a colon (`Error: connect ECONNREFUSED`, `warning: ...`);
 * - a logfmt key among its first eight words (`level=error`, `lvl=warn`, `severity=INFO`).
 */
export function plainLevel(line: string): number | undefined {
  const n = line.length;
  let i = 0;
  // Words before the level are a prefix: a time, a date, a pid, a [thread] (each with a digit or a bracket).
  let prefix = true;
  for (let word = 0; word < 8 && i < n; word++) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    const start = i;
    let digit = false;
    while (i < n && line.charCodeAt(i) > 32) {
      const c = line.charCodeAt(i);
      if (c >= 48 && c <= 57) digit = true;
      i++;
    }
    if (i === start) break;
    const level = levelOfWord(line, start, i, { first: word === 0, early: prefix && word < 4 });
    if (level !== undefined) return level;
    const c0 = line.charCodeAt(start);
    prefix = prefix && (digit || c0 === 91 || c0 === 40);
  }
  return undefined;
}

/**
 * The level a word names. `first`: the line's first word; `early`: among its first four words with
 * only a prefix before it (a level word anywhere else is text, but for a logfmt key).
 */
function levelOfWord(
  line: string,
  start: number,
  end: number,
  where: { first: boolean; early: boolean },
): number | undefined {
  const eq = line.indexOf('=', start);
  if (eq > start && eq < end) {
    if (!LEVEL_KEYS.has(line.slice(start, eq).toLowerCase())) return undefined;
    let v = line.slice(eq + 1, end);
    if (v.length > 1 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) v = v.slice(1, -1);
    return LEVEL_NAMES.get(v.toLowerCase());
  }
  if (!where.early || end - start > 12) return undefined;
  let a = start;
  let b = end;
  const open = line.charCodeAt(a);
  const bracketed = open === 91 || open === 60 || open === 40; // [ < (
  if (bracketed) a++;
  let colon = false;
  while (b > a && (line.charCodeAt(b - 1) === 58 || line.charCodeAt(b - 1) === 44)) {
    colon = colon || line.charCodeAt(b - 1) === 58;
    b--;
  }
  if (bracketed) {
    const close = line.charCodeAt(b - 1);
    if (close !== 93 && close !== 62 && close !== 41) return undefined;
    b--;
  }
  if (b <= a) return undefined;
  const text = line.slice(a, b);
  const level = LEVEL_NAMES.get(text.toLowerCase());
  if (level === undefined) return undefined;
  if (bracketed || text === text.toUpperCase() || (where.first && colon)) return level;
  return undefined;
}
