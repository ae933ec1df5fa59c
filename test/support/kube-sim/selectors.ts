/**
 * Label selectors (string form from `?labelSelector=` and object form from `spec.selector`) and
 * field selectors (`?fieldSelector=`), with the grammar of k8s.io/apimachinery/pkg/labels.
 */
import { badRequest, type Json, type KObj } from './status.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** A compiled selector: a predicate over a label map. */
export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseRequirement(part: string): Requirement {
  let m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (m) {
    const values = m[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { op: m[2] as 'in' | 'notin', key: m[1], values };
  }
  m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s,()]*)$/.exec(part);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
  m = /^!\s*([^\s!=(),]+)$/.exec(part);
  if (m) return { op: 'notexists', key: m[1] };
  m = /^([^\s!=(),]+)$/.exec(part);
  if (m) return { op: 'exists', key: m[1] };
  throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
}

function matchRequirement(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const v = labels[req.key];
  switch (req.op) {
    case 'eq':
      return has && v === req.value;
    case 'neq':
      return !has || v !== req.value;
    case 'in':
      return has && req.values.includes(v);
    case 'notin':
      return !has || !req.values.includes(v);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses `app=x,tier in (a,b),!legacy` into a matcher. An empty string matches everything. */
export function parseLabelSelector(selector: string | undefined | null): LabelMatcher {
  if (!selector) return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return (labels) => reqs.every((r) => matchRequirement(r, labels ?? {}));
}

/** Compiles a `metav1.LabelSelector` object. `undefined` matches nothing (like the controllers), `{}` everything. */
export function labelSelectorObjectMatcher(sel: KObj | undefined | null): LabelMatcher {
  if (!sel) return () => false;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries((sel.matchLabels ?? {}) as Record<string, string>)) {
    reqs.push({ op: 'eq', key, value });
  }
  for (const e of (sel.matchExpressions ?? []) as KObj[]) {
    const op = String(e.operator);
    if (op === 'In') reqs.push({ op: 'in', key: e.key, values: e.values ?? [] });
    else if (op === 'NotIn') reqs.push({ op: 'notin', key: e.key, values: e.values ?? [] });
    else if (op === 'Exists') reqs.push({ op: 'exists', key: e.key });
    else if (op === 'DoesNotExist') reqs.push({ op: 'notexists', key: e.key });
  }
  return (labels) => reqs.every((r) => matchRequirement(r, labels ?? {}));
}

/** The string form of a `metav1.LabelSelector` (`a=b,c in (d)`), as kubectl builds it. */
export function labelSelectorToString(sel: KObj | undefined): string {
  if (!sel) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries((sel.matchLabels ?? {}) as Record<string, string>))
    parts.push(`${k}=${v}`);
  for (const e of (sel.matchExpressions ?? []) as KObj[]) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    if (e.operator === 'Exists') parts.push(e.key);
    if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function getPath(obj: KObj, path: string): Json {
  let cur: Json = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Field selectors each resource supports beyond metadata.name / metadata.namespace. */
const FIELD_LABELS: Record<string, string[]> = {
  pods: [
    'status.phase',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['type'],
  namespaces: ['status.phase'],
  replicasets: ['status.replicas'],
};

/** Parses `metadata.name=x,status.phase!=Running`. Unsupported fields give the API server's 400. */
export function parseFieldSelector(selector: string | undefined | null, plural: string) {
  if (!selector) return (_o: KObj) => true;
  const reqs = splitTopLevel(selector).map((part) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = m[1];
    const allowed = ['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[plural] ?? [])];
    if (!allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, neq: m[2] === '!=', value: m[3] };
  });
  return (o: KObj) =>
    reqs.every((r) => {
      let v = getPath(o, r.field);
      if (r.field === 'source') v = o.source?.component ?? o.reportingComponent;
      const s = v === undefined || v === null ? '' : String(v);
      return r.neq ? s !== r.value : s === r.value;
    });
}
