/**
 * `incident show`'s data: the incident's timeline merged with the deploy and rollback records of
 * its window (the ledger) and the namespace's Warning events (the cluster, through
 * kube/resources/core.ts listEvents). Decides, never prints: the markdown is print.ts.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { type IncidentRecord, openDurationMs, timeToRestoreMs } from '../../incidents/record.js';
import { listEvents } from '../../kube/resources/core.js';
import type { KubeReader } from '../../kube/resources/reader.js';
import type { DeploymentRecord } from '../../ledger/record.js';
import { isDeploymentRecord } from '../../ledger/record.js';
import { findIncident, guidanceFor, type IncidentContext, type IncidentGuidance, targetsOf } from './run.js';

export interface ReportTimelineEntry {
  at: string;
  source: 'incident' | 'ledger' | 'event';
  by?: string;
  text: string;
}

/** A Kubernetes event as the report needs it. */
export interface WarningEvent {
  at: string;
  object: string;
  reason: string;
  message: string;
  count: number;
}

export interface IncidentReport {
  incident: IncidentRecord;
  guidance: IncidentGuidance;
  window: { from: string; to: string };
  durationMs: number;
  timeToRestoreMs?: number;
  timeline: ReportTimelineEntry[];
  relatedDeploy?: DeploymentRecord;
  /** Deploy and rollback records in the incident window. */
  changes: DeploymentRecord[];
  events: WarningEvent[];
  /** Why events are missing (no cluster, denied, ...), when they are. */
  eventsNote?: string;
  markdown: string;
}

/** Deploys and rollbacks within this long before the incident opened count as "in the window". */
export const REPORT_LOOKBACK_MS = 2 * 60 * 60 * 1000;

/** The report without its markdown view. */
export type IncidentReportData = Omit<IncidentReport, 'markdown'>;

/** The Warning events for the report, or why there are none. */
export interface ReportEvents {
  events?: WarningEvent[];
  note?: string;
}

/**
 * The report's data (all but its markdown, which print.ts writes). `events` are the namespace's
 * Warning events (readReportEvents reads them when the cluster is reachable; pass undefined with
 * a note otherwise).
 */
export async function collectIncidentReport(
  ctx: IncidentContext,
  id: string,
  events: ReportEvents,
): Promise<IncidentReportData> {
  const incident = await findIncident(ctx, id);
  const now = ctx.now();
  const from = Date.parse(incident.openedAt) - REPORT_LOOKBACK_MS;
  const to = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  const { records } = await ctx.ledger.list({
    kind: ['deploy', 'rollback'],
    // the incident's own scope: a shared --ledger-dir also holds other namespaces' changes
    scope: { namespace: ctx.namespace, environment: ctx.environment },
    since: new Date(from),
    until: new Date(to + 1),
  });
  const changes = records
    .map((s) => s.record)
    .filter(isDeploymentRecord)
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  let relatedDeploy: DeploymentRecord | undefined = changes.find((c) => c.id === incident.relatedDeployId);
  if (!relatedDeploy && incident.relatedDeployId) {
    try {
      const r = (await ctx.ledger.get('deploy', incident.relatedDeployId)).record;
      if (isDeploymentRecord(r)) relatedDeploy = r;
    } catch {
      /* pruned or never existed: the report says so */
    }
  }
  const inWindow = (iso: string) => {
    const t = Date.parse(iso);
    return t >= from && t <= to;
  };
  const timeline: ReportTimelineEntry[] = [];
  for (const t of incident.timeline) timeline.push({ at: t.at, source: 'incident', by: t.by, text: t.text });
  const seen = new Set<string>();
  for (const c of relatedDeploy && !changes.includes(relatedDeploy) ? [relatedDeploy, ...changes] : changes) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    timeline.push({
      at: c.startedAt,
      source: 'ledger',
      by: c.actor,
      text: `${c.kind} ${c.image ?? ''} started (record ${c.id})`.replace('  ', ' '),
    });
    if (c.failureDetectedAt) {
      timeline.push({
        at: c.failureDetectedAt,
        source: 'ledger',
        text: `${c.kind} failure detected: ${c.failureClass ?? 'failed'}${c.failureMessage ? `: ${c.failureMessage}` : ''}`,
      });
    }
    if (c.restoredAt) {
      timeline.push({
        at: c.restoredAt,
        source: 'ledger',
        text: `previous version restored and verified (${c.id})`,
      });
    }
    if (c.finishedAt) {
      timeline.push({
        at: c.finishedAt,
        source: 'ledger',
        text: `${c.kind} finished: ${c.result}${c.rollback?.result ? ` (automatic rollback ${c.rollback.result})` : ''}`,
      });
    }
  }
  const evs = (events.events ?? []).filter((e) => inWindow(e.at));
  for (const e of evs) {
    timeline.push({
      at: e.at,
      source: 'event',
      text: `Warning ${e.reason} on ${e.object}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`,
    });
  }
  timeline.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return {
    incident,
    guidance: guidanceFor(incident, ctx.namespace, now, targetsOf(ctx)),
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    durationMs: openDurationMs(incident, now),
    ...(timeToRestoreMs(incident) !== undefined ? { timeToRestoreMs: timeToRestoreMs(incident) } : {}),
    timeline,
    ...(relatedDeploy ? { relatedDeploy } : {}),
    changes,
    events: evs,
    ...(events.note ? { eventsNote: events.note } : {}),
  };
}

/**
 * The events for `incident show`: none with --no-events (`read` false), else the namespace's
 * Warning events; a cluster that cannot be read gives a note instead (and a -v line).
 */
export async function readReportEvents(
  read: boolean,
  kube: () => Promise<KubeReader>,
  namespace: string,
  debug: (message: string) => void,
): Promise<ReportEvents> {
  if (!read) return { note: 'not read (--no-events)' };
  try {
    const reader = await kube();
    return { events: await readWarningEvents(reader, namespace) };
  } catch (err) {
    debug(`events: ${String(err)}`);
    return {
      note: `the cluster could not be read (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/** When an event last happened. The JSON transport hands the API server's strings through (the
 * client library's types say Date); an event without a readable time is left out. */
function eventTime(e: CoreV1Event): string | undefined {
  const at: unknown = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? at : undefined;
}

/** Reads the namespace's Warning events (core/v1 events). */
export async function readWarningEvents(kube: KubeReader, namespace: string): Promise<WarningEvent[]> {
  const list = await listEvents(kube, namespace, { fieldSelector: 'type=Warning' });
  const out: WarningEvent[] = [];
  for (const e of list?.items ?? []) {
    if (e.type !== 'Warning') continue;
    const at = eventTime(e);
    if (at === undefined) continue;
    out.push({
      at,
      object: `${String(e.involvedObject?.kind ?? 'object').toLowerCase()}/${e.involvedObject?.name ?? '?'}`,
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
    });
  }
  return out;
}
