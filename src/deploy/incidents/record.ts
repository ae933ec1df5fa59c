/**
 * Incident records: the playbook's incidents, stored in the deployment ledger as kind `incident`
 * (one ConfigMap `mobius-ledger.incident.<id>` in the namespace, or one file with --ledger-dir).
 *
 * API for other toolkits (reports: time to restore, change failure rate):
 *
 *   import { listIncidents, timeToRestoreMs } from '../incidents/record.js';
 *   const incidents = await listIncidents(ledger, { since, until });   // opened in [since, until)
 *   for (const i of incidents) if (i.status === 'resolved') timeToRestoreMs(i);  // resolvedAt - openedAt
 *
 * Importing this module registers the incident schema with the ledger, so `ledger.list()` and
 * `ledger.get('incident', id)` validate incidents in full (a malformed one goes to `problems`).
 *
 * Field semantics:
 * - `openedAt` (= the base record's `startedAt`): when the incident was declared. Time to restore
 *   starts here; for an incident opened by a failed deploy it is the failure detection time.
 * - `resolvedAt`: when `incident resolve` ran (service restored). Set only when `status` is
 *   `resolved`.
 * - `updatedAt`: the last change of any kind.
 * - `relatedDeployId`: the ledger id of the deploy (kind `deploy`) that caused or accompanied it.
 * - `timeline`: notes in the order they were added: `{ at, by, text }`; the first note is the
 *   opening summary, the last of a resolved incident is the resolution.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { LedgerDriver, LedgerProblem, RecordScope } from '../ledger/driver.js';
import type { Ledger } from '../ledger/ledger.js';
import { BaseRecordSchema, LEDGER_SCHEMA_VERSION, registerRecordSchema } from '../ledger/record.js';

export const INCIDENT_KIND = 'incident';

/** The playbook's levels. */
export const INCIDENT_LEVELS = [1, 2, 3] as const;
export type IncidentLevel = (typeof INCIDENT_LEVELS)[number];

