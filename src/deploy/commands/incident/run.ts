/**
 * Incidents: open, update, resolve, list and show (the post-incident report draft). The records live
 * in the deployment ledger (incidents/record.ts); this module decides, never prints.
 *
 * Levels (the maintenance playbook): 1 minor (escalate after 30 minutes unresolved), 2 major
 * (rollback suggested), 3 critical (outage, breach or data loss: escalate at once).
 */
import { UsageError } from '../../errors.js';
import {
  INCIDENT_KIND,
  type IncidentLevel,
  type IncidentRecord,
  IncidentRecordSchema,
  isIncidentLevel,
  LEVEL_MEANINGS,
  LEVEL1_ESCALATE_AFTER_MS,
  listIncidents,
  needsEscalation,
  newIncidentRecord,
  openDurationMs,
  timeToRestoreMs,
} from '../../incidents/record.js';
import { type Ledger, LedgerNotFoundError } from '../../ledger/index.js';
import type { DeploymentRecord } from '../../ledger/record.js';
import { isDeploymentRecord } from '../../ledger/record.js';
import { humanDuration } from '../../output/duration.js';

/** The incident id was not found (exit 2: the argument is wrong). */
export class IncidentNotFoundError extends UsageError {
  constructor(id: string, namespace: string, where: string) {
    super(`No incident with id "${id}" in ${where} (namespace ${namespace}).`, {
      hint: 'List the incidents with `mobius-deploy incident list` (same -n/--ledger-dir) and pass one of their ids.',
    });
  }
}

/** Resolving an incident that is already resolved (exit 2). */
export class IncidentAlreadyResolvedError extends UsageError {
  constructor(incident: IncidentRecord) {
    super(
      `Incident ${incident.id} is already resolved (at ${incident.resolvedAt ?? '?'}, cause: ${incident.cause ?? 'not given'}).`,
      { hint: `To add information, use: mobius-deploy incident update ${incident.id} --note "..."` },
    );
  }
}

/** Parses --level: 1, 2 or 3 (also minor, major, critical). */
export function parseIncidentLevel(value: string): IncidentLevel {
  const t = value.trim().toLowerCase();
  const byName: Record<string, IncidentLevel> = { minor: 1, major: 2, critical: 3 };
  const n = byName[t] ?? (/^\d+$/.test(t) ? Number(t) : Number.NaN);
  if (!isIncidentLevel(n)) {
    throw new UsageError(`--level must be 1, 2 or 3 (1 minor, 2 major, 3 critical); got "${value}".`, {
      hint: 'Level 1: minor, escalate after 30 minutes; 2: major, roll back; 3: critical: outage, breach or data loss.',
    });
  }
  return n;
}

/** What the playbook says to do now, per level. */
export interface IncidentGuidance {
  level: IncidentLevel;
  name: string;
  meaning: string;
  response: string;
  /** Level 1: when it must be escalated if still open (ISO). */
  escalateAt?: string;
  /** Level 1 open over 30 minutes. */
  escalate?: boolean;
  /** Level 2: the rollback command to run. */
  rollbackCommand?: string;
  /** Level 3: escalation steps. */
  escalationSteps?: string[];
}

export const LEVEL3_STEPS = [
  'Page the on-call lead and the service owner now; do not wait for the 30-minute rule.',
  'Open an incident channel and name one incident commander; post updates there every 30 minutes.',
  'Stop the damage: roll back, scale to zero or cut the route, whichever ends the outage, breach or data loss soonest.',
  'Preserve evidence: do not delete pods, logs, Secrets or volumes; copy logs (mobius-deploy logs --previous) and events first.',
  'For a suspected breach: rotate the exposed credentials (mobius-deploy registry-secret rotate, the API token and Redis Secrets) and inform security.',
  'For data loss: stop writers, check the DATA_DIR volume and Redis persistence (mobius-deploy doctor), and restore from backup.',
];

export function guidanceFor(
  incident: Pick<IncidentRecord, 'level' | 'openedAt' | 'status'> & { id?: string },
  namespace: string,
  now: number,
): IncidentGuidance {
  const meaning = LEVEL_MEANINGS[incident.level];
  const g: IncidentGuidance = { level: incident.level, ...meaning };
  if (incident.level === 1) {
    g.escalateAt = new Date(Date.parse(incident.openedAt) + LEVEL1_ESCALATE_AFTER_MS).toISOString();
    g.escalate = needsEscalation(incident as IncidentRecord, now);
  } else if (incident.level === 2) {
    g.rollbackCommand =
      `mobius-deploy rollback -n ${namespace} --reason "incident ${incident.id ?? ''}"`.replace(' ""', '');
  } else {
    g.escalationSteps = LEVEL3_STEPS;
  }
  return g;
}

