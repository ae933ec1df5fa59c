/**
 * The report as GitHub-flavoured Markdown: plain tables, no HTML, so it renders in a GitHub
 * Actions job summary ($GITHUB_STEP_SUMMARY, 1 MiB limit). Long lists are capped (the JSON has
 * everything), which keeps even a 10,000-record month far below the limit.
 */

import {
  alertRows,
  causeRows,
  DRILL_HEADERS,
  detailRows,
  drillHeadline,
  drillRow,
  fmtBand,
  fmtDuration,
  fmtTime,
  infraRows,
  periodLabel,
  reasonText,
  reportTitle,
  summaryRows,
  thresholdRows,
  VIA_TEXT,
} from './format.js';
import type { InfraHealth } from './infra.js';
import type { DeploymentReport } from './run.js';

export const MARKDOWN_LIST_LIMIT = 25;

/** Escapes text for a Markdown table cell. */
export function mdCell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/([<>*_`[\]])/g, '\\$1');
}

function table(headers: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [headers.map(mdCell), sep, ...rows.map((r) => r.map(mdCell))]
    .map((r) => `| ${r.join(' | ')} |`)
    .join('\n');
}

function capped<T>(items: T[], limit = MARKDOWN_LIST_LIMIT): { shown: T[]; more: string } {
  if (items.length <= limit) return { shown: items, more: '' };
  return {
    shown: items.slice(0, limit),
    more: `\n\n…and ${items.length - limit} more (\`--format json\` lists all).`,
  };
}

export function renderInfraMarkdown(infra: InfraHealth): string {
  const out: string[] = [];
  out.push(
    `Source: **${infra.source === 'prometheus' ? 'Prometheus' : 'current cluster state'}**: ${mdCell(infra.sourceDetail)}.`,
  );
  const rows = infraRows(infra, {
    cpu: 'CPU (peak vs limit)',
    memory: 'Memory (peak vs limit)',
    durationNote: 'from the preview_worker_job_duration_seconds histogram',
  });
  out.push('', table(['Figure', 'Value', 'Note'], rows));
  out.push('', '**Alerts fired**', '');
  if (!infra.alerts.available) out.push(mdCell(infra.alerts.note ?? 'not available'));
  else if (infra.alerts.firing.length === 0) out.push('No alert fired in the period.');
  else
    out.push(
      table(['Alert', 'Severity', 'Times fired', 'Time firing'], alertRows(infra), ['l', 'l', 'r', 'r']),
    );
  for (const n of infra.notes) out.push('', `Note: ${mdCell(n)}`);
  return out.join('\n');
}

function drillMarkdown(r: DeploymentReport): string[] {
  const d = r.drills;
  const out = [drillHeadline(r)];
  if (d.items.length > 0) {
    const { shown, more } = capped(d.items);
    out.push('', table(DRILL_HEADERS, shown.map(drillRow), ['l', 'l', 'l', 'l', 'r', 'r', 'r']) + more);
  }
  return out;
}

export function renderMarkdown(r: DeploymentReport): string {
  const L = periodLabel(r);
  const c = r.current;
  const out: string[] = [];
  out.push(`# ${mdCell(reportTitle(r))}`, '');
  out.push(
    `${L.current}: ${fmtTime(c.start)} → ${fmtTime(c.end)} (${c.days} days); ${L.previous.toLowerCase()}: ${fmtTime(r.previous.start)} → ${fmtTime(r.previous.end)}. ` +
      `Failure window ${fmtDuration(r.failureWindowMs)}. Ledger: ${r.ledger.records} deploy/rollback records and ${r.ledger.incidents} incidents (${r.ledger.driver} driver).`,
  );
  out.push('', '## DORA keys', '');
  out.push(
    table(
      ['Key', L.current, L.previous, `Band (${L.current.toLowerCase()})`],
      summaryRows(r).map(([k, a, b, band]) => [k, a, b, fmtBand(band)]),
    ),
  );
  out.push('', '## Deployments', '');
  out.push(table(['', L.current, L.previous], detailRows(r), ['l', 'r', 'r']));
  if (c.deployments.inProgress.length > 0) {
    out.push('', `**In progress** (excluded from every rate):`, '');
    out.push(
      table(
        ['Deploy', 'Started', 'Image', 'By', 'Note'],
        c.deployments.inProgress.map((d) => [
          d.id,
          fmtTime(d.startedAt),
          d.image ?? '',
          d.actor,
          d.stale ? 'running for over 6 hours: the CLI may have died' : '',
        ]),
      ),
    );
  }

  out.push('', '## Failed changes', '');
  if (c.failedChanges.length === 0) out.push(`No failed change ${L.current.toLowerCase()}.`);
  else {
    const { shown, more } = capped(c.failedChanges);
    out.push(
      table(
        ['Deploy', 'Started', 'Failure class', 'Counted because'],
        shown.map((f) => [
          f.deployId,
          fmtTime(f.startedAt),
          f.failureClass ?? '',
          f.reasons.map(reasonText).join('; '),
        ]),
      ) + more,
    );
  }

  out.push('', '## Rollbacks by cause', '');
  if (c.rollbacks.causes.length === 0) out.push(`No rollback ${L.current.toLowerCase()}.`);
  else
    out.push(
      table(['Rank', 'Cause', 'Rollbacks', 'Automatic', 'Manual'], causeRows(r), ['r', 'l', 'r', 'r', 'r']),
    );

  out.push('', '## Time to restore', '');
  if (c.timeToRestore.samples.length === 0 && c.timeToRestore.unrestored.length === 0)
    out.push(`No failure ${L.current.toLowerCase()}.`);
  else {
    const { shown, more } = capped(c.timeToRestore.samples);
    if (shown.length > 0)
      out.push(
        table(
          ['Failure', 'Detected', 'Restored', 'Time to restore', 'Restored by'],
          shown.map((s) => [
            s.failureId,
            fmtTime(s.detectedAt),
            fmtTime(s.restoredAt),
            fmtDuration(s.durationMs),
            VIA_TEXT[s.via] ?? s.via,
          ]),
          ['l', 'l', 'l', 'r', 'l'],
        ) + more,
      );
    if (c.timeToRestore.unrestored.length > 0)
      out.push(
        '',
        `**Not restored yet** (left out of the median): ${c.timeToRestore.unrestored.map((u) => `${u.failureId} (detected ${fmtTime(u.detectedAt)})`).join(', ')}`,
      );
  }

  out.push('', '## Rollback drills', '', ...drillMarkdown(r));

  out.push('', '## DORA bands and thresholds', '');
  out.push(
    `${L.current}: deployment frequency **${fmtBand(c.bands.deploymentFrequency.band)}**, lead time **${fmtBand(c.bands.leadTime.band)}**, change failure rate **${fmtBand(c.bands.changeFailureRate.band)}**, time to restore **${fmtBand(c.bands.timeToRestore.band)}**.`,
    '',
  );
  out.push(table(['Key', 'Elite', 'High', 'Medium', 'Low'], thresholdRows(r)));
  out.push('', `Source: ${mdCell(r.thresholds.source)}; see docs/FOUR_KEYS_COMPARISON.md.`);

  if (r.infrastructure) out.push('', '## Infrastructure health', '', renderInfraMarkdown(r.infrastructure));
  else if (r.period === 'month')
    out.push('', '## Infrastructure health', '', mdCell(r.infrastructureNote ?? 'not available'));

  const quality: string[] = [];
  if (r.ledger.coverageNote) quality.push(`- incomplete history: ${mdCell(r.ledger.coverageNote)}`);
  for (const f of r.clockSkew) quality.push(`- clock skew: ${mdCell(f.recordId)}: ${mdCell(f.detail)}`);
  for (const p of r.ledger.problems)
    quality.push(`- skipped ledger entry ${mdCell(p.location)}: ${mdCell(p.message)}`);
  if (quality.length > 0) {
    const { shown, more } = capped(quality);
    out.push('', '## Data quality', '', shown.join('\n') + more);
  }
  out.push(
    '',
    '---',
    '',
    `Records belong to the period their start falls in. A failed change is a deploy that failed, was rolled back, or was followed by an incident within ${fmtDuration(r.failureWindowMs)}; it counts once. Generated by mobius-deploy report at ${fmtTime(r.generatedAt)}.`,
    '',
  );
  return out.join('\n');
}
