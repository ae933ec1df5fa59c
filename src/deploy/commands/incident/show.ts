/**
 * `incident show`: the post-incident report draft, its data (run-report.ts) with its markdown
 * view (print.ts) beside it, as `-o json` prints it.
 */
import type { KubeReader } from '../../kube/resources/reader.js';
import { renderIncidentMarkdown } from './print.js';
import type { IncidentContext } from './run.js';
import {
  collectIncidentReport,
  type IncidentReport,
  type ReportEvents,
  readReportEvents,
} from './run-report.js';

/**
 * Builds the report. `events` are the namespace's Warning events (the caller reads them when the
 * cluster is reachable; pass undefined with a note otherwise).
 */
export async function buildIncidentReport(
  ctx: IncidentContext,
  id: string,
  events: ReportEvents,
): Promise<IncidentReport> {
  const report = await collectIncidentReport(ctx, id, events);
  return { ...report, markdown: renderIncidentMarkdown(report, ctx.namespace) };
}

/** The report of incident `id`, with the namespace's Warning events unless `readEvents` is false. */
export async function showIncident(
  ctx: IncidentContext,
  id: string,
  options: { readEvents: boolean; kube: () => Promise<KubeReader>; debug: (message: string) => void },
): Promise<IncidentReport> {
  const events = await readReportEvents(options.readEvents, options.kube, ctx.namespace, options.debug);
  return buildIncidentReport(ctx, id, events);
}
