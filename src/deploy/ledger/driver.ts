/**
 * The storage driver contract for ledger records, after Helm's `pkg/storage/driver`: a driver only
 * stores, versions and lists records; the `Ledger` on top of it adds retries, merges and retention.
 *
 * Every stored record carries an opaque `version` (the ConfigMap's resourceVersion, or a counter for
 * the file and memory drivers). `update` must be given the version that was read; when the stored
 * record changed in between, the driver throws `LedgerConflictError` and the caller re-reads.
 */
import type { LedgerRecord, RecordKind } from './record.js';

/** A record as stored, with its storage version. */
export interface StoredRecord<R extends LedgerRecord = LedgerRecord> {
  record: R;
  /** Opaque storage version (resourceVersion); pass it back to `update`. */
  version: string;
}

/** A stored entry that could not be read as a record. Reported, never fatal. */
export interface LedgerProblem {
  /** Where it is stored (ConfigMap name or file path). */
  location: string;
  message: string;
}

/** Filters for `list`. Every filter is optional; all given filters must match. */
export interface RecordFilter {
  kind?: RecordKind | RecordKind[];
  environment?: string;
  namespace?: string;
  result?: string | string[];
  /** Records started at or after this time. */
  since?: Date;
  /** Records started before this time. */
  until?: Date;
  /** Only the records of this scope (inRecordScope): its namespace and, with one, its environment or none. */
  scope?: RecordScope;
}

export interface ListResult<R extends LedgerRecord = LedgerRecord> {
  /** Newest first. */
  records: StoredRecord<R>[];
  /** Entries that were skipped because they are not valid records. */
  problems: LedgerProblem[];
}

export interface LedgerDriver {
  /** A short name for messages: `configmap`, `file`, `memory`. */
  readonly name: string;
  /** Stores a new record. Throws `LedgerAlreadyExistsError` when the id is taken. */
  create(record: LedgerRecord): Promise<StoredRecord>;
  /** Replaces a record if its stored version still equals `version`, else `LedgerConflictError`. */
  update(record: LedgerRecord, version: string): Promise<StoredRecord>;
  /** Reads one record. Throws `LedgerNotFoundError` or `LedgerInvalidRecordError`. */
  get(kind: RecordKind, id: string): Promise<StoredRecord>;
  /** Lists records matching the filter, newest first; invalid entries go to `problems`. */
  list(filter?: RecordFilter): Promise<ListResult>;
  /** Deletes a record; deleting a missing record is not an error. */
  delete(kind: RecordKind, id: string): Promise<void>;
}

export class LedgerError extends Error {
  override name = 'LedgerError';
}

export class LedgerConflictError extends LedgerError {
  override name = 'LedgerConflictError';
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`ledger record ${kind}/${id} was changed by someone else (version conflict)`);
  }
}

export class LedgerAlreadyExistsError extends LedgerError {
  override name = 'LedgerAlreadyExistsError';
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`ledger record ${kind}/${id} already exists`);
  }
}

export class LedgerNotFoundError extends LedgerError {
  override name = 'LedgerNotFoundError';
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`ledger record ${kind}/${id} not found`);
  }
}

export class LedgerInvalidRecordError extends LedgerError {
  override name = 'LedgerInvalidRecordError';
  constructor(
    readonly location: string,
    readonly reason: string,
  ) {
    super(`ledger entry ${location} is not a valid record: ${reason}`);
  }
}

/** What one command reads: a namespace and, with -e, an environment. */
export interface RecordScope {
  namespace: string;
  /** With an environment, records of that environment or of none (written with -n, or before -e). */
  environment?: string | null;
}

/**
 * True when the record belongs to the scope: its namespace, and with an environment, that
 * environment or none. A shared --ledger-dir holds the records of every namespace; `report` and the
 * incident commands read only their scope's.
 */
export function inRecordScope(
  record: { namespace: string; environment?: string | null },
  scope: RecordScope,
): boolean {
  return (
    record.namespace === scope.namespace &&
    (scope.environment == null || record.environment == null || record.environment === scope.environment)
  );
}

/** True when the record matches every given filter. */
export function matchesFilter(record: LedgerRecord, filter: RecordFilter = {}): boolean {
  if (filter.kind !== undefined) {
    const kinds = Array.isArray(filter.kind) ? filter.kind : [filter.kind];
    if (!kinds.includes(record.kind)) return false;
  }
  if (filter.environment !== undefined && record.environment !== filter.environment) return false;
  if (filter.namespace !== undefined && record.namespace !== filter.namespace) return false;
  if (filter.scope !== undefined && !inRecordScope(record, filter.scope)) return false;
  if (filter.result !== undefined) {
    const results = Array.isArray(filter.result) ? filter.result : [filter.result];
    const r = (record as { result?: unknown }).result;
    if (typeof r !== 'string' || !results.includes(r)) return false;
  }
  const started = Date.parse(record.startedAt);
  if (filter.since && started < filter.since.getTime()) return false;
  if (filter.until && started >= filter.until.getTime()) return false;
  return true;
}
