/**
 * A zod issue as the line a person reads: the key path, what is allowed there and what was found
 * (`replicas: expected an integer from 1 to 50, got "three"`), for the environment file's errors.
 */
import type { z } from 'zod';

export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'an empty value';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** The keys a strict object at `path` accepts, for "unknown key" messages. */
function allowedKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree
  let schema: any = root;
  for (const part of path) {
    while (schema?._zod?.def?.innerType) schema = schema._zod.def.innerType;
    const shape = schema?._zod?.def?.shape;
    if (!shape || typeof part !== 'string') return [];
    schema = shape[part];
  }
  while (schema?._zod?.def?.innerType) schema = schema._zod.def.innerType;
  const shape = schema?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

export function issueMessages(issue: z.core.$ZodIssue, input: unknown, root: z.ZodType): string[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeysAt(root, issue.path);
    return issue.keys.map(
      (key) =>
        `${formatPath([...issue.path, key])}: unknown key; allowed here: ${allowed.join(', ') || '(none)'}`,
    );
  }
  if (issue.code === 'invalid_key') {
    const key = issue.path[issue.path.length - 1];
    const expected = issue.issues[0]?.message ?? issue.message;
    return [
      `${formatPath(issue.path.slice(0, -1))}: the key ${JSON.stringify(String(key))} is not valid: expected ${expected}`,
    ];
  }
  const value = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && issue.expected === 'object') {
    return [`${formatPath(issue.path)}: expected a mapping of keys, got ${showValue(value)}`];
  }
  if (value === undefined) return [`${formatPath(issue.path)}: missing; expected ${issue.message}`];
  return [`${formatPath(issue.path)}: expected ${issue.message}, got ${showValue(value)}`];
}
