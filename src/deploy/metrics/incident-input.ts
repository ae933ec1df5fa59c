/**
 * Turns stored incident records (kind `incident` in the ledger) into the analysis's
 * `IncidentInput`. The analysis needs only id, level, openedAt, resolvedAt, cause and the related
 * deploy, so it does not depend on how the incidents module stores the rest. Field names are read
 * tolerantly (openedAt, else startedAt; relatedDeployId, else deployId / related.deployId).
 */
import { isIncidentLevel } from '../incidents/record.js';
import type { LedgerRecord } from '../ledger/record.js';
import type { IncidentInput } from './dora.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function incidentInputFromRecord(record: LedgerRecord): IncidentInput | undefined {
  if (record.kind !== 'incident') return undefined;
  const r = record as Record<string, unknown>;
  const related = (r.related ?? {}) as Record<string, unknown>;
  const openedAt = str(r.openedAt) ?? str(r.startedAt);
  if (!openedAt || Number.isNaN(Date.parse(openedAt))) return undefined;
  const levelNum = Number(r.level);
  const level = isIncidentLevel(levelNum) ? levelNum : 2;
  const resolvedAt = str(r.resolvedAt);
  const relatedDeployId =
    str(r.relatedDeployId) ?? str(r.deployId) ?? str(related.deployId) ?? str(r.relatedRecordId);
  const cause = str(r.cause) ?? str(r.rootCause);
  return {
    id: record.id,
    level,
    openedAt,
    ...(resolvedAt && !Number.isNaN(Date.parse(resolvedAt)) ? { resolvedAt } : {}),
    ...(cause ? { cause } : {}),
    ...(relatedDeployId ? { relatedDeployId } : {}),
    namespace: record.namespace,
    environment: record.environment ?? null,
    ...(str(r.summary) ? { summary: str(r.summary) } : {}),
  };
}
