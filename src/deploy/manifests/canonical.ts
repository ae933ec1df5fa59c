/**
 * Stable serialisation of Kubernetes objects: a fixed key order (apiVersion, kind, metadata, then the
 * rest as built), sorted keys in string maps (labels, annotations, data, selectors), and no undefined
 * values, so that rendering the same environment twice gives the same bytes.
 */
import { stringify } from 'yaml';

/** Keys whose values are maps of arbitrary strings: sorted alphabetically. */
const SORTED_MAPS = new Set(['labels', 'annotations', 'matchLabels', 'data', 'nodeSelector', 'selector']);
const LEADING_KEYS = ['apiVersion', 'kind', 'metadata'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringMap(value: Record<string, unknown>): boolean {
  return Object.values(value).every((v) => typeof v === 'string');
}

/** A deep copy with undefined removed, leading keys first and string maps sorted. */
export function canonicalize<T>(value: T, key?: string): T {
  if (Array.isArray(value)) {
    return value.filter((v) => v !== undefined).map((v) => canonicalize(v)) as T;
  }
  if (!isPlainObject(value)) return value;
  let keys = Object.keys(value).filter((k) => value[k] !== undefined);
  if (key !== undefined && SORTED_MAPS.has(key) && isStringMap(value)) {
    keys = keys.sort();
  } else {
    const leading = LEADING_KEYS.filter((k) => keys.includes(k));
    keys = [...leading, ...keys.filter((k) => !LEADING_KEYS.includes(k))];
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = canonicalize(value[k], k);
  return out as T;
}

/** One YAML document, without folding long lines (PromQL stays on one line). */
export function toYamlDocument(object: unknown): string {
  return stringify(object, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

/** Several objects as one multi-document YAML stream, with an optional comment header. */
export function toYamlStream(objects: readonly unknown[], header?: string): string {
  const head = header
    ? header
        .split('\n')
        .map((l) => (l ? `# ${l}` : '#'))
        .join('\n') + '\n'
    : '';
  return head + objects.map((o) => `---\n${toYamlDocument(o)}`).join('');
}
