/**
 * The ledger: records of deploys, rollbacks and incidents over a storage driver.
 *
 * On top of a `LedgerDriver` it adds what callers should not re-implement:
 * - `update(kind, id, mutate)`: read-modify-write that re-reads and re-applies `mutate` when another
 *   writer changed the record in between (409), so no writer's change is lost;
 * - `prune(historyMax)`: retention, keeping the newest records (and never the last verified-good
 *   deploy, which automatic rollback needs, nor a record still in progress);
 * - `lastVerifiedGood(...)`: the newest deploy or rollback whose version rolled out and verified.
 */
import type { JsonTransport } from '../kube/resources/reader.js';
import { sleep } from '../util/sleep.js';
import { ConfigMapLedgerDriver, configMapApiFromTransport } from './configmap-driver.js';
import {
  LedgerConflictError,
  type LedgerDriver,
  type ListResult,
  type RecordFilter,
  type StoredRecord,
} from './driver.js';
import { FileLedgerDriver } from './file-driver.js';
import {
  CHANGE_KINDS,
  type DeploymentRecord,
  isChangeRecord,
  isDeploymentRecord,
  LEDGER_SCHEMA_VERSION,
  type LedgerRecord,
  newRecordId,
  type RecordKind,
} from './record.js';

export const DEFAULT_HISTORY_MAX = 50;
/** Kinds that `--history-max` applies to. Incidents are kept by their own policy. */
export const PRUNED_KINDS: RecordKind[] = ['deploy', 'rollback'];
/** An in_progress record older than this belongs to a process that died; retention may delete it. */
export const STALE_IN_PROGRESS_MS = 6 * 60 * 60 * 1000;

export interface LedgerOptions {
  /** Attempts for a conflicting update before giving up (default 8). */
  maxAttempts?: number;
  /** Called between conflicting attempts; tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

export interface PruneResult {
  deleted: { kind: string; id: string }[];
  kept: number;
}

export type NewDeploymentRecord = Omit<DeploymentRecord, 'schemaVersion' | 'id' | 'phases' | 'result'> &
  Partial<Pick<DeploymentRecord, 'id' | 'phases' | 'result'>>;

/** A deployment record with the defaults filled in (id, schemaVersion, in_progress). */
export function newDeploymentRecord(input: NewDeploymentRecord, now: Date = new Date()): DeploymentRecord {
  return {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    id: input.id ?? newRecordId(now),
    phases: {},
    result: 'in_progress',
    ...input,
  } as DeploymentRecord;
}

/**
 * True when the record describes a version that rolled out and passed verification. A rollback
 * is only ever `succeeded` after its rollout and verification passed (older rollback records carry
 * no `verify` summary).
 */
export function isVerifiedGood(record: LedgerRecord): boolean {
  if (!isDeploymentRecord(record) || !record.image) return false;
  if (record.result !== 'succeeded') return false;
  if (record.verify) return record.verify.passed;
  return record.kind === 'rollback';
}

export class Ledger {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly driver: LedgerDriver,
    options: LedgerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.sleep = options.sleep ?? sleep;
  }

  create(record: LedgerRecord): Promise<StoredRecord> {
    return this.driver.create(record);
  }

  get(kind: RecordKind, id: string): Promise<StoredRecord> {
    return this.driver.get(kind, id);
  }

  list(filter?: RecordFilter): Promise<ListResult> {
    return this.driver.list(filter);
  }

