/**
 * The write path of the API server on top of the store: create, update and the PATCH flavours
 * with generation and status rules, optimistic concurrency and dry runs, and deletes with
 * propagation; defaults (defaults.ts), validation (validation.ts), managedFields
 * (managed-fields.ts) and server-side apply (apply.ts) are their own files.
 */
import { type ApplyWriter, serverSideApply } from './apply.js';
import { defaultObject, stripNulls } from './defaults.js';
import { recordUpdate } from './managed-fields.js';
import { clone, deepEqual, isObj, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { findResource, type ResourceDef } from './resources.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  type Json,
  type KObj,
  notFound,
  StatusError,
  successStatus,
} from './status.js';
import { type Store, specPart } from './store.js';
import { validate } from './validation.js';
import type { WriteOptions } from './write-options.js';

export type { WriteOptions } from './write-options.js';

const NAMESPACES = findResource('', 'v1', 'namespaces')!;

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
    recordUpdate(this.store, r, o, undefined, opts.fieldManager ?? 'unknown');
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
      recordUpdate(this.store, r, kept, old, opts.fieldManager ?? 'unknown', 'status');
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
      recordUpdate(this.store, r, o, old, opts.fieldManager ?? 'unknown');
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
    const writer: ApplyWriter = {
      store: this.store,
      ensureNamespace: (...a) => this.ensureNamespace(...a),
      finishUpdate: (...a) => this.finishUpdate(...a),
      commitUpdate: (...a) => this.commitUpdate(...a),
    };
    return serverSideApply(writer, r, ns, name, applied, opts);
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
