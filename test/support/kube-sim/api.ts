/**
 * The write path of the API server on top of the store: defaulting, validation, generation and
 * status rules, optimistic concurrency, dry runs, the PATCH flavours, server-side apply with
 * managedFields and conflicts, and deletes with propagation.
 */
import { createHash } from 'node:crypto';
import {
  applyMerge,
  clone,
  deepEqual,
  type FieldPath,
  fieldSetOf,
  fromFieldsV1,
  isObj,
  jsonPatch,
  mergePatch,
  removeAt,
  strategicMergePatch,
  toFieldsV1,
  valueAt,
} from './patch.js';
import { apiVersionOf, findResource, type ResourceDef } from './resources.js';
import { labelSelectorObjectMatcher } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  type FieldCause,
  invalid,
  type Json,
  type KObj,
  notFound,
  StatusError,
  successStatus,
} from './status.js';
import { type Store, specPart } from './store.js';

/** Options common to writes. */
export interface WriteOptions {
  dryRun?: boolean;
  /** The field manager recorded in managedFields. */
  fieldManager?: string;
  /** `status` or `scale` when writing a subresource. */
  subresource?: string;
  force?: boolean;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAMESPACES = findResource('', 'v1', 'namespaces')!;

/** A pod template hash like the deployment controller's (10 characters of the safe alphabet). */
export function podTemplateHash(template: KObj, collisionCount = 0): string {
  const t = clone(template);
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  const h = createHash('sha256')
    .update(canonical(t) + String(collisionCount))
    .digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[h[i] % alphabet.length];
  return s;
}

/** JSON with sorted keys, so equal objects give equal strings. */
export function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** True when two pod templates are equal ignoring the pod-template-hash label (EqualIgnoreHash). */
export function templatesEqual(a: KObj | undefined, b: KObj | undefined): boolean {
  const strip = (t: KObj | undefined) => {
    const c = clone(t ?? {});
    if (c.metadata?.labels) {
      delete c.metadata.labels['pod-template-hash'];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
    return c;
  };
  return deepEqual(strip(a), strip(b));
}

function defaultContainer(c: KObj): void {
  if (!c.image) return;
  const tag = String(c.image).split('/').pop() ?? '';
  c.imagePullPolicy ??= !tag.includes(':') || tag.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of (c.ports ?? []) as KObj[]) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!isObj(probe)) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (isObj(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
  }
}

/** Drops null fields, as decoding into the typed object does (`creationTimestamp: null` and friends). */
export function stripNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isObj(v)) return v;
  const out: KObj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
  return out;
}

/** Pod spec defaults, as the API server applies them (idempotent). */
export function defaultPodSpec(spec: KObj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as KObj[]) defaultContainer(c);
}

