/**
 * Incidents: open, update, resolve and list (`show`'s report is run-report.ts and show.ts). The
 * records live in the deployment ledger (incidents/record.ts); this module decides, never prints.
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
import type { JsonTransport } from '../../kube/resources/reader.js';
import {
  inRecordScope,
  type Ledger,
  LedgerNotFoundError,
  openLedger,
  processProvenanceContext,
  resolveProvenance,
} from '../../ledger/index.js';
import { humanDuration } from '../../output/duration.js';
import { IncidentAlreadyResolvedError, IncidentNotFoundError, OutOfScopeRecordError } from './errors.js';

export { IncidentAlreadyResolvedError, IncidentNotFoundError, OutOfScopeRecordError };

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

/** Level 3's steps; `target` (the -n/--ledger-dir/--context options) goes into their commands. */
export const level3Steps = (target: string): string[] => [
  'Page the on-call lead and the service owner now; do not wait for the 30-minute rule.',
  'Open an incident channel and name one incident commander; post updates there every 30 minutes.',
  'Stop the damage: roll back, scale to zero or cut the route, whichever ends the outage, breach or data loss soonest.',
  `Preserve evidence: do not delete pods, logs, Secrets or volumes; copy logs (mobius-deploy logs ${target} --previous) and events first.`,
  `For a suspected breach: rotate the exposed credentials (mobius-deploy registry-secret rotate ${target}, the API token and Redis Secrets) and inform security.`,
  `For data loss: stop writers, check the DATA_DIR volume and Redis persistence (mobius-deploy doctor ${target}), and restore from backup.`,
];

