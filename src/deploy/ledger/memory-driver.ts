/**
 * An in-memory ledger driver (Helm has one too): for unit tests and for generated fixtures in the
 * reports. Same conflict semantics as the other drivers.
 */
import {
  LedgerAlreadyExistsError,
  LedgerConflictError,
  type LedgerDriver,
  LedgerInvalidRecordError,
  LedgerNotFoundError,
  type ListResult,
  matchesFilter,
  type RecordFilter,
  type StoredRecord,
} from './driver.js';
import { type LedgerRecord, newestFirst, parseRecordJson, type RecordKind } from './record.js';

export class MemoryLedgerDriver implements LedgerDriver {
  readonly name = 'memory';
  private readonly entries = new Map<string, { json: string; version: number }>();
  private counter = 0;

  private key(kind: string, id: string): string {
    return `${kind}/${id}`;
  }

  async create(record: LedgerRecord): Promise<StoredRecord> {
    const key = this.key(record.kind, record.id);
    if (this.entries.has(key)) throw new LedgerAlreadyExistsError(record.kind, record.id);
    const version = ++this.counter;
    this.entries.set(key, { json: JSON.stringify(record), version });
    return { record: structuredClone(record), version: String(version) };
  }

  async update(record: LedgerRecord, version: string): Promise<StoredRecord> {
    const key = this.key(record.kind, record.id);
    const existing = this.entries.get(key);
    if (!existing) throw new LedgerNotFoundError(record.kind, record.id);
    if (String(existing.version) !== version) throw new LedgerConflictError(record.kind, record.id);
    const next = ++this.counter;
    this.entries.set(key, { json: JSON.stringify(record), version: next });
    return { record: structuredClone(record), version: String(next) };
  }

  async get(kind: RecordKind, id: string): Promise<StoredRecord> {
    const entry = this.entries.get(this.key(kind, id));
    if (!entry) throw new LedgerNotFoundError(kind, id);
    const parsed = parseRecordJson(entry.json);
    if (!parsed.ok) throw new LedgerInvalidRecordError(`${kind}/${id}`, parsed.error);
    return { record: parsed.record, version: String(entry.version) };
  }

  async list(filter: RecordFilter = {}): Promise<ListResult> {
    const records: StoredRecord[] = [];
    const problems: ListResult['problems'] = [];
    for (const [key, entry] of this.entries) {
      const parsed = parseRecordJson(entry.json);
      if (!parsed.ok) {
        problems.push({ location: key, message: parsed.error });
        continue;
      }
      if (matchesFilter(parsed.record, filter))
        records.push({ record: parsed.record, version: String(entry.version) });
    }
    records.sort((a, b) => newestFirst(a.record, b.record));
    return { records, problems };
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    this.entries.delete(this.key(kind, id));
  }

  /** Test hook: stores raw text under a key, as a corrupted entry would be. */
  putRaw(kind: string, id: string, json: string): void {
    this.entries.set(this.key(kind, id), { json, version: ++this.counter });
  }
}