function defaultObject(r: ResourceDef, o: KObj): void {
  const spec = o.spec;
  switch (`${r.group}/${r.plural}`) {
    case 'apps/deployments':
      if (!isObj(spec)) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate' };
      if (spec.strategy.type === 'RollingUpdate' || spec.strategy.type === undefined) {
        spec.strategy.type = 'RollingUpdate';
        spec.strategy.rollingUpdate ??= {};
        spec.strategy.rollingUpdate.maxSurge ??= '25%';
        spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      }
      if (isObj(spec.template)) {
        spec.template.metadata ??= {};
        if (isObj(spec.template.spec)) defaultPodSpec(spec.template.spec);
      }
      break;
    case 'apps/replicasets':
      if (!isObj(spec)) return;
      spec.replicas ??= 1;
      if (isObj(spec.template?.spec)) defaultPodSpec(spec.template.spec);
      break;
    case '/pods':
      if (isObj(spec)) defaultPodSpec(spec);
      o.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case '/services':
      if (!isObj(spec)) return;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.clusterIP === undefined) {
        spec.clusterIP = `10.96.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
      }
      spec.clusterIPs ??= [spec.clusterIP];
      for (const p of (spec.ports ?? []) as KObj[]) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      o.status ??= { loadBalancer: {} };
      break;
    case '/namespaces':
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
      o.spec ??= { finalizers: ['kubernetes'] };
      o.status ??= { phase: 'Active' };
      break;
    case '/secrets':
      o.type ??= 'Opaque';
      if (isObj(o.stringData)) {
        o.data = { ...(o.data ?? {}) };
        for (const [k, v] of Object.entries(o.stringData))
          o.data[k] = Buffer.from(String(v)).toString('base64');
        delete o.stringData;
      }
      break;
    case 'autoscaling/horizontalpodautoscalers':
      if (isObj(spec)) spec.minReplicas ??= 1;
      break;
  }
}

function validate(r: ResourceDef, o: KObj, old?: KObj): void {
  const name = o.metadata?.name ?? '';
  const causes: FieldCause[] = [];
  if (!name) {
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  }
  for (const [k, v] of Object.entries((o.metadata?.labels ?? {}) as KObj)) {
    if (typeof v !== 'string')
      causes.push({
        field: `metadata.labels`,
        message: `Invalid value: "${k}": label values must be strings`,
      });
  }
  const checkPodSpec = (spec: Json, path: string) => {
    const containers = spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({ field: `${path}.containers`, message: 'Required value', reason: 'FieldValueRequired' });
      return;
    }
    containers.forEach((c: KObj, i: number) => {
      if (!c?.name)
        causes.push({
          field: `${path}.containers[${i}].name`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      if (!c?.image)
        causes.push({
          field: `${path}.containers[${i}].image`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
    });
  };
  if (r.group === 'apps' && (r.plural === 'deployments' || r.plural === 'replicasets')) {
    const spec = o.spec ?? {};
    if (!isObj(spec.selector)) {
      causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    } else {
      const labels = spec.template?.metadata?.labels ?? {};
      if (!labelSelectorObjectMatcher(spec.selector)(labels) || Object.keys(spec.selector).length === 0) {
        causes.push({
          field: 'spec.template.metadata.labels',
          message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        });
      }
      if (old && !deepEqual(old.spec?.selector, spec.selector)) {
        causes.push({
          field: 'spec.selector',
          message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`,
        });
      }
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      causes.push({
        field: 'spec.replicas',
        message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      });
    }
    checkPodSpec(spec.template?.spec, 'spec.template.spec');
  }
  if (r.group === '' && r.plural === 'pods') checkPodSpec(o.spec, 'spec');
  if (r.group === '' && r.plural === 'services' && o.spec?.type !== 'ExternalName') {
    if (!Array.isArray(o.spec?.ports) || o.spec.ports.length === 0) {
      causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
    }
  }
  if (r.group === 'autoscaling' && r.plural === 'horizontalpodautoscalers') {
    const spec = o.spec ?? {};
    if (!spec.scaleTargetRef?.kind || !spec.scaleTargetRef?.name) {
      causes.push({ field: 'spec.scaleTargetRef', message: 'Required value', reason: 'FieldValueRequired' });
    }
    if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) {
      causes.push({
        field: 'spec.minReplicas',
        message: `Invalid value: ${spec.minReplicas}: must be greater than or equal to 1`,
      });
    }
    if (typeof spec.maxReplicas !== 'number') {
      causes.push({ field: 'spec.maxReplicas', message: 'Required value', reason: 'FieldValueRequired' });
    } else if (spec.maxReplicas < (spec.minReplicas ?? 1)) {
      causes.push({
        field: 'spec.maxReplicas',
        message: `Invalid value: ${spec.maxReplicas}: must be greater than or equal to \`minReplicas\``,
      });
    }
  }
  if (r.group === '' && r.plural === 'configmaps') {
    for (const [k, v] of Object.entries((o.data ?? {}) as KObj)) {
      if (typeof v !== 'string')
        causes.push({ field: `data[${k}]`, message: 'Invalid value: must be a string' });
    }
  }
  if (causes.length) throw invalid(r, name, causes);
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

interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: KObj;
  subresource?: string;
}

/** The operations the HTTP layer (and the TypeScript API) call. */
export class Api {
  /**
   * Graceful pod deletion (set by the kubelet simulation when pods terminate over time): returns
   * the pod marked Terminating, or undefined to delete at once.
   */
  podDeleter?: (pod: KObj) => KObj | undefined;
  /** Namespace deletion through the namespace controller: returns the Terminating namespace. */
  namespaceDeleter?: (ns: KObj) => KObj | undefined;

  constructor(private readonly store: Store) {}