export function guidanceFor(
  incident: Pick<IncidentRecord, 'level' | 'openedAt' | 'status'> & { id?: string },
  namespace: string,
  now: number,
  /**
   * The options that reach the same target (cli/invocation.ts targetOptions), default `-n NS`:
   * `ledger` with --ledger-dir (rollback takes it), `cluster` without (logs, doctor do not).
   */
  targets: { ledger?: string; cluster?: string } = {},
): IncidentGuidance {
  const target = targets.ledger ?? `-n ${namespace}`;
  const meaning = LEVEL_MEANINGS[incident.level];
  const g: IncidentGuidance = { level: incident.level, ...meaning };
  if (incident.level === 1) {
    g.escalateAt = new Date(Date.parse(incident.openedAt) + LEVEL1_ESCALATE_AFTER_MS).toISOString();
    g.escalate = needsEscalation(incident as IncidentRecord, now);
  } else if (incident.level === 2) {
    g.rollbackCommand = `mobius-deploy rollback ${target} --reason "incident ${incident.id ?? ''}"`.replace(
      ' ""',
      '',
    );
  } else {
    g.escalationSteps = level3Steps(targets.cluster ?? `-n ${namespace}`);
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
  /** The options that reach this ledger and cluster again, for hints: "-n NS --ledger-dir DIR". */
  target?: string;
  /** The same without --ledger-dir, for commands that read only the cluster (logs, doctor). */
  clusterTarget?: string;
}

/** What opening the incident ledger needs from the CLI (its CommandContext has all of it). */
export interface IncidentLedgerSource {
  namespace: string;
  environment?: string;
  /** The environment variables (the CI's actor). */
  env: Record<string, string | undefined>;
  now: () => number;
  /** The cluster's clients; asked for only when the ledger is in the cluster. */
  kube: () => Promise<JsonTransport>;
  /** The options that reach the same target, given --ledger-dir (cli/invocation.ts targetOptions). */
  targetOptions?: (ledgerDir: string | undefined) => string;
}

/** --ledger-dir and --actor. */
export interface IncidentLedgerOptions {
  ledgerDir?: string;
  actor?: string;
}

/** Who is writing (--actor, the CI, user@host) and the ledger: --ledger-dir, else the cluster's ConfigMaps. */
export async function openIncidentContext(
  source: IncidentLedgerSource,
  opts: IncidentLedgerOptions,
): Promise<IncidentContext> {
  const pctx = await processProvenanceContext();
  const { actor } = resolveProvenance({ actor: opts.actor }, { ...pctx, env: source.env });
  const ledger = openLedger({
    namespace: source.namespace,
    transport: opts.ledgerDir ? undefined : await source.kube(),
    ledgerDir: opts.ledgerDir,
  });
  return {
    ledger,
    namespace: source.namespace,
    environment: source.environment ?? null,
    actor,
    now: source.now,
    where: opts.ledgerDir ? `--ledger-dir ${opts.ledgerDir}` : 'the ledger ConfigMaps',
    target: source.targetOptions?.(opts.ledgerDir) ?? `-n ${source.namespace}`,
    clusterTarget: source.targetOptions?.(undefined) ?? `-n ${source.namespace}`,
  };
}

/** The targets guidanceFor puts into its commands. */
export function targetsOf(ctx: IncidentContext): { ledger?: string; cluster?: string } {
  return { ledger: ctx.target, cluster: ctx.clusterTarget };
}

/** The context's scope: its namespace and, with -e, its environment (ledger/driver.ts inRecordScope). */
const scopeOf = (ctx: IncidentContext) => ({ namespace: ctx.namespace, environment: ctx.environment });

/**
 * Finds an incident of the context's scope by exact id, else by a unique prefix or suffix of an id.
 * An exact id of another namespace or environment (a shared --ledger-dir) is refused, saying whose.
 */
export async function findIncident(ctx: IncidentContext, id: string): Promise<IncidentRecord> {
  const where = ctx.where ?? 'the ledger';
  try {
    const stored = await ctx.ledger.get(INCIDENT_KIND, id);
    const incident = IncidentRecordSchema.parse(stored.record);
    if (!inRecordScope(incident, scopeOf(ctx)))
      throw new OutOfScopeRecordError(`Incident ${incident.id}`, incident, ctx);
    return incident;
  } catch (err) {
    if (!(err instanceof LedgerNotFoundError)) throw err;
  }
  const all = await listIncidents(ctx.ledger, { scope: scopeOf(ctx) });
  const matches = id.length >= 4 ? all.filter((i) => i.id.startsWith(id) || i.id.endsWith(id)) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new UsageError(
      `Incident id "${id}" is ambiguous: it matches ${matches.map((m) => m.id).join(', ')}.`,
      { hint: 'Pass the full id.' },
    );
  }
  throw new IncidentNotFoundError(id, ctx.namespace, where, ctx.target);
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
      const { record } = await ctx.ledger.get('deploy', input.deployId);
      if (!inRecordScope(record, scopeOf(ctx)))
        throw new OutOfScopeRecordError(`--deploy ${input.deployId}: that deploy`, record, ctx);
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
    guidance: guidanceFor(record, ctx.namespace, now.getTime(), targetsOf(ctx)),
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
    guidance: guidanceFor(incident, ctx.namespace, ctx.now(), targetsOf(ctx)),
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
  if (found.status === 'resolved') throw new IncidentAlreadyResolvedError(found, ctx.target);
  const at = new Date(ctx.now()).toISOString();
  const stored = await ctx.ledger.update<IncidentRecord>(INCIDENT_KIND, found.id, (current) => {
    if (current.status === 'resolved') throw new IncidentAlreadyResolvedError(current, ctx.target);
    const timeline = [...current.timeline];
    if (input.note?.trim()) timeline.push({ at, by: ctx.actor, text: input.note.trim(), type: 'note' });
    timeline.push({ at, by: ctx.actor, text: `Resolved. Root cause: ${cause}`, type: 'resolved' });
    return { ...current, status: 'resolved', resolvedAt: at, updatedAt: at, cause, timeline };
  });
  const incident = IncidentRecordSchema.parse(stored.record);
  return {
    incident,
    guidance: guidanceFor(incident, ctx.namespace, ctx.now(), targetsOf(ctx)),
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
  /** The environment the list is scoped to (-e), or null for the whole namespace. */
  environment: string | null;
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
    scope: scopeOf(ctx),
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
    environment: ctx.environment ?? null,
    incidents: entries,
    escalate: entries.filter((e) => e.escalate).map((e) => e.id),
    problems,
  };
}
