/**
 * The four PATCH flavours of the API server: JSON merge patch (RFC 7386), strategic merge patch
 * (merge keys for the list fields Kubernetes objects use), JSON Patch (RFC 6902) and the merge half
 * of server-side apply (associative lists merged by key, atomic lists replaced).
 */
import { type Json, type KObj, StatusError } from './status.js';

export function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

export function isObj(v: Json): v is KObj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: KObj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The merge key of a list field, as declared by `patchMergeKey` in the Kubernetes API types.
 * Returns undefined for atomic lists (replaced as a whole).
 */
export function listMergeKey(field: string, items: Json[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    case 'ports': {
      const first = items.find(isObj);
      if (first && 'containerPort' in first) return 'containerPort';
      return 'port';
    }
    default:
      return undefined;
  }
}

/** Primitive lists with patchStrategy "merge" (union on strategic merge). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function smpMap(orig: Json, patch: KObj): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _r, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  let out: KObj = isObj(orig) ? clone(orig) : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v))
        out[field] = out[field].filter((x: Json) => !v.includes(x));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (isObj(v)) {
      const merged = smpMap(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = smpList(k, out[k], v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && x.$patch)).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: KObj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

function smpList(field: string, orig: Json, patch: Json[]): Json[] {
  if (patch.some((x) => isObj(x) && x.$patch === 'replace')) {
    return stripDirectives(patch.filter((x) => !(isObj(x) && x.$patch === 'replace')));
  }
  const key = listMergeKey(field, [...patch, ...(Array.isArray(orig) ? orig : [])]);
  if (!Array.isArray(orig)) return stripDirectives(patch);
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...orig];
    for (const x of patch) if (!out.includes(x)) out.push(x);
    return out;
  }
  if (!key) return stripDirectives(patch);
  const out = clone(orig) as Json[];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((o) => isObj(o) && String(o[key]) === String(item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpMap(out[idx], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** Strategic merge patch with the Kubernetes merge keys (containers by name, ports by port, ...). */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) throw new StatusError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
  return smpMap(target, patch);
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new StatusError(422, 'Invalid', `invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatchError(msg: string): StatusError {
  return new StatusError(422, 'Invalid', msg);
}

function getAt(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

/** RFC 6902 JSON Patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops))
    throw new StatusError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = clone(target);
  for (const op of ops as KObj[]) {
    const path = parsePointer(String(op.path ?? ''));
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1];
    const apply = (fn: (parent: Json) => void) => {
      const parent = getAt(doc, parentPath);
      if (parent === undefined || parent === null || typeof parent !== 'object') {
        throw jsonPatchError(`doc is missing path: "${op.path}": missing value`);
      }
      fn(parent);
    };
    const add = (p: string[], value: Json) => {
      if (p.length === 0) {
        doc = clone(value);
        return;
      }
      const pp = p.slice(0, -1);
      const l = p[p.length - 1];
      const parent = getAt(doc, pp);
      if (Array.isArray(parent)) {
        const i = l === '-' ? parent.length : Number(l);
        if (!Number.isInteger(i) || i < 0 || i > parent.length)
          throw jsonPatchError(`add operation does not apply: doc is missing path: "${op.path}"`);
        parent.splice(i, 0, clone(value));
      } else if (isObj(parent)) parent[l] = clone(value);
      else
        throw jsonPatchError(
          `add operation does not apply: doc is missing path: "${op.path}": missing value`,
        );
    };
    const remove = (p: string[]) => {
      const parent = getAt(doc, p.slice(0, -1));
      const l = p[p.length - 1];
      if (Array.isArray(parent) && Number(l) < parent.length) parent.splice(Number(l), 1);
      else if (isObj(parent) && l in parent) delete parent[l];
      else throw jsonPatchError(`remove operation does not apply: doc is missing path: "${op.path}"`);
    };
    switch (op.op) {
      case 'add':
        add(path, op.value);
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        if (path.length === 0) doc = clone(op.value);
        else
          apply((parent) => {
            if (Array.isArray(parent)) parent[Number(last)] = clone(op.value);
            else {
              if (!(last in parent)) {
                throw jsonPatchError(
                  `replace operation does not apply: doc is missing key: ${op.path}: missing value`,
                );
              }
              parent[last] = clone(op.value);
            }
          });
        break;
      case 'move': {
        const from = parsePointer(String(op.from));
        const v = getAt(doc, from);
        if (v === undefined)
          throw jsonPatchError(`move operation does not apply: doc is missing from path: ${op.from}`);
        remove(from);
        add(path, v);
        break;
      }
      case 'copy': {
        const v = getAt(doc, parsePointer(String(op.from)));
        if (v === undefined)
          throw jsonPatchError(`copy operation does not apply: doc is missing from path: ${op.from}`);
        add(path, v);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), op.value))
          throw jsonPatchError(`testing value ${op.path} failed: test failed`);
        break;
      default:
        throw new StatusError(400, 'BadRequest', `Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Server-side apply: field sets (as in managedFields.fieldsV1) and the merge.

/** A field path such as ["f:spec","f:template","f:spec","f:containers",'k:{"name":"w"}',"f:image"]. */
export type FieldPath = string[];

const SKIP_TOP = new Set(['apiVersion', 'kind', 'status']);
const SKIP_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

function keyToken(key: string, item: KObj): string {
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

/** The leaf paths an object sets (what a manager owns after applying it). */
export function fieldSetOf(obj: KObj, includeStatus = false): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (v: Json, prefix: FieldPath, field: string) => {
    if (isObj(v)) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) {
        out.push(prefix);
        return;
      }
      for (const [k, x] of entries) walk(x, [...prefix, `f:${k}`], k);
      return;
    }
    if (Array.isArray(v)) {
      const key = listMergeKey(field, v);
      if (key && v.every((x) => isObj(x) && x[key] !== undefined)) {
        for (const item of v as KObj[]) {
          const itemPath = [...prefix, keyToken(key, item)];
          out.push([...itemPath, '.']);
          for (const [k, x] of Object.entries(item)) if (x !== undefined) walk(x, [...itemPath, `f:${k}`], k);
        }
        return;
      }
    }
    out.push(prefix);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (SKIP_TOP.has(k) && !(k === 'status' && includeStatus)) continue;
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (SKIP_META.has(mk) || mv === undefined) continue;
        walk(mv, ['f:metadata', `f:${mk}`], mk);
      }
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

