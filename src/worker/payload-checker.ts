/**
 * The payload validator's issue collector and its field checks (strings, numbers, objects with
 * known keys, and the ids that name directories). Every message names the field's path.
 */
import type { PayloadIssue } from '../contract/payload.js';

/** An id that names a directory: letters, digits, '.', '_' and '-', 1-128 (and never '.' or '..'). */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** `base.field` (or `field` at the top), built only when an issue needs it. */
export function join(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}

/**
 * Collects issues. A first pass (`report` false) only notes that something failed and builds no
 * paths or messages; parsePreviewPayload runs a second, reporting pass only for a payload that
 * failed. Field checks take the path of the object and the field's name separately.
 */
export class Checker {
  readonly issues: PayloadIssue[] = [];
  failed = false;

  constructor(readonly report: boolean) {}

  add(path: string, message: string): void {
    this.failed = true;
    if (!this.report) return;
    const shown = path || '(payload)';
    this.issues.push({ path: shown, message: `${shown}: ${message}` });
  }

  /** The path of `base.field` in the reporting pass ('' in the first: nothing will show it). */
  sub(base: string, field: string | number): string {
    return this.report ? (base ? `${base}.${field}` : String(field)) : '';
  }

  /** A plain object (not null, not an array), else an issue; unknown keys are listed as one issue. */
  object(value: unknown, path: string, what: string, known: Set<string>): Record<string, unknown> | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.add(path, `${what} must be a JSON object, got ${describe(value)}`);
      return null;
    }
    const obj = value as Record<string, unknown>;
    let unknown: string[] | undefined;
    // for-in also lists inherited enumerable keys: none on a JSON object; a polluted prototype's
    // would be reported as unknown, which is the safe answer.
    for (const key in obj) {
      if (known.has(key)) continue;
      unknown ??= [];
      unknown.push(key);
    }
    if (unknown) this.add(path, `unknown field(s): ${unknown.join(', ')}`);
    return obj;
  }

  string(value: unknown, base: string, field: string, what: string, min: number, max: number): boolean {
    if (typeof value !== 'string') {
      this.add(join(base, field), `${what} must be a string, got ${describe(value)}`);
      return false;
    }
    if (value.length >= min && value.length <= max) return true;
    if (value.length < min) this.add(join(base, field), `${what} must not be empty`);
    if (value.length > max) this.add(join(base, field), `${what} must be at most ${max} characters`);
    return false;
  }

  /** An id that names a directory: letters, digits, '.', '_' and '-', 1-128, never '.' or '..'. */
  safeId(value: unknown, base: string, field: string, what: string): boolean {
    if (typeof value !== 'string') {
      this.add(join(base, field), `${what} must be a string, got ${describe(value)}`);
      return false;
    }
    if (SAFE_ID_PATTERN.test(value) && value !== '.' && value !== '..') return true;
    const path = join(base, field);
    if (value.length === 0) this.add(path, `${what} must not be empty`);
    if (value.length > 128) this.add(path, `${what} must be at most 128 characters`);
    if (!SAFE_ID_PATTERN.test(value))
      this.add(path, `${what} may contain only letters, digits, '.', '_' and '-'`);
    if (value === '.' || value === '..') this.add(path, `${what} must not be '.' or '..'`);
    return false;
  }

  number(value: unknown, base: string, field: string, what: string, min: number, max: number): boolean {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.add(join(base, field), `${what} must be a number, got ${describe(value)}`);
      return false;
    }
    if (value >= min && value <= max) return true;
    this.add(join(base, field), `${what} must be between ${min} and ${max}, got ${value}`);
    return false;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object'
    ? 'an object'
    : `${typeof value === 'undefined' ? 'nothing' : typeof value}`;
}