export interface IncidentContext {
  ledger: Ledger;
  namespace: string;
  environment?: string | null;
  actor: string;
  now: () => number;
  /** Where the ledger is, for messages: "the ledger ConfigMaps" or "--ledger-dir DIR". */
  where?: string;
}

/** Finds an incident by exact id, else by a unique prefix or suffix of an id. */
export async function findIncident(ctx: IncidentContext, id: string): Promise<IncidentRecord> {
  const where = ctx.where ?? 'the ledger';
  try {
    const stored = await ctx.ledger.get(INCIDENT_KIND, id);
    return IncidentRecordSchema.parse(stored.record);
  } catch (err) {
    if (!(err instanceof LedgerNotFoundError)) throw err;
  }
  const all = await listIncidents(ctx.ledger);
  const matches = id.length >= 4 ? all.filter((i) => i.id.startsWith(id) || i.id.endsWith(id)) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new UsageError(
      `Incident id "${id}" is ambiguous: it matches ${matches.map((m) => m.id).join(', ')}.`,
      { hint: 'Pass the full id.' },
    );
  }
  throw new IncidentNotFoundError(id, ctx.namespace, where);
}

export interface OpenIncidentInput {
  level: IncidentLevel;
  summary: string;
  deployId?: string;
  impact?: string;
  automatic?: boolean;
}

export interface IncidentOutcome {
  incident: IncidentRecord;
  guidance: IncidentGuidance;
  /** What changed, one sentence. */
  message: string;
}

export async function openIncident(ctx: IncidentContext, input: OpenIncidentInput): Promise<IncidentOutcome> {
  const summary = input.summary.trim();
  if (!summary) throw new UsageError('--summary must say what is wrong (it is empty).');
  if (input.deployId) {
    try {
      await ctx.ledger.get('deploy', input.deployId);
    } catch (err) {
      if (err instanceof LedgerNotFoundError) {
        throw new UsageError(`--deploy ${input.deployId}: no deploy record with that id in the ledger.`, {
          hint: '`mobius-deploy history -o json` lists the deploy record ids.',
        });
      }
      throw err;
    }
  }
  const now = new Date(ctx.now());
  const record = newIncidentRecord(
    {
      level: input.level,
      summary,
      openedBy: ctx.actor,
      namespace: ctx.namespace,
      environment: ctx.environment ?? null,
      relatedDeployId: input.deployId,
      impact: input.impact?.trim() || undefined,
      automatic: input.automatic,
    },
    now,
  );
  await ctx.ledger.create(record);
  return {
    incident: record,
    guidance: guidanceFor(record, ctx.namespace, now.getTime()),
    message: `opened incident ${record.id} at level ${record.level} (${LEVEL_MEANINGS[record.level].name})`,
  };
}

export interface UpdateIncidentInput {
  note?: string;
  level?: IncidentLevel;
  impact?: string;
  action?: string[];
}

export async function updateIncident(
  ctx: IncidentContext,
  id: string,
  input: UpdateIncidentInput,
): Promise<IncidentOutcome> {
  const note = input.note?.trim();
  if (!note && input.level === undefined && !input.impact && !input.action?.length) {
    throw new UsageError('Nothing to update: give --note, --level, --impact or --action.');
  }
  const found = await findIncident(ctx, id);
  const at = new Date(ctx.now()).toISOString();
  let levelChanged: { from: number; to: number } | undefined;
  const stored = await ctx.ledger.update<IncidentRecord>(INCIDENT_KIND, found.id, (current) => {
    const next = { ...current, timeline: [...current.timeline], updatedAt: at };
    levelChanged = undefined;
    if (input.level !== undefined && input.level !== current.level) {
      levelChanged = { from: current.level, to: input.level };
      next.timeline.push({
        at,
        by: ctx.actor,
        text: `Level changed from ${current.level} (${LEVEL_MEANINGS[current.level].name}) to ${input.level} (${LEVEL_MEANINGS[input.level].name})`,
        type: 'level',
      });
      next.level = input.level;
    }
    if (input.impact) next.impact = input.impact.trim();
    if (input.action?.length) next.actions = [...(current.actions ?? []), ...input.action];
    if (note) next.timeline.push({ at, by: ctx.actor, text: note, type: 'note' });
    return next;
  });
  const incident = IncidentRecordSchema.parse(stored.record);
  return {
    incident,
    guidance: guidanceFor(incident, ctx.namespace, ctx.now()),
    message: `updated incident ${incident.id}${levelChanged ? ` (level ${levelChanged.from} → ${levelChanged.to})` : ''}`,
  };
}

