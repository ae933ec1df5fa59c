/**
 * The views of `mobius-deploy incident`: an outcome with the playbook's guidance, the incident
 * list, and the post-incident report draft in Markdown. Pure string building.
 */
import type { Colors } from '../../output/color.js';
import { humanDuration } from '../../output/duration.js';
import { renderTable } from '../../output/table.js';
import type { IncidentGuidance, IncidentListResult, IncidentOutcome } from './run.js';
import type { IncidentReportData } from './run-report.js';

function guidanceLines(g: IncidentGuidance, c: Colors, status: string): string[] {
  const lines = [`Level ${g.level} (${g.name}): ${g.meaning}`, `Playbook: ${g.response}`];
  if (status !== 'open') return lines;
  if (g.level === 1 && g.escalateAt) {
    lines.push(
      g.escalate
        ? c.red(`ESCALATE: open for more than 30 minutes (since ${g.escalateAt}); raise it to level 2.`)
        : `Escalate at ${g.escalateAt} if it is still open.`,
    );
  }
  if (g.rollbackCommand) lines.push('Suggested rollback:', `  ${c.bold(g.rollbackCommand)}`);
  if (g.escalationSteps) {
    lines.push(c.red('Escalation steps:'));
    g.escalationSteps.forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s}`);
    });
  }
  return lines;
}

/** What `incident open|update|resolve` did, and what the playbook says to do now. */
export function renderOutcome(o: IncidentOutcome, c: Colors): string {
  const i = o.incident;
  const lines = [
    o.message,
    `  id:       ${i.id}`,
    `  status:   ${i.status}`,
    `  summary:  ${i.summary}`,
    ...(i.relatedDeployId ? [`  deploy:   ${i.relatedDeployId}`] : []),
    ...(i.cause ? [`  cause:    ${i.cause}`] : []),
    '',
    ...guidanceLines(o.guidance, c, i.status),
  ];
  return `${lines.join('\n')}\n`;
}

/** `incident list`: a table, the incidents to escalate now and the ledger entries skipped. */
export function renderIncidentList(
  r: IncidentListResult,
  c: Colors,
  options: { width?: number; openOnly?: boolean; target?: string },
): string {
  const target = options.target ?? `-n ${r.namespace}`;
  if (r.incidents.length === 0) return `No incidents in ${r.namespace}${options.openOnly ? ' open' : ''}.\n`;
  const table = renderTable(
    [
      { header: 'id' },
      { header: 'level' },
      { header: 'status' },
      { header: 'opened' },
      { header: 'duration', align: 'right' },
      { header: 'flag' },
      { header: 'summary', flex: true },
    ],
    r.incidents.map((i) => [
      i.id,
      String(i.level),
      i.status === 'open' ? c.yellow(i.status) : c.green(i.status),
      i.openedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      humanDuration(i.durationMs),
      i.escalate ? c.red('escalate') : '',
      i.summary,
    ]),
    { width: options.width },
  );
  const lines = [table.trimEnd()];
  for (const id of r.escalate) {
    lines.push(
      c.red(
        `ESCALATE ${id}: level 1 open over 30 minutes; raise it: mobius-deploy incident update ${id} ${target} --level 2 --note "..."`,
      ),
    );
  }
  for (const p of r.problems)
    lines.push(c.yellow(`warning: skipped ledger entry ${p.location}: ${p.message}`));
  return `${lines.join('\n')}\n`;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The post-incident report draft in Markdown (fits a GitHub issue or job summary). */
export function renderIncidentMarkdown(r: IncidentReportData, namespace: string): string {
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