export const INCIDENT_STATUSES = ['open', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an ISO-8601 time' });

export const TimelineEntrySchema = z.looseObject({
  at: isoDate,
  /** Who wrote the note (the actor: --actor, CI actor, or user@host). */
  by: z.string().min(1),
  text: z.string(),
  /** Optional machine tag: `opened`, `note`, `level`, `resolved`, `auto`. */
  type: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const IncidentRecordSchema = BaseRecordSchema.extend({
  kind: z.literal(INCIDENT_KIND),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  summary: z.string().min(1),
  status: z.enum(INCIDENT_STATUSES),
  openedAt: isoDate,
  updatedAt: isoDate,
  resolvedAt: isoDate.optional(),
  cause: z.string().optional(),
  relatedDeployId: z.string().optional(),
  timeline: z.array(TimelineEntrySchema).default([]),
  impact: z.string().optional(),
  actions: z.array(z.string()).optional(),
  openedBy: z.string().min(1),
  /** True when the toolkit opened it by itself (a production deploy that could not be restored). */
  automatic: z.boolean().optional(),
});
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

registerRecordSchema(INCIDENT_KIND, IncidentRecordSchema);

/** What each level means (the maintenance playbook). */
export const LEVEL_MEANINGS: Record<IncidentLevel, { name: string; meaning: string; response: string }> = {
  1: {
    name: 'minor',
    meaning: 'Minor: degraded but serving; a workaround exists.',
    response: 'Escalate to level 2 if it is still unresolved after 30 minutes.',
  },
  2: {
    name: 'major',
    meaning: 'Major: a significant part of the service is failing for users.',
    response: 'Roll back to the last verified-good version, then investigate.',
  },
  3: {
    name: 'critical',
    meaning: 'Critical: outage, security breach or data loss.',
    response: 'Escalate at once: page the on-call lead, open an incident channel, preserve evidence.',
  },
};

/** A level-1 incident open longer than this must be escalated. */
export const LEVEL1_ESCALATE_AFTER_MS = 30 * 60 * 1000;

export function isIncidentLevel(n: unknown): n is IncidentLevel {
  return n === 1 || n === 2 || n === 3;
}

/**
 * A new incident id: `inc-YYYYMMDD-HHMMSS-xxxx` (UTC; 4 random base-36 characters). Short enough
 * to type, sortable by time, valid in a ConfigMap name and a label value.
 */
export function newIncidentId(now: Date = new Date(), random: () => string = randomSuffix): string {
  const iso = now.toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  return `inc-${date}-${time}-${random()}`;
}

function randomSuffix(): string {
  return randomBytes(4).readUInt32BE(0).toString(36).padStart(4, '0').slice(-4);
}

export interface NewIncidentInput {
  level: IncidentLevel;
  summary: string;
  openedBy: string;
  namespace: string;
  environment?: string | null;
  relatedDeployId?: string;
  impact?: string;
  automatic?: boolean;
  id?: string;
}

/** A new open incident with its first timeline entry. */
export function newIncidentRecord(input: NewIncidentInput, now: Date = new Date()): IncidentRecord {
  const at = now.toISOString();
  const record: IncidentRecord = {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    id: input.id ?? newIncidentId(now),
    kind: INCIDENT_KIND,
    namespace: input.namespace,
    environment: input.environment ?? null,
    startedAt: at,
    level: input.level,
    summary: input.summary,
    status: 'open',
    openedAt: at,
    updatedAt: at,
    timeline: [
      {
        at,
        by: input.openedBy,
        text: `Opened at level ${input.level} (${LEVEL_MEANINGS[input.level].name}): ${input.summary}`,
        type: input.automatic ? 'auto' : 'opened',
      },
    ],
    openedBy: input.openedBy,
  };
  if (input.relatedDeployId) record.relatedDeployId = input.relatedDeployId;
  if (input.impact) record.impact = input.impact;
  if (input.automatic) record.automatic = true;
  return record;
}

/** Anything `listIncidents` can read from: a Ledger or a bare driver. */
export type IncidentSource = Pick<Ledger, 'list'> | Pick<LedgerDriver, 'list'>;

export interface ListIncidentsOptions {
  /** Incidents opened at or after this time. */
  since?: Date;
  /** Incidents opened before this time. */
  until?: Date;
  /** Only open incidents. */
  openOnly?: boolean;
  /** Only this namespace's incidents (a shared --ledger-dir holds every namespace's). */
  namespace?: string;
  environment?: string;
  /** Only this scope's incidents: a namespace and, with -e, that environment or none (inRecordScope). */
  scope?: RecordScope;
  /** Receives the entries that could not be read as incidents (they are skipped). */
  onProblem?: (problem: LedgerProblem) => void;
}

/** Incidents opened in [since, until), newest first. */
export async function listIncidents(
  source: IncidentSource,
  options: ListIncidentsOptions = {},
): Promise<IncidentRecord[]> {
  const { records, problems } = await source.list({
    kind: INCIDENT_KIND,
    since: options.since,
    until: options.until,
    namespace: options.namespace,
    environment: options.environment,
    scope: options.scope,
  });
  for (const p of problems) options.onProblem?.(p);
  const out: IncidentRecord[] = [];
  for (const { record } of records) {
    const parsed = IncidentRecordSchema.safeParse(record);
    if (!parsed.success) {
      options.onProblem?.({ location: `incident/${record.id}`, message: parsed.error.message });
      continue;
    }
    if (options.openOnly && parsed.data.status !== 'open') continue;
    out.push(parsed.data);
  }
  return out;
}

/** Time to restore: resolvedAt − openedAt in ms, or undefined while open. */
export function timeToRestoreMs(incident: IncidentRecord): number | undefined {
  if (incident.status !== 'resolved' || !incident.resolvedAt) return undefined;
  return Math.max(0, Date.parse(incident.resolvedAt) - Date.parse(incident.openedAt));
}

/** How long the incident has been (or was) open, at `now`. */
export function openDurationMs(incident: IncidentRecord, now: number): number {
  const end = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  return Math.max(0, end - Date.parse(incident.openedAt));
}

/** True for an open level-1 incident unresolved for more than 30 minutes (the playbook: escalate). */
export function needsEscalation(incident: IncidentRecord, now: number): boolean {
  return (
    incident.status === 'open' &&
    incident.level === 1 &&
    now - Date.parse(incident.openedAt) > LEVEL1_ESCALATE_AFTER_MS
  );
}
