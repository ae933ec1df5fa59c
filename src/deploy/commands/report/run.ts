/**
 * `mobius-deploy report`: the weekly or monthly delivery report, as data (printers in report/).
 *
 * Reads the ledger (deploy, rollback, drill and incident records of the namespace; with an environment,
 * records of that environment or with none), computes the DORA metrics for the period ending at
 * `now` and the one before it (metrics/dora.ts), and for the monthly report adds infrastructure
 * health from Prometheus (--prometheus-url) or else from the current cluster state (the status
 * snapshot, health/status-read.ts). Rollback drills are summarized apart (drills.ts); the DORA
 * analysis never sees them. Never prints.
 */

import { isCliError } from '../../errors.js';
import { listIncidents } from '../../incidents/record.js';
import type { KubeClients } from '../../kube/client.js';
import {
  DEFAULT_HISTORY_MAX,
  type DeploymentRecord,
  isDeploymentRecord,
  isDrillRecord,
  type Ledger,
  type LedgerProblem,
} from '../../ledger/index.js';
import {
  analyzeDora,
  DEFAULT_FAILURE_WINDOW_MS,
  DORA_BANDS,
  type DoraAnalysis,
  type IncidentInput,
  type PeriodKind,
  periodWindows,
} from '../../metrics/dora.js';
import { incidentInputFromRecord } from '../../metrics/incident-input.js';
import type { PrometheusClient } from '../../metrics/prometheus-client.js';
import { type DrillSummary, summarizeDrills } from './drills.js';
import { collectInfraFromPrometheus, type InfraHealth, infraFromClusterStatus } from './infra.js';

export const REPORT_SCHEMA = 'mobius-deploy/report@1';

export interface ReportInput {
  period: PeriodKind;
  /** The report's "now" (--at). */
  now: Date;
  /** `now` was asked for (--at): records that start after it are out of scope, left out here. */
  asOf?: boolean;
  namespace: string;
  environment?: string;
  failureWindowMs?: number;
  /** Add infrastructure health (default: only for the monthly report). */
  infrastructure?: boolean;
  /** PromQL matchers for the worker's series (default namespace="<namespace>"). */
  prometheusSelector?: string;
}

export interface ReportDeps {
  ledger: Ledger;
  /** Kubernetes clients, for infrastructure health from the cluster (monthly, no Prometheus). */
  kube?: () => Promise<KubeClients>;
  prometheus?: PrometheusClient;
  /** The status snapshot (injected in tests); default health/status-read.ts readStatus. */
  runStatus?: typeof import('../../health/status-read.js').readStatus;
}

/** The report's JSON shape (stable; documented in `mobius-deploy report --help` and docs/CLI.md). */
export interface DeploymentReport extends DoraAnalysis {
  schema: typeof REPORT_SCHEMA;
  kind: 'DeploymentReport';
  generatedAt: string;
  scope: { namespace: string; environment: string | null };
  thresholds: typeof DORA_BANDS;
  infrastructure: InfraHealth | null;
  /** Rollback drills (`rollback --drill`) of the period and the last one; never part of the DORA keys. */
  drills: DrillSummary;
  /** Why infrastructure is null (weekly report, or the source could not be read). */
  infrastructureNote?: string;
  ledger: {
    driver: string;
    records: number;
    incidents: number;
    problems: LedgerProblem[];
    /** Start of the oldest deploy/rollback record read, or null when there is none. */
    oldestRecordAt: string | null;
    /**
     * Set when the ledger does not reach back to the previous period's start although it holds many
     * records: retention (`--history-max`, default 50) probably pruned records the report needs.
     */
    coverageNote?: string;
  };
}

/**
 * Reads the scope's deploy/rollback records and incidents with one ledger list. Incidents are
 * validated by the incidents module (listIncidents); a malformed one becomes a problem.
 * Scope: the namespace; with an environment, records of that environment or of none.
 */
