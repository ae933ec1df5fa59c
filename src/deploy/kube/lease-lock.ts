/**
 * The deploy lock: a `coordination.k8s.io/v1` Lease named `mobius-deploy-lock` in the namespace,
 * used the way client-go's leader election uses one. Only one deploy or rollback changes a
 * namespace at a time.
 *
 * - No lease, or an empty holder: create / take it.
 * - Held and not expired (renewTime + leaseDurationSeconds in the future): wait up to the lock
 *   timeout (default 0: fail at once) with `DeployLockHeldError` naming the holder and since when.
 * - Held but expired (the holder died without releasing): take it over (leaseTransitions + 1).
 * - `forceUnlock`: take it whoever holds it.
 * Every write carries the resourceVersion read, so two deploys racing for the lease never both win.
 * The holder renews while it works and deletes the lease when done (also on SIGINT/SIGTERM).
 */
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { sleep as pause } from '../util/sleep.js';
import { httpStatusOf } from './errors.js';
import type { JsonTransport } from './resources/reader.js';

/** A Date that serializes with microseconds, as the API server's MicroTime requires. */
class MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}

export const DEPLOY_LOCK_NAME = 'mobius-deploy-lock';
export const DEFAULT_LEASE_DURATION_SECONDS = 60;

/** The Lease calls the lock needs; `leaseApiFromKubeConfig` adapts the real client. */
export interface LeaseApi {
  read(namespace: string, name: string): Promise<V1Lease>;
  create(namespace: string, body: V1Lease): Promise<V1Lease>;
  replace(namespace: string, name: string, body: V1Lease): Promise<V1Lease>;
  delete(namespace: string, name: string, resourceVersion?: string): Promise<void>;
}

export interface LockHolder {
  holderIdentity: string;
  acquiredAt?: Date;
  renewedAt?: Date;
  leaseDurationSeconds: number;
  /** Seconds until the lease expires (negative when already expired). */
  expiresInSeconds: number;
}

/** The lock is held by someone else and did not come free in time. */
export class DeployLockHeldError extends Error {
  override name = 'DeployLockHeldError';
  constructor(
    readonly holder: LockHolder,
    readonly namespace: string,
  ) {
    const since = holder.acquiredAt ? holder.acquiredAt.toISOString() : 'an unknown time';
    super(
      `deploy lock held by ${holder.holderIdentity} since ${since} ` +
        `(expires in ${Math.max(0, Math.ceil(holder.expiresInSeconds))}s); ` +
        `wait, or use --force-unlock if it is stale`,
    );
  }
}

export interface LeaseLockOptions {
  namespace: string;
  /** Lease name; default `mobius-deploy-lock`. */
  name?: string;
  /** Who we are: `user@host pid 123 record <id>`. */
  holderIdentity: string;
  /** Default 60. The holder renews every third of it. */
  leaseDurationSeconds?: number;
  /** How long to wait for a held lock, in ms (default 0: fail at once). */
  lockTimeoutMs?: number;
  /** Take the lock whoever holds it. */
  forceUnlock?: boolean;
  /** Poll interval while waiting (default 1000 ms). */
  pollIntervalMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Called each time we find the lock held and decide to wait. */
  onWait?: (holder: LockHolder) => void;
  /** Stops waiting (checked before every attempt). */
  signal?: AbortSignal;
}

export interface AcquiredLock {
  namespace: string;
  name: string;
  holderIdentity: string;
  /** Set when we took over an expired or forced lease: who held it before. */
  tookOverFrom?: { holderIdentity: string; expired: boolean; forced: boolean };
  /** Renews now. Resolves false when the lease was lost (someone else holds it). */
  renew(): Promise<boolean>;
  /** Renews every `intervalMs` (default a third of the lease duration) until released. */
  startRenewing(intervalMs?: number, onLost?: (holder: string) => void): void;
  /** Stops renewing and deletes the lease if we still hold it. Safe to call twice. */
  release(): Promise<void>;
  readonly lost: boolean;
  /** The lease as we last wrote it: who holds it and until when (for a message when we cannot release it). */
  state(): LockState;
}