/** Reads the value at a field path; `undefined` when absent. */
export function valueAt(obj: Json, path: FieldPath): Json {
  let cur = obj;
  for (const tok of path) {
    if (tok === '.') continue;
    if (tok.startsWith('f:')) {
      if (!isObj(cur)) return undefined;
      cur = cur[tok.slice(2)];
    } else if (tok.startsWith('k:')) {
      if (!Array.isArray(cur)) return undefined;
      const key = JSON.parse(tok.slice(2)) as KObj;
      cur = cur.find(
        (x: Json) => isObj(x) && Object.entries(key).every(([k, v]) => String(x[k]) === String(v)),
      );
    } else return undefined;
  }
  return cur;
}

/** Removes the value at a field path (a whole list item when the path ends in "."). */
export function removeAt(obj: Json, path: FieldPath): void {
  const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  if (p.length === 0) return;
  const parent = valueAt(obj, p.slice(0, -1));
  const last = p[p.length - 1];
  if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const key = JSON.parse(last.slice(2)) as KObj;
    const i = parent.findIndex(
      (x: Json) => isObj(x) && Object.entries(key).every(([k, v]) => String(x[k]) === String(v)),
    );
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Converts leaf paths into the nested fieldsV1 form stored in managedFields. */
export function toFieldsV1(paths: FieldPath[]): KObj {
  const root: KObj = {};
  for (const p of paths) {
    let cur = root;
    for (const tok of p) {
      cur[tok] ??= {};
      cur = cur[tok];
    }
  }
  return root;
}

/** Converts a fieldsV1 tree back into leaf paths. */
export function fromFieldsV1(tree: KObj | undefined): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (t: KObj, prefix: FieldPath) => {
    const keys = Object.keys(t);
    if (keys.length === 0) {
      if (prefix.length) out.push(prefix);
      return;
    }
    for (const k of keys) walk(t[k], [...prefix, k]);
  };
  if (tree) walk(tree, []);
  return out;
}

/** Merges an applied configuration into the live object (maps recursively, keyed lists by key). */
export function applyMerge(live: Json, applied: Json, field = ''): Json {
  if (isObj(applied)) {
    const out: KObj = isObj(live) ? clone(live) : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      out[k] = v === null ? null : applyMerge(out[k], v, k);
      if (v === null) delete out[k];
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const key = listMergeKey(field, applied);
    if (key && Array.isArray(live) && applied.every((x) => isObj(x) && x[key] !== undefined)) {
      const out = clone(live) as Json[];
      for (const item of applied) {
        const i = out.findIndex((o) => isObj(o) && String(o[key]) === String(item[key]));
        if (i >= 0) out[i] = applyMerge(out[i], item, '');
        else out.push(clone(item));
      }
      return out;
    }
    return clone(applied);
  }
  return applied;
}
