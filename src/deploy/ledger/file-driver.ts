/**
 * A ledger driver that keeps one JSON file per record in a directory, for `--url`/local use and
 * for tests. Files are written to a temporary name and renamed into place, so a reader never sees a
 * half-written record. Updates are compare-and-swap on a version counter kept in the file, guarded
 * by a short-lived lock file, so two processes updating the same record never lose a write.
 *
 * File name: `<kind>.<id>.json`; content: `{ "version": N, "record": { ... } }`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../util/sleep.js';
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
import { type LedgerRecord, newestFirst, parseRecord, type RecordKind } from './record.js';

const NAME_PART = /^[a-z0-9][a-z0-9._-]{0,200}$/;
const LOCK_STALE_MS = 10_000;

export class FileLedgerDriver implements LedgerDriver {
  readonly name = 'file';

  constructor(readonly directory: string) {}

  private fileFor(kind: string, id: string): string {
    // Ids and kinds name files: only a safe character set, never a path.
    if (!NAME_PART.test(kind) || !NAME_PART.test(id) || id.includes('..') || kind.includes('..')) {
      throw new LedgerInvalidRecordError(
        `${kind}/${id}`,
        'kind and id may contain only a-z, 0-9, ".", "_", "-"',
      );
    }
    return join(this.directory, `${kind}.${id}.json`);
  }

  private async writeAtomic(path: string, version: number, record: LedgerRecord): Promise<void> {
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ version, record }, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, path);
  }

  private async readEntry(path: string, location: string): Promise<{ version: number; value: unknown }> {
    const text = await readFile(path, 'utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new LedgerInvalidRecordError(location, `not valid JSON (${(err as Error).message})`);
    }
    const envelope = parsed as { version?: unknown; record?: unknown };
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.version !== 'number') {
      throw new LedgerInvalidRecordError(location, 'missing version envelope');
    }
    return { version: envelope.version, value: envelope.record };
  }

  /** Runs fn while holding `<file>.lock` (created exclusively; a lock older than 10 s is stale). */
  private async withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const lockPath = `${path}.lock`;
    const deadline = Date.now() + LOCK_STALE_MS * 2;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx');
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const info = await stat(lockPath).catch(() => null);
        if (info && Date.now() - info.mtimeMs > LOCK_STALE_MS) await rm(lockPath, { force: true });
        if (Date.now() > deadline)
          throw new Error(`could not lock ${lockPath}; remove it if no mobius-deploy runs`);
        await sleep(5 + Math.random() * 20);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lockPath, { force: true });
    }
  }

  async create(record: LedgerRecord): Promise<StoredRecord> {
    await mkdir(this.directory, { recursive: true });
    const path = this.fileFor(record.kind, record.id);
    return this.withLock(path, async () => {
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      if (exists) throw new LedgerAlreadyExistsError(record.kind, record.id);
      await this.writeAtomic(path, 1, record);
      return { record: structuredClone(record), version: '1' };
    });
  }

  async update(record: LedgerRecord, version: string): Promise<StoredRecord> {
    const path = this.fileFor(record.kind, record.id);
    return this.withLock(path, async () => {
      let current: { version: number };
      try {
        current = await this.readEntry(path, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw new LedgerNotFoundError(record.kind, record.id);
        throw err;
      }
      if (String(current.version) !== version) throw new LedgerConflictError(record.kind, record.id);
      const next = current.version + 1;
      await this.writeAtomic(path, next, record);
      return { record: structuredClone(record), version: String(next) };
    });
  }

  async get(kind: RecordKind, id: string): Promise<StoredRecord> {
    const path = this.fileFor(kind, id);
    let entry: { version: number; value: unknown };
    try {
      entry = await this.readEntry(path, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LedgerNotFoundError(kind, id);
      throw err;
    }
    const parsed = parseRecord(entry.value);
    if (!parsed.ok) throw new LedgerInvalidRecordError(path, parsed.error);
    return { record: parsed.record, version: String(entry.version) };
  }

  async list(filter: RecordFilter = {}): Promise<ListResult> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], problems: [] };
      throw err;
    }
    const records: StoredRecord[] = [];
    const problems: ListResult['problems'] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const path = join(this.directory, name);
      try {
        const entry = await this.readEntry(path, path);
        const parsed = parseRecord(entry.value);
        if (!parsed.ok) {
          problems.push({ location: path, message: parsed.error });
          continue;
        }
        if (matchesFilter(parsed.record, filter)) {
          records.push({ record: parsed.record, version: String(entry.version) });
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted while listing
        problems.push({
          location: path,
          message: err instanceof LedgerInvalidRecordError ? err.reason : (err as Error).message,
        });
      }
    }
    records.sort((a, b) => newestFirst(a.record, b.record));
    return { records, problems };
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    await rm(this.fileFor(kind, id), { force: true });
  }
}