/** What the Lease says, as last written by its holder. */
export interface LockState {
  namespace: string;
  name: string;
  holderIdentity: string;
  renewedAt: Date;
  leaseDurationSeconds: number;
  /** renewedAt + leaseDurationSeconds: after this the next deploy or rollback takes the lock over. */
  expiresAt: Date;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  return undefined;
}

/** Reads who holds a lease and when it expires. */
export function describeLease(lease: V1Lease, now: Date): LockHolder {
  const spec = lease.spec ?? {};
  const acquiredAt = toDate(spec.acquireTime);
  const renewedAt = toDate(spec.renewTime) ?? acquiredAt;
  const leaseDurationSeconds = spec.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  const expiresAt = (renewedAt?.getTime() ?? 0) + leaseDurationSeconds * 1000;
  return {
    holderIdentity: spec.holderIdentity ?? '',
    acquiredAt,
    renewedAt,
    leaseDurationSeconds,
    expiresInSeconds: (expiresAt - now.getTime()) / 1000,
  };
}

/** Takes the deploy lock, waiting or failing as the options say. */
export async function acquireDeployLock(api: LeaseApi, options: LeaseLockOptions): Promise<AcquiredLock> {
  const name = options.name ?? DEPLOY_LOCK_NAME;
  const { namespace, holderIdentity } = options;
  const duration = options.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? pause;
  const timeoutMs = options.lockTimeoutMs ?? 0;
  const poll = options.pollIntervalMs ?? 1000;
  const deadline = now().getTime() + timeoutMs;

  const specFor = (at: Date, transitions: number, acquired?: Date): V1Lease['spec'] => ({
    holderIdentity,
    leaseDurationSeconds: duration,
    acquireTime: new MicroTime(acquired ?? at),
    renewTime: new MicroTime(at),
    leaseTransitions: transitions,
  });

  let lease: V1Lease | undefined;
  let tookOverFrom: AcquiredLock['tookOverFrom'];
  for (;;) {
    if (options.signal?.aborted) throw new Error('interrupted while waiting for the deploy lock');
    let existing: V1Lease | undefined;
    try {
      existing = await api.read(namespace, name);
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
    }
    const at = now();
    if (!existing) {
      try {
        lease = await api.create(namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'mobius-deploy' } },
          spec: specFor(at, 0),
        });
        break;
      } catch (err) {
        if (httpStatusOf(err) === 409) continue; // someone created it first: look again
        throw err;
      }
    }
    const holder = describeLease(existing, at);
    const free = holder.holderIdentity === '' || holder.holderIdentity === holderIdentity;
    const expired = holder.expiresInSeconds <= 0;
    if (free || expired || options.forceUnlock) {
      const previous = existing.spec?.leaseTransitions ?? 0;
      try {
        lease = await api.replace(namespace, name, {
          ...existing,
          metadata: { ...existing.metadata, name, namespace },
          spec: specFor(at, holder.holderIdentity === holderIdentity ? previous : previous + 1),
        });
        if (!free) tookOverFrom = { holderIdentity: holder.holderIdentity, expired, forced: !expired };
        break;
      } catch (err) {
        if (httpStatusOf(err) === 409 || httpStatusOf(err) === 404) continue; // changed under us
        throw err;
      }
    }
    const remaining = deadline - at.getTime();
    if (remaining <= 0) throw new DeployLockHeldError(holder, namespace);
    options.onWait?.(holder);
    await sleep(Math.min(poll, remaining, Math.max(50, holder.expiresInSeconds * 1000)));
  }

  const acquiredAt = toDate(lease.spec?.acquireTime) ?? now();
  let current = lease;
  let lost = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<boolean> | undefined;

  const renewOnce = async (): Promise<boolean> => {
    if (released || lost) return !lost;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        current = await api.replace(namespace, name, {
          ...current,
          spec: { ...current.spec, ...specFor(now(), current.spec?.leaseTransitions ?? 0, acquiredAt) },
        });
        return true;
      } catch (err) {
        const code = httpStatusOf(err);
        if (code !== 409 && code !== 404) throw err;
        let fresh: V1Lease | undefined;
        try {
          fresh = await api.read(namespace, name);
        } catch (readErr) {
          if (httpStatusOf(readErr) !== 404) throw readErr;
        }
        if (!fresh || fresh.spec?.holderIdentity !== holderIdentity) {
          lost = true;
          return false;
        }
        current = fresh;
      }
    }
    return true;
  };

  const handle: AcquiredLock = {
    namespace,
    name,
    holderIdentity,
    tookOverFrom,
    get lost() {
      return lost;
    },
    state() {
      const renewedAt = toDate(current.spec?.renewTime) ?? acquiredAt;
      const leaseDurationSeconds = current.spec?.leaseDurationSeconds ?? duration;
      return {
        namespace,
        name,
        holderIdentity,
        renewedAt,
        leaseDurationSeconds,
        expiresAt: new Date(renewedAt.getTime() + leaseDurationSeconds * 1000),
      };
    },
    renew: () => {
      renewing = renewOnce();
      return renewing;
    },
    startRenewing(intervalMs = (duration * 1000) / 3, onLost) {
      if (timer) return;
      timer = setInterval(() => {
        handle
          .renew()
          .then((ok) => {
            if (!ok) {
              if (timer) clearInterval(timer);
              onLost?.(holderIdentity);
            }
          })
          .catch(() => {
            // a failed renewal is retried on the next tick; the lease lasts three intervals
          });
      }, intervalMs);
      timer.unref();
    },
    async release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      await renewing?.catch(() => undefined);
      if (lost) return;
      try {
        const fresh = await api.read(namespace, name);
        if (fresh.spec?.holderIdentity !== holderIdentity) return;
        await api.delete(namespace, name, fresh.metadata?.resourceVersion);
      } catch (err) {
        const code = httpStatusOf(err);
        if (code !== 404 && code !== 409) throw err;
      }
    },
  };
  return handle;
}