  private ensureNamespace(r: ResourceDef, ns: string | undefined, name?: string): void {
    if (!r.namespaced) return;
    if (!ns) throw badRequest('the namespace of the object must be set');
    const nsObj = this.store.peek(NAMESPACES, undefined, ns);
    if (!nsObj) throw notFound(NAMESPACES, ns);
    if (nsObj.metadata.deletionTimestamp) {
      const subject = name
        ? `${r.group ? `${r.plural}.${r.group}` : r.plural} "${name}"`
        : r.group
          ? `${r.plural}.${r.group}`
          : r.plural;
      throw new StatusError(
        403,
        'Forbidden',
        `${subject} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { ...(name ? { name } : {}), ...(r.group ? { group: r.group } : {}), kind: r.plural },
      );
    }
  }

  private recordUpdate(
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
      if (
        e.manager === manager &&
        e.operation === 'Update' &&
        (e.subresource ?? '') === (subresource ?? '')
      ) {
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
      time: this.store.timestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(mine),
    };
    if (subresource) entry.subresource = subresource;
    out.push(entry);
    o.metadata.managedFields = out;
  }

  /** POST: creates an object. */
  create(r: ResourceDef, ns: string | undefined, body: KObj, opts: WriteOptions = {}): KObj {
    if (!isObj(body)) throw badRequest('the request body must be a JSON object');
    if (r.namespaced && body.metadata?.namespace && body.metadata.namespace !== ns) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    this.ensureNamespace(r, ns, body.metadata?.name);
    const o = this.store.prepareCreate(r, stripNulls(body), ns);
    // status is not settable on create for resources with a status subresource
    if (r.hasStatus) delete o.status;
    defaultObject(r, o);
    validate(r, o);
    this.recordUpdate(r, o, undefined, opts.fieldManager ?? 'unknown');
    if (opts.dryRun) {
      if (this.store.peek(r, ns, o.metadata.name)) throw alreadyExists(r, o.metadata.name);
      return o;
    }
    return this.store.insert(r, o);
  }

  /** Builds the object a PUT would store (shared by update, patch and apply). */
  private finishUpdate(
    r: ResourceDef,
    old: KObj,
    next: KObj,
    opts: WriteOptions,
    operation: 'Update' | 'Apply',
  ): KObj {
    const o = stripNulls(next);
    o.apiVersion = old.apiVersion;
    o.kind = old.kind;
    o.metadata = isObj(o.metadata) ? o.metadata : {};
    for (const k of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'namespace', 'name']) {
      if (old.metadata[k] === undefined) delete o.metadata[k];
      else o.metadata[k] = old.metadata[k];
    }
    if (opts.subresource === 'status') {
      const status = o.status;
      const kept = clone(old);
      kept.status = status;
      if (o.metadata.resourceVersion !== undefined)
        kept.metadata.resourceVersion = o.metadata.resourceVersion;
      else delete kept.metadata.resourceVersion;
      kept.metadata.managedFields = old.metadata.managedFields;
      this.recordUpdate(r, kept, old, opts.fieldManager ?? 'unknown', 'status');
      return kept;
    }
    if (r.hasStatus) {
      if (old.status === undefined) delete o.status;
      else o.status = clone(old.status);
    }
    defaultObject(r, o);
    validate(r, o, old);
    if (old.metadata.generation !== undefined && !deepEqual(specPart(o), specPart(old)))
      o.metadata.generation = (old.metadata.generation ?? 0) + 1;
    if (operation === 'Update') {
      o.metadata.managedFields = old.metadata.managedFields;
      this.recordUpdate(r, o, old, opts.fieldManager ?? 'unknown');
    }
    return o;
  }

  private commitUpdate(
    r: ResourceDef,
    old: KObj,
    o: KObj,
    expectedRv: string | undefined,
    opts: WriteOptions,
  ): KObj {
    if (opts.dryRun) {
      if (expectedRv && expectedRv !== old.metadata.resourceVersion) {
        throw conflict(r, old.metadata.name);
      }
      o.metadata.resourceVersion = old.metadata.resourceVersion;
      return o;
    }
    return this.store.replace(r, o, expectedRv);
  }

  private mustGet(r: ResourceDef, ns: string | undefined, name: string): KObj {
    const old = this.store.get(r, ns, name);
    if (!old) throw notFound(r, name);
    return old;
  }

  /** PUT: replaces an object (or its status). Stale metadata.resourceVersion → 409 Conflict. */
  update(r: ResourceDef, ns: string | undefined, name: string, body: KObj, opts: WriteOptions = {}): KObj {
    if (!isObj(body)) throw badRequest('the request body must be a JSON object');
    if (body.metadata?.name && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (r.namespaced && body.metadata?.namespace && body.metadata.namespace !== ns) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const old = this.mustGet(r, ns, name);
    const expected = body.metadata?.resourceVersion;
    const o = this.finishUpdate(
      r,
      old,
      { ...body, metadata: { ...(body.metadata ?? {}), name } },
      opts,
      'Update',
    );
    return this.commitUpdate(r, old, o, expected, opts);
  }

  /** PATCH (merge, strategic, JSON Patch, or apply). */
  patch(
    r: ResourceDef,
    ns: string | undefined,
    name: string,
    contentType: string,
    patch: Json,
    opts: WriteOptions = {},
  ): KObj {
    const type = contentType.split(';')[0].trim().toLowerCase();
    if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
      return this.apply(r, ns, name, patch, opts);
    }
    const old = this.mustGet(r, ns, name);
    let next: Json;
    if (type === 'application/merge-patch+json') next = mergePatch(old, patch);
    else if (type === 'application/strategic-merge-patch+json') next = strategicMergePatch(old, patch);
    else if (type === 'application/json-patch+json') next = jsonPatch(old, patch);
    else {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
    }
    if (!isObj(next)) throw badRequest('the patch did not produce an object');
    const expected =
      next.metadata?.resourceVersion !== old.metadata.resourceVersion
        ? next.metadata?.resourceVersion
        : undefined;
    next.metadata = { ...(next.metadata ?? {}), name };
    const o = this.finishUpdate(r, old, next, opts, 'Update');
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.commitUpdate(r, old, o, expected, opts);
  }

  /** Server-side apply (`application/apply-patch+yaml`): create or merge, with field ownership. */
  apply(r: ResourceDef, ns: string | undefined, name: string, applied: Json, opts: WriteOptions = {}): KObj {
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
      time: this.store.timestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(newPaths),
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    });
    const old = this.store.get(r, ns, name);
    if (!old) {
      if (opts.subresource) throw notFound(r, name);
      this.ensureNamespace(r, ns, name);
      const body = stripNulls(applied);
      body.metadata = { ...(body.metadata ?? {}), name };
      const o = this.store.prepareCreate(r, body, ns);
      if (r.hasStatus) delete o.status;
      defaultObject(r, o);
      validate(r, o);
      o.metadata.managedFields = [entry()];
      if (opts.dryRun) return o;
      return this.store.insert(r, o);
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
    const o = this.finishUpdate(r, old, next, opts, 'Apply');
    o.metadata.managedFields = outEntries;
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.commitUpdate(r, old, o, expected, opts);
  }

  /** DELETE: removes an object; children follow unless propagationPolicy is Orphan. */
  delete(
    r: ResourceDef,
    ns: string | undefined,
    name: string,
    options: {
      propagationPolicy?: string;
      dryRun?: boolean;
      preconditions?: KObj;
      gracePeriodSeconds?: number;
    } = {},
  ): KObj {
    const old = this.mustGet(r, ns, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw new StatusError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
        {
          name,
          ...(r.group ? { group: r.group } : {}),
          kind: r.plural,
        },
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new StatusError(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
        { name, ...(r.group ? { group: r.group } : {}), kind: r.plural },
      );
    }
    const returnsObject = r.group === '' && (r.plural === 'pods' || r.plural === 'namespaces');
    const decorate = (o: KObj) => {
      o.metadata.deletionTimestamp = this.store.timestamp();
      if (r.plural === 'pods')
        o.metadata.deletionGracePeriodSeconds = o.spec?.terminationGracePeriodSeconds ?? 30;
      if (r.plural === 'namespaces') o.status = { ...(o.status ?? {}), phase: 'Terminating' };
      return o;
    };
    if (options.dryRun) return returnsObject ? decorate(old) : successStatus(r, name, old.metadata.uid);
    if (r.group === '' && r.plural === 'namespaces' && this.namespaceDeleter) {
      const terminating = this.namespaceDeleter(old);
      if (terminating) return terminating;
    }
    if (r.group === '' && r.plural === 'pods' && this.podDeleter && options.gracePeriodSeconds !== 0) {
      const terminating = this.podDeleter(old);
      if (terminating) return terminating;
    }
    const gone = this.store.remove(r, ns, name, options.propagationPolicy === 'Orphan');
    return returnsObject ? decorate(gone) : successStatus(r, name, old.metadata.uid);
  }
}
