// Masked tokens for the keys of a worker JSON log line, appended after the masked `msg`.
// Every key stays (keys are stable, they are part of the template); values are masked by type:
//   jobId="job-42" -> jobId=<ID>   attempt=1 -> attempt=<NUM>   ok=true -> ok=true   state="x" -> state=<*>
// An error object (pino's `err`/`error`: {type, message, stack}) contributes its type and the masked
// first line of its message, because that is what tells one failure from another.

import { classifyValue, isIdKey, MASK_ID, MASK_NUM, tokenizeAndMask, WILDCARD } from './log-mask.js';
import { isBaseKey } from './log-record.js';

const errScratch: string[] = [];

// `key=<MASK>` strings, memoised: the same few keys and masks repeat on every line, and reusing
// the same string objects keeps the miner's cache walk allocation-free.
const keyValueMemo = new Map<string, Map<string, string>>();

function keyValue(key: string, masked: string): string {
  let byMask = keyValueMemo.get(key);
  if (byMask === undefined) {
    if (keyValueMemo.size >= 10_000) keyValueMemo.clear();
    byMask = new Map();
    keyValueMemo.set(key, byMask);
  }
  let s = byMask.get(masked);
  if (s === undefined) {
    if (byMask.size >= 100) byMask.clear();
    s = `${key}=${masked}`;
    byMask.set(masked, s);
  }
  return s;
}

function maskFieldValue(key: string, value: unknown): string {
  if (typeof value === 'number') return isIdKey(key) ? MASK_ID : MASK_NUM;
  if (typeof value === 'string') {
    if (isIdKey(key)) return MASK_ID;
    return classifyValue(value) ?? WILDCARD;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  return WILDCARD;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

function appendError(key: string, value: unknown, out: string[]): boolean {
  if (typeof value === 'string') {
    out.push(`${key}:`);
    for (const t of tokenizeAndMask(firstLine(value), errScratch)) out.push(t);
    return true;
  }
  if (value !== null && typeof value === 'object') {
    const e = value as Record<string, unknown>;
    const type = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : undefined;
    out.push(type ? `${key}=${type}:` : `${key}:`);
    if (typeof e.message === 'string') {
      for (const t of tokenizeAndMask(firstLine(e.message), errScratch)) out.push(t);
    }
    if (typeof e.code === 'string') out.push(`code=${e.code}`);
    return true;
  }
  return false;
}

/**
 * Append the masked key=value tokens of `fields` (in their own order) to `out`; returns `out`.
 * `fields` may be the whole parsed JSON line: pino's base keys (level, time, msg, ...) are skipped.
 */
export function fieldTokens(fields: Record<string, unknown>, out: string[]): string[] {
  let errKey: string | undefined;
  for (const key in fields) {
    if (isBaseKey(key)) continue;
    if (errKey === undefined && (key === 'err' || key === 'error')) {
      errKey = key;
      continue;
    }
    out.push(keyValue(key, maskFieldValue(key, fields[key])));
  }
  if (errKey !== undefined && !appendError(errKey, fields[errKey], out)) {
    out.push(keyValue(errKey, maskFieldValue(errKey, fields[errKey])));
  }
  return out;
}