/** The holder identity we write: `user@host pid 123 record <id>`. */
export function lockHolderIdentity(actor: string, recordId?: string, pid: number = process.pid): string {
  return `${actor} pid ${pid}${recordId ? ` record ${recordId}` : ''}`;
}

/** Adapts `@kubernetes/client-node`'s CoordinationV1Api to `LeaseApi`. */
export async function leaseApiFromKubeConfig(kc: KubeConfig): Promise<LeaseApi> {
  const { CoordinationV1Api } = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    read: (namespace, name) => api.readNamespacedLease({ namespace, name }),
    create: (namespace, body) => api.createNamespacedLease({ namespace, body }),
    replace: (namespace, name, body) => api.replaceNamespacedLease({ namespace, name, body }),
    delete: async (namespace, name, resourceVersion) => {
      await api.deleteNamespacedLease({
        namespace,
        name,
        ...(resourceVersion ? { body: { preconditions: { resourceVersion } } } : {}),
      });
    },
  };
}

/** `LeaseApi` over the CLI's fast JSON transport (`KubeClients.requestJson`). */
export function leaseApiFromTransport(transport: JsonTransport): LeaseApi {
  const base = (namespace: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return {
    read: (namespace, name) =>
      transport.requestJson<V1Lease>({ path: `${base(namespace)}/${encodeURIComponent(name)}` }),
    create: (namespace, body) =>
      transport.requestJson<V1Lease>({ method: 'POST', path: base(namespace), body }),
    replace: (namespace, name, body) =>
      transport.requestJson<V1Lease>({
        method: 'PUT',
        path: `${base(namespace)}/${encodeURIComponent(name)}`,
        body,
      }),
    delete: async (namespace, name, resourceVersion) => {
      await transport.requestJson({
        method: 'DELETE',
        path: `${base(namespace)}/${encodeURIComponent(name)}`,
        ...(resourceVersion
          ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } } }
          : {}),
      });
    },
  };
}
