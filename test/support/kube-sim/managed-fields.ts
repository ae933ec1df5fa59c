/**
 * managedFields: which manager owns which fields. An update moves the fields it changed to its
 * manager's `Update` entry (per subresource); server-side apply (apply.ts) keeps `Apply` entries.
 */
import { deepEqual, type FieldPath, fieldSetOf, fromFieldsV1, toFieldsV1, valueAt } from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import type { KObj } from './status.js';
import type { Store } from './store.js';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: KObj;
  subresource?: string;
}

/** Records an update by manager of the fields that changed from old to o (o.metadata.managedFields). */
export function recordUpdate(
  store: Store,
  r: ResourceDef,
  o: KObj,
  old: KObj | undefined,
  manager: string,
  subresource?: string,
): void {
  const newPaths = fieldSetOf(o, subresource === 'status').filter((p) =>
    subresource === 'status' ? p[0] === 'f:status' : true,
  );
  const changed = newPaths.filter((p) => !old || !deepEqual(valueAt(old, p), valueAt(o, p)));
  const entries = ((o.metadata.managedFields ?? []) as ManagedEntry[]).map((e) => ({ ...e }));
  if (changed.length === 0 && old) {
    o.metadata.managedFields = entries.length ? entries : undefined;
    if (!o.metadata.managedFields) delete o.metadata.managedFields;
    return;
  }
  const changedSet = new Set(changed.map((p) => JSON.stringify(p)));
  const out: ManagedEntry[] = [];
  let mine: FieldPath[] = [];
  for (const e of entries) {
    const paths = fromFieldsV1(e.fieldsV1);
    if (e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')) {
      mine = paths;
      continue;
    }
    const kept = paths.filter((p) => !changedSet.has(JSON.stringify(p)));
    if (kept.length) out.push({ ...e, fieldsV1: toFieldsV1(kept) });
  }
  const mineSet = new Set(mine.map((p) => JSON.stringify(p)));
  for (const p of changed) if (!mineSet.has(JSON.stringify(p))) mine.push(p);
  const entry: ManagedEntry = {
    manager,
    operation: 'Update',
    apiVersion: apiVersionOf(r),
    time: store.timestamp(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(mine),
  };
  if (subresource) entry.subresource = subresource;
  out.push(entry);
  o.metadata.managedFields = out;
}