export async function resolveIncident(
  ctx: IncidentContext,
  id: string,
  input: { cause: string; note?: string },
): Promise<IncidentOutcome> {
  const cause = input.cause.trim();
  if (!cause) throw new UsageError('--cause must name the root cause (it is empty).');
  const found = await findIncident(ctx, id);
  if (found.status === 'resolved') throw new IncidentAlreadyResolvedError(found);
  const at = new Date(ctx.now()).toISOString();
  const stored = await ctx.ledger.update<IncidentRecord>(INCIDENT_KIND, found.id, (current) => {
    if (current.status === 'resolved') throw new IncidentAlreadyResolvedError(current);
    const timeline = [...current.timeline];
    if (input.note?.trim()) timeline.push({ at, by: ctx.actor, text: input.note.trim(), type: 'note' });
    timeline.push({ at, by: ctx.actor, text: `Resolved. Root cause: ${cause}`, type: 'resolved' });
    return { ...current, status: 'resolved', resolvedAt: at, updatedAt: at, cause, timeline };
  });
  const incident = IncidentRecordSchema.parse(stored.record);
  return {
    incident,
    guidance: guidanceFor(incident, ctx.namespace, ctx.now()),
    message: `resolved incident ${incident.id} after ${humanDuration(timeToRestoreMs(incident) ?? 0)}`,
  };
}

export interface IncidentListEntry {
  id: string;
  level: IncidentLevel;
  status: IncidentRecord['status'];
  summary: string;
  openedAt: string;
  resolvedAt?: string;
  /** Open: time since opened; resolved: time to restore. */
  durationMs: number;
  /** Level 1 open for more than 30 minutes. */
  escalate: boolean;
  relatedDeployId?: string;
  openedBy: string;
}

export interface IncidentListResult {
  namespace: string;
  incidents: IncidentListEntry[];
  /** Ids of incidents that must be escalated now. */
  escalate: string[];
  problems: { location: string; message: string }[];
}

