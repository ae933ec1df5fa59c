/**
 * Server-side apply (`application/apply-patch+yaml`, `fieldManager`): creates the object or merges
 * the applied configuration, with per-manager field ownership, conflicts (409 unless `force`) and
 * removal of fields the manager no longer applies.
 */
import { defaultObject, stripNulls } from './defaults.js';
import type { ManagedEntry } from './managed-fields.js';
import {
  applyMerge,
  clone,
  deepEqual,
  type FieldPath,
  fieldSetOf,
  fromFieldsV1,
  isObj,
  removeAt,
  toFieldsV1,
  valueAt,
} from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { badRequest, type Json, type KObj, notFound, StatusError } from './status.js';
import type { Store } from './store.js';
import { validate } from './validation.js';
import type { WriteOptions } from './write-options.js';

/** What apply needs of the write path (api.ts). */
export interface ApplyWriter {
  readonly store: Store;
  /** Throws unless the namespace exists and is not Terminating. */
  ensureNamespace(r: ResourceDef, ns: string | undefined, name?: string): void;
  /** Builds the object a PUT would store. */
  finishUpdate(
    r: ResourceDef,
    old: KObj,
    next: KObj,
    opts: WriteOptions,
    operation: 'Update' | 'Apply',
  ): KObj;
  /** Stores it (or not, for a dry run), with the optimistic concurrency check. */
  commitUpdate(r: ResourceDef, old: KObj, o: KObj, expectedRv: string | undefined, opts: WriteOptions): KObj;
}

function fieldPathString(p: FieldPath): string {
  return p
    .filter((t) => t !== '.')
    .map((t) => {
      if (t.startsWith('f:')) return `.${t.slice(2)}`;
      const key = JSON.parse(t.slice(2)) as KObj;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/** Server-side apply (`application/apply-patch+yaml`): create or merge, with field ownership. */
export function serverSideApply(
  w: ApplyWriter,
  r: ResourceDef,
  ns: string | undefined,
  name: string,
  applied: Json,
  opts: WriteOptions = {},
): KObj {
  if (!isObj(applied)) throw badRequest('the apply patch must be an object');
  const manager = opts.fieldManager;
  if (!manager)
    throw badRequest(
      'PATCH requests of type application/apply-patch+yaml require a fieldManager (the fieldManager query parameter)',
    );
  if (!applied.apiVersion || !applied.kind) {
    throw badRequest(`invalid object type: ${applied.apiVersion ?? ''}, Kind=${applied.kind ?? ''}`);
  }
  if (applied.apiVersion !== apiVersionOf(r) || applied.kind !== r.kind) {
    throw badRequest(
      `the API version in the data (${applied.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`,
    );
  }
  if (applied.metadata?.name && applied.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
    );
  }
  const newPaths = fieldSetOf(applied, opts.subresource === 'status');
  const entry = (): ManagedEntry => ({
    manager,
    operation: 'Apply',
    apiVersion: apiVersionOf(r),
    time: w.store.timestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(newPaths),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  });
  const old = w.store.get(r, ns, name);
  if (!old) {
    if (opts.subresource) throw notFound(r, name);
    w.ensureNamespace(r, ns, name);
    const body = stripNulls(applied);
    body.metadata = { ...(body.metadata ?? {}), name };
    const o = w.store.prepareCreate(r, body, ns);
    if (r.hasStatus) delete o.status;
    defaultObject(r, o);
    validate(r, o);
    o.metadata.managedFields = [entry()];
    if (opts.dryRun) return o;
    return w.store.insert(r, o);
  }
  const entries = ((old.metadata.managedFields ?? []) as ManagedEntry[]).map((e) => ({ ...e }));
  const newKeys = new Set(newPaths.map((p) => JSON.stringify(p)));
  const conflicts = new Map<string, string[]>();
  const others: { e: ManagedEntry; paths: FieldPath[] }[] = [];
  let previous: FieldPath[] = [];
  for (const e of entries) {
    const paths = fromFieldsV1(e.fieldsV1);
    if (
      e.manager === manager &&
      e.operation === 'Apply' &&
      (e.subresource ?? '') === (opts.subresource ?? '')
    ) {
      previous = paths;
      continue;
    }
    others.push({ e, paths });
    for (const p of paths) {
      if (!newKeys.has(JSON.stringify(p)) || p[p.length - 1] === '.') continue;
      if (deepEqual(valueAt(old, p), valueAt(applied, p))) continue;
      const list = conflicts.get(e.manager) ?? [];
      list.push(fieldPathString(p));
      conflicts.set(e.manager, list);
    }
  }
  if (conflicts.size && !opts.force) {
    const total = [...conflicts.values()].reduce((n, l) => n + l.length, 0);
    const parts = [...conflicts.entries()].map(([m, fields]) =>
      fields.length === 1
        ? `conflict with "${m}" using ${apiVersionOf(r)}: ${fields[0]}`
        : `conflicts with "${m}" using ${apiVersionOf(r)}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
    );
    throw new StatusError(
      409,
      'Conflict',
      `Apply failed with ${total} conflict${total === 1 ? '' : 's'}: ${parts.join('\n')}`,
      {
        name,
        ...(r.group ? { group: r.group } : {}),
        kind: r.plural,
        causes: [...conflicts.entries()].flatMap(([m, fields]) =>
          fields.map((f) => ({
            reason: 'FieldManagerConflict',
            message: `conflict with "${m}" using ${apiVersionOf(r)}`,
            field: f,
          })),
        ),
      },
    );
  }
  // Fields this manager applied before but no longer applies are removed unless someone else owns them.
  let next = clone(old);
  const ownedByOthers = new Set(others.flatMap((o) => o.paths.map((p) => JSON.stringify(p))));
  for (const p of previous) {
    const k = JSON.stringify(p);
    if (newKeys.has(k) || ownedByOthers.has(k)) continue;
    if (
      p[p.length - 1] === '.' ||
      !previous.some((q) => q.length > p.length && JSON.stringify(q.slice(0, p.length)) === k)
    ) {
      removeAt(next, p);
    }
  }
  const body = clone(applied);
  const meta = body.metadata ?? {};
  delete body.metadata;
  delete body.apiVersion;
  delete body.kind;
  next = applyMerge(next, body);
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers']) {
    if (meta[k] !== undefined) next.metadata[k] = applyMerge(next.metadata[k], meta[k], k);
  }
  const expected = meta.resourceVersion;
  const outEntries: ManagedEntry[] = [];
  for (const { e, paths } of others) {
    const kept = opts.force
      ? paths.filter((p) => {
          if (!newKeys.has(JSON.stringify(p))) return true;
          return deepEqual(valueAt(old, p), valueAt(applied, p));
        })
      : paths;
    if (kept.length) outEntries.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  outEntries.push(entry());
  const o = w.finishUpdate(r, old, next, opts, 'Apply');
  o.metadata.managedFields = outEntries;
  o.metadata.resourceVersion = old.metadata.resourceVersion;
  return w.commitUpdate(r, old, o, expected, opts);
}