export async function readReportRecords(
  ledger: Pick<Ledger, 'list'>,
  scope: { namespace: string; environment?: string },
): Promise<{
  records: DeploymentRecord[];
  incidents: IncidentInput[];
  drills: DeploymentRecord[];
  problems: LedgerProblem[];
}> {
  const listed = await ledger.list({
    kind: ['deploy', 'rollback', 'drill', 'incident'],
    scope: { namespace: scope.namespace, environment: scope.environment },
  });
  const problems = [...listed.problems];
  const records: DeploymentRecord[] = [];
  const drills: DeploymentRecord[] = [];
  const incidentEntries: typeof listed.records = [];
  for (const stored of listed.records) {
    const r = stored.record;
    if (isDeploymentRecord(r)) records.push(r);
    else if (isDrillRecord(r)) drills.push(r);
    else if (r.kind === 'incident') incidentEntries.push(stored);
  }
  const incidentRecords = await listIncidents(
    { list: async () => ({ records: incidentEntries, problems: [] }) },
    { onProblem: (p) => problems.push(p) },
  );
  const incidents = incidentRecords
    .map((i) => incidentInputFromRecord(i))
    .filter((i): i is IncidentInput => i !== undefined);
  return { records, incidents, drills, problems };
}

export async function runReport(deps: ReportDeps, input: ReportInput): Promise<DeploymentReport> {
  const read = await readReportRecords(deps.ledger, input);
  const { problems } = read;
  // As of --at, the ledger is what it held then: later records are not counted anywhere (figures,
  // data quality, record counts), so the report is the same however the ledger grows afterwards.
  const by = input.now.getTime();
  const startedBy = (t: string | undefined) => !input.asOf || !(Date.parse(t ?? '') > by);
  const records = read.records.filter((r) => startedBy(r.startedAt));
  const incidents = read.incidents.filter((i) => startedBy(i.openedAt));
  const drills = read.drills.filter((d) => startedBy(d.startedAt));
  const analysis = analyzeDora(records, incidents, {
    now: input.now,
    period: input.period,
    failureWindowMs: input.failureWindowMs ?? DEFAULT_FAILURE_WINDOW_MS,
  });

  let infrastructure: InfraHealth | null = null;
  let infrastructureNote: string | undefined;
  const wantInfra = input.infrastructure ?? input.period === 'month';
  if (!wantInfra) infrastructureNote = 'infrastructure health is part of the monthly report (--period month)';
  else if (deps.prometheus) {
    const w = periodWindows(input.period, input.now).current;
    infrastructure = await collectInfraFromPrometheus(deps.prometheus, {
      selector: input.prometheusSelector ?? `namespace="${input.namespace}"`,
      start: new Date(w.start),
      end: new Date(w.end),
    });
  } else if (input.asOf) {
    infrastructureNote =
      'infrastructure health not available: as of --at it needs --prometheus-url (the cluster shows only the present)';
  } else if (deps.kube) {
    try {
      const runStatus = deps.runStatus ?? (await import('../../health/status-read.js')).readStatus;
      const status = await runStatus(await deps.kube(), {
        namespace: input.namespace,
        readQueue: true,
      });
      infrastructure = infraFromClusterStatus(status);
    } catch (err) {
      let mapped: unknown = err;
      if (!isCliError(err))
        mapped = await deps.kube().then(
          (k) => k.mapError(err),
          () => err,
        );
      if (!isCliError(mapped)) throw err;
      infrastructureNote = `infrastructure health not available: ${mapped.message}`;
    }
  } else {
    infrastructureNote = 'infrastructure health not available: no --prometheus-url and no cluster access';
  }

  let oldest: number | null = null;
  for (const r of records) {
    const t = Date.parse(r.startedAt);
    if (!Number.isNaN(t) && (oldest === null || t < oldest)) oldest = t;
  }
  const previousStart = periodWindows(input.period, input.now).previous.start;
  const coverageNote =
    oldest !== null && oldest > previousStart && records.length >= DEFAULT_HISTORY_MAX
      ? `the ledger's oldest deploy record starts ${new Date(oldest).toISOString()}, after the previous period began (${new Date(previousStart).toISOString()}), and it holds ${records.length} records: retention (--history-max, default ${DEFAULT_HISTORY_MAX}) has probably pruned records this report needs; deploy with a larger --history-max to keep enough history`
      : undefined;

  return {
    schema: REPORT_SCHEMA,
    kind: 'DeploymentReport',
    generatedAt: input.now.toISOString(),
    scope: { namespace: input.namespace, environment: input.environment ?? null },
    thresholds: DORA_BANDS,
    ...analysis,
    infrastructure,
    drills: summarizeDrills(drills, periodWindows(input.period, input.now).current, input.now.getTime()),
    ...(infrastructureNote ? { infrastructureNote } : {}),
    ledger: {
      driver: deps.ledger.driver.name,
      records: records.length,
      incidents: incidents.length,
      problems,
      oldestRecordAt: oldest === null ? null : new Date(oldest).toISOString(),
      ...(coverageNote ? { coverageNote } : {}),
    },
  };
}
