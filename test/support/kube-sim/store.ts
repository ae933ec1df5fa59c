/**
 * The object store: every object of every resource, one global monotonically increasing
 * resourceVersion, an event history for watches that resume from a resourceVersion, and
 * owner-reference garbage collection on delete.
 */
import { randomUUID } from 'node:crypto';
import { clone, deepEqual, isObj } from './patch.js';
import { findResourceByKind, RESOURCES, type ResourceDef, resourceKey } from './resources.js';
import { alreadyExists, conflict, type KObj, notFound } from './status.js';

/** A change as a watch sees it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  resource: ResourceDef;
  namespace: string;
  /** The object after the change (for DELETED: the last state, with the deletion's resourceVersion). */
  object: KObj;
  /** The object before a MODIFIED change. */
  old?: KObj;
}

export type StoreListener = (ev: WatchEvent) => void;

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Five random characters from the alphabet Kubernetes uses for generated names. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return s;
}

/** Everything but metadata and status: a change there bumps metadata.generation. */
export function specPart(obj: KObj): KObj {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export class Store {
  private readonly data = new Map<string, Map<string, KObj>>();
  private rv = 1000;
  private readonly history: WatchEvent[] = [];
  private readonly historyLimit: number;
  private oldestRetainedRv = 1000;
  private readonly listeners = new Set<StoreListener>();

  constructor(
    private readonly now: () => number = Date.now,
    historyLimit = 50_000,
  ) {
    this.historyLimit = historyLimit;
    for (const r of RESOURCES) if (!r.virtual) this.data.set(resourceKey(r), new Map());
  }

  /** The newest resourceVersion handed out (as the string lists carry). */
  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** The oldest resourceVersion a watch can resume from. */
  oldestResourceVersion(): number {
    return this.oldestRetainedRv;
  }

  /** Adds a listener called synchronously after every committed change. Returns the remover. */
  subscribe(fn: StoreListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The events after `rv` for one resource (for resuming watches). */
  eventsSince(rv: number, r: ResourceDef): WatchEvent[] {
    return this.history.filter((e) => e.rv > rv && e.resource === r);
  }

  private bucket(r: ResourceDef): Map<string, KObj> {
    const b = this.data.get(resourceKey(r));
    if (!b) throw new Error(`kube-sim: resource ${r.plural} is not stored`);
    return b;
  }

  private key(ns: string | undefined, name: string): string {
    return `${ns ?? ''}/${name}`;
  }

  timestamp(ms = this.now()): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /** A copy of one object, or undefined. */
  get(r: ResourceDef, ns: string | undefined, name: string): KObj | undefined {
    const o = this.bucket(r).get(this.key(r.namespaced ? ns : undefined, name));
    return o ? clone(o) : undefined;
  }

  /** Like get, but the stored object itself (callers must not mutate it). */
  peek(r: ResourceDef, ns: string | undefined, name: string): KObj | undefined {
    return this.bucket(r).get(this.key(r.namespaced ? ns : undefined, name));
  }

  /** Copies of all objects of a resource (in one namespace when given), sorted by namespace/name. */
  list(r: ResourceDef, ns?: string): KObj[] {
    return this.peekList(r, ns).map((o) => clone(o));
  }

  /** Like list, without copying (callers must not mutate). */
  peekList(r: ResourceDef, ns?: string): KObj[] {
    const out: KObj[] = [];
    for (const [k, o] of this.bucket(r)) {
      if (ns !== undefined && r.namespaced && !k.startsWith(`${ns}/`)) continue;
      out.push(o);
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  private commit(type: WatchEvent['type'], r: ResourceDef, obj: KObj, old?: KObj): void {
    const ev: WatchEvent = {
      type,
      rv: this.rv,
      resource: r,
      namespace: obj.metadata.namespace ?? '',
      object: obj,
      old,
    };
    this.history.push(ev);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestRetainedRv = dropped[dropped.length - 1].rv;
    }
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch {
        // a listener's failure never breaks a write
      }
    }
  }

  /** Fills server-set metadata for a new object (name from generateName, uid, timestamps). */
  prepareCreate(r: ResourceDef, obj: KObj, ns: string | undefined): KObj {
    const o = clone(obj);
    o.apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    o.kind = r.kind;
    o.metadata = isObj(o.metadata) ? o.metadata : {};
    const m = o.metadata;
    if (!m.name && m.generateName) m.name = `${m.generateName}${randomSuffix()}`;
    if (r.namespaced) m.namespace = ns;
    else delete m.namespace;
    m.uid = randomUUID();
    m.creationTimestamp = this.timestamp();
    if (r.hasStatus && r.plural !== 'namespaces' && r.plural !== 'nodes') m.generation = 1;
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    return o;
  }

  /** Stores a new object (already prepared and validated). Throws AlreadyExists. */
  insert(r: ResourceDef, obj: KObj): KObj {
    const b = this.bucket(r);
    const k = this.key(r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    if (b.has(k)) throw alreadyExists(r, obj.metadata.name);
    const o = clone(obj);
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    b.set(k, o);
    this.commit('ADDED', r, o);
    return clone(o);
  }

  /**
   * Replaces an object. `expectedRv` (when set) must equal the stored resourceVersion, else 409
   * Conflict. Returns the stored copy; no write (and no new resourceVersion) when nothing changed.
   */
  replace(r: ResourceDef, obj: KObj, expectedRv?: string): KObj {
    const b = this.bucket(r);
    const ns = r.namespaced ? obj.metadata.namespace : undefined;
    const k = this.key(ns, obj.metadata.name);
    const old = b.get(k);
    if (!old) throw notFound(r, obj.metadata.name);
    if (expectedRv !== undefined && expectedRv !== '' && expectedRv !== old.metadata.resourceVersion) {
      throw conflict(r, obj.metadata.name);
    }
    const o = clone(obj);
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(o, old)) return clone(old);
    this.rv++;
    o.metadata.resourceVersion = String(this.rv);
    b.set(k, o);
    this.commit('MODIFIED', r, o, old);
    return clone(o);
  }

  /**
   * Internal read-modify-write used by controllers: `fn` edits a copy; no-op writes are skipped.
   * Returns the new object, or undefined when the object does not exist.
   */
  mutate(r: ResourceDef, ns: string | undefined, name: string, fn: (o: KObj) => void): KObj | undefined {
    const cur = this.get(r, ns, name);
    if (!cur) return undefined;
    fn(cur);
    return this.replace(r, cur);
  }

  /**
   * Removes an object and (unless `orphan`) every object that names it in ownerReferences,
   * recursively. Returns the removed object.
   */
  remove(r: ResourceDef, ns: string | undefined, name: string, orphan = false): KObj {
    const b = this.bucket(r);
    const k = this.key(r.namespaced ? ns : undefined, name);
    const old = b.get(k);
    if (!old) throw notFound(r, name);
    b.delete(k);
    this.rv++;
    const gone = clone(old);
    gone.metadata.resourceVersion = String(this.rv);
    if (r.group === '' && r.plural === 'pods' && !gone.metadata.deletionTimestamp) {
      // a pod's last state, as the kubelet reports it when it is removed
      gone.metadata.deletionTimestamp = this.timestamp();
      gone.metadata.deletionGracePeriodSeconds = 0;
    }
    this.commit('DELETED', r, gone);
    const uid = old.metadata.uid;
    for (const dr of RESOURCES) {
      if (dr.virtual) continue;
      for (const child of this.peekList(dr)) {
        const refs = (child.metadata.ownerReferences ?? []) as KObj[];
        if (!refs.some((ref) => ref.uid === uid)) continue;
        if (orphan) {
          this.mutate(dr, child.metadata.namespace, child.metadata.name, (c) => {
            c.metadata.ownerReferences = refs.filter((ref) => ref.uid !== uid);
            if (c.metadata.ownerReferences.length === 0) delete c.metadata.ownerReferences;
          });
        } else if (this.peek(dr, child.metadata.namespace, child.metadata.name)) {
          this.remove(dr, child.metadata.namespace, child.metadata.name);
        }
      }
    }
    if (r.plural === 'namespaces' && r.group === '') {
      for (const dr of RESOURCES) {
        if (dr.virtual || !dr.namespaced) continue;
        for (const o of this.peekList(dr, name)) {
          if (this.peek(dr, name, o.metadata.name)) this.remove(dr, name, o.metadata.name, true);
        }
      }
    }
    return gone;
  }

  /** Stores an arbitrary object given with apiVersion/kind (test seeding). Creates or replaces. */
  put(obj: KObj): KObj {
    const r = findResourceByKind(obj.apiVersion, obj.kind);
    if (!r) throw new Error(`kube-sim: no resource for ${obj.apiVersion} ${obj.kind}`);
    const existing = this.peek(r, obj.metadata?.namespace, obj.metadata?.name);
    if (!existing) return this.insert(r, this.prepareCreate(r, obj, obj.metadata?.namespace));
    const next = clone(obj);
    next.metadata = { ...existing.metadata, ...obj.metadata, uid: existing.metadata.uid };
    if (existing.metadata.generation !== undefined && !deepEqual(specPart(next), specPart(existing)))
      next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    return this.replace(r, next);
  }
}