  /**
   * Changes a record without losing concurrent writes: reads it, applies `mutate` to a copy, and
   * writes with the version read. On a conflict it re-reads the newer record and applies `mutate`
   * again (so `mutate` must be a function of the record it is given, not of a stale copy).
   */
  async update<R extends LedgerRecord = LedgerRecord>(
    kind: RecordKind,
    id: string,
    mutate: (record: R) => R | undefined,
  ): Promise<StoredRecord> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const current = await this.driver.get(kind, id);
      const copy = structuredClone(current.record) as R;
      const next = mutate(copy) ?? copy;
      try {
        return await this.driver.update(next, current.version);
      } catch (err) {
        if (!(err instanceof LedgerConflictError)) throw err;
        lastError = err;
        await this.sleep(Math.min(200, 10 * 2 ** attempt) * Math.random());
      }
    }
    throw lastError;
  }

  /**
   * Keeps the newest `historyMax` records of the pruned kinds (deploy and rollback) in the filter's
   * scope and deletes the rest, oldest first. Records in progress (for less than 6 hours) and the
   * newest verified-good record are always kept, so automatic rollback keeps its target.
   */
  async prune(
    historyMax: number,
    scope: Omit<RecordFilter, 'kind'> = {},
    now: number = Date.now(),
  ): Promise<PruneResult> {
    if (!Number.isInteger(historyMax) || historyMax < 1) {
      throw new RangeError(`--history-max must be a whole number of at least 1 (got ${historyMax})`);
    }
    const { records } = await this.driver.list({ ...scope, kind: PRUNED_KINDS });
    const keep = new Set<string>(records.slice(0, historyMax).map((s) => s.record.id));
    const lastGood = records.find((s) => isVerifiedGood(s.record));
    if (lastGood) keep.add(lastGood.record.id);
    const deleted: PruneResult['deleted'] = [];
    for (const stored of records.slice().reverse()) {
      const { record } = stored;
      if (keep.has(record.id)) continue;
      // A deploy still running is kept; one "in progress" for hours was killed and is fair game.
      const started = Date.parse(record.startedAt);
      if ((record as { result?: string }).result === 'in_progress' && now - started < STALE_IN_PROGRESS_MS)
        continue;
      if (records.length - deleted.length <= historyMax) break;
      await this.driver.delete(record.kind, record.id);
      deleted.push({ kind: record.kind, id: record.id });
    }
    return { deleted, kept: records.length - deleted.length };
  }

  /**
   * The newest deploy or rollback record in scope that rolled out and verified good, optionally
   * excluding one record (the deploy in progress) and an image (the one that just failed).
   */
  async lastVerifiedGood(
    scope: Omit<RecordFilter, 'kind'> & {
      deployment?: string;
      excludeId?: string;
      excludeImage?: string;
    } = {},
  ): Promise<DeploymentRecord | undefined> {
    const { deployment, excludeId, excludeImage, ...filter } = scope;
    const { records } = await this.driver.list({ ...filter, kind: PRUNED_KINDS });
    for (const { record } of records) {
      if (!isVerifiedGood(record) || !isDeploymentRecord(record)) continue;
      if (excludeId && record.id === excludeId) continue;
      if (deployment && record.deployment !== deployment) continue;
      if (excludeImage && record.image === excludeImage) continue;
      return record;
    }
    return undefined;
  }
}

/**
 * The deploy, rollback and drill records of one Deployment in scope, newest first: what the
 * ledger knows about each of its revisions (release/revision-verdicts.ts judges them).
 */
export async function changeRecords(
  ledger: Pick<Ledger, 'list'>,
  scope: Omit<RecordFilter, 'kind'> & { deployment?: string },
): Promise<DeploymentRecord[]> {
  const { deployment, ...filter } = scope;
  const { records } = await ledger.list({ ...filter, kind: CHANGE_KINDS });
  return records
    .map((s) => s.record)
    .filter(isChangeRecord)
    .filter((r) => deployment === undefined || r.deployment === deployment);
}

/**
 * The ledger a command should use: files under `ledgerDir` when given (--ledger-dir, local use),
 * else ConfigMaps in `namespace` through the CLI's JSON transport (`await ctx.kube()`).
 *
 *   const ledger = openLedger({ namespace: ctx.globals.namespace, transport: await ctx.kube() });
 */
export function openLedger(options: {
  namespace: string;
  transport?: JsonTransport;
  ledgerDir?: string;
  ledgerOptions?: LedgerOptions;
}): Ledger {
  if (options.ledgerDir) return new Ledger(new FileLedgerDriver(options.ledgerDir), options.ledgerOptions);
  if (!options.transport) throw new Error('openLedger needs a transport (the kube clients) or a ledgerDir');
  return new Ledger(
    new ConfigMapLedgerDriver(configMapApiFromTransport(options.transport), options.namespace),
    options.ledgerOptions,
  );
}