export async function listIncidentEntries(
  ctx: IncidentContext,
  options: { openOnly?: boolean; since?: Date },
): Promise<IncidentListResult> {
  const problems: IncidentListResult['problems'] = [];
  const now = ctx.now();
  const incidents = await listIncidents(ctx.ledger, {
    openOnly: options.openOnly,
    since: options.since,
    onProblem: (p) => problems.push(p),
  });
  const entries = incidents.map(
    (i): IncidentListEntry => ({
      id: i.id,
      level: i.level,
      status: i.status,
      summary: i.summary,
      openedAt: i.openedAt,
      ...(i.resolvedAt ? { resolvedAt: i.resolvedAt } : {}),
      durationMs: openDurationMs(i, now),
      escalate: needsEscalation(i, now),
      ...(i.relatedDeployId ? { relatedDeployId: i.relatedDeployId } : {}),
      openedBy: i.openedBy,
    }),
  );
  return {
    namespace: ctx.namespace,
    incidents: entries,
    escalate: entries.filter((e) => e.escalate).map((e) => e.id),
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// incident show: the post-incident report draft
// ---------------------------------------------------------------------------------------------

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

/**
 * Builds the report. `events` are the namespace's Warning events (the caller reads them when the
 * cluster is reachable; pass undefined with a note otherwise).
 */
export async function buildIncidentReport(
  ctx: IncidentContext,
  id: string,
  events: { events?: WarningEvent[]; note?: string },
): Promise<IncidentReport> {
  const incident = await findIncident(ctx, id);
  const now = ctx.now();
  const from = Date.parse(incident.openedAt) - REPORT_LOOKBACK_MS;
  const to = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  const { records } = await ctx.ledger.list({
    kind: ['deploy', 'rollback'],
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
  const report: Omit<IncidentReport, 'markdown'> = {
    incident,
    guidance: guidanceFor(incident, ctx.namespace, now),
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    durationMs: openDurationMs(incident, now),
    ...(timeToRestoreMs(incident) !== undefined ? { timeToRestoreMs: timeToRestoreMs(incident) } : {}),
    timeline,
    ...(relatedDeploy ? { relatedDeploy } : {}),
    changes,
    events: evs,
    ...(events.note ? { eventsNote: events.note } : {}),
  };
  return { ...report, markdown: renderIncidentMarkdown(report, ctx.namespace) };
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The post-incident report draft in Markdown (fits a GitHub issue or job summary). */
export function renderIncidentMarkdown(r: Omit<IncidentReport, 'markdown'>, namespace: string): string {
  const i = r.incident;
  const g = r.guidance;
  const out: string[] = [];
  out.push(`# Post-incident report (draft): ${i.summary}`, '');
  out.push(`- **Incident:** ${i.id}`);
  out.push(
    `- **Status:** ${i.status}${i.status === 'open' && g.escalate ? ' — ESCALATE (level 1 open over 30 minutes)' : ''}`,
  );
  out.push(`- **Level:** ${i.level} (${g.name}). ${g.meaning} ${g.response}`);
  out.push(`- **Namespace:** ${namespace}${i.environment ? ` (environment ${i.environment})` : ''}`);
  out.push(
    `- **Opened:** ${i.openedAt} by ${i.openedBy}${i.automatic ? ' (opened automatically by a failed deploy)' : ''}`,
  );
  if (i.resolvedAt) out.push(`- **Resolved:** ${i.resolvedAt}`);
  out.push(
    r.timeToRestoreMs !== undefined
      ? `- **Time to restore:** ${humanDuration(r.timeToRestoreMs)}`
      : `- **Open for:** ${humanDuration(r.durationMs)} (not resolved yet)`,
  );
  if (i.relatedDeployId) {
    const d = r.relatedDeploy;
    out.push(
      d
        ? `- **Related deploy:** ${d.id}: ${d.image ?? '?'} by ${d.actor}, result ${d.result}${d.failureClass ? ` (${d.failureClass})` : ''}`
        : `- **Related deploy:** ${i.relatedDeployId} (record no longer in the ledger)`,
    );
  }
  out.push('', '## Summary', '', i.summary, '');
  out.push(
    '## Impact',
    '',
    i.impact ?? '_TODO: who was affected, how many requests/jobs failed, for how long._',
    '',
  );
  out.push('## Timeline (UTC)', '');
  out.push(
    `Window: ${r.window.from} to ${r.window.to}. Sources: incident notes, the deployment ledger, Kubernetes Warning events.`,
    '',
  );
  out.push('| time | source | what happened |', '|---|---|---|');
  for (const t of r.timeline) {
    out.push(`| ${t.at} | ${t.source}${t.by ? ` (${mdEscape(t.by)})` : ''} | ${mdEscape(t.text)} |`);
  }
  if (r.eventsNote) out.push('', `_Kubernetes events not included: ${r.eventsNote}_`);
  out.push('', '## Root cause', '', i.cause ?? '_TODO: the root cause (resolve with `--cause`)._', '');
  if (i.level === 2 && i.status === 'open' && g.rollbackCommand) {
    out.push('## Suggested rollback', '', '```sh', g.rollbackCommand, '```', '');
  }
  if (i.level === 3 && g.escalationSteps) {
    out.push('## Escalation steps', '');
    g.escalationSteps.forEach((s, n) => {
      out.push(`${n + 1}. ${s}`);
    });
    out.push('');
  }
  out.push('## Action items', '');
  for (const a of i.actions ?? []) out.push(`- [ ] ${a}`);
  out.push(
    '- [ ] _TODO: prevent it: the fix that makes this failure impossible (owner, due date)_',
    '- [ ] _TODO: detect it sooner: the alert or check that would have caught it (owner, due date)_',
    '- [ ] _TODO: recover faster: the runbook step or automation that was missing (owner, due date)_',
    '',
  );
  return `${out.join('\n')}\n`;
}

/** Reads the namespace's Warning events through the JSON transport (core/v1 events). */
export async function readWarningEvents(
  kube: {
    getJson<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T>;
  },
  namespace: string,
): Promise<WarningEvent[]> {
  // biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
  const list = await kube.getJson<any>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
    fieldSelector: 'type=Warning',
  });
  // biome-ignore lint/suspicious/noExplicitAny: raw Kubernetes JSON
  return ((list?.items ?? []) as any[])
    .filter((e) => e.type === 'Warning')
    .map((e) => ({
      at: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp,
      object: `${String(e.involvedObject?.kind ?? 'object').toLowerCase()}/${e.involvedObject?.name ?? '?'}`,
      reason: e.reason ?? '',
      message: e.message ?? '',
      count: e.count ?? 1,
    }))
    .filter((e) => typeof e.at === 'string' && !Number.isNaN(Date.parse(e.at)));
}
