/**
 * The view of `history`: the ledger's records, then the Deployment's revisions joined to them,
 * each with the ledger's verdict.
 */
import type { Colors } from '../../output/color.js';
import { formatDuration } from '../../output/duration.js';
import { resultColor } from '../../output/record.js';
import type { HistoryResult } from './run.js';

function verdictText(c: Colors, verdict: string): string {
  if (verdict === 'verified-good') return c.green(verdict);
  if (verdict === 'failed') return c.red(verdict);
  return c.yellow(verdict);
}

function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

export function renderHistory(
  h: HistoryResult,
  c: Colors,
  renderTable: typeof import('../../output/table.js').renderTable,
  width?: number,
): string {
  const out: string[] = [];
  out.push(
    c.bold(
      `Deploys, rollbacks and drills of deployment/${h.deployment} in ${h.namespace} (ledger, newest first)`,
    ),
  );
  if (h.records.length === 0) out.push('  no records yet\n');
  else {
    out.push(
      renderTable(
        [
          { header: 'started' },
          { header: 'kind' },
          { header: 'result' },
          { header: 'revision' },
          { header: 'image', flex: true },
          { header: 'duration', align: 'right' },
          { header: 'by' },
          { header: 'failure / reason', flex: true },
        ],
        h.records.map((r) => [
          shortTime(r.startedAt),
          r.kind,
          resultColor(c, r.result),
          `${r.revisionBefore ?? '-'}→${r.revisionAfter ?? '-'}`,
          r.image ?? '-',
          formatDuration(r.durationMs),
          r.actor,
          [r.failureClass, r.reason].filter(Boolean).join(': ') || '-',
        ]),
        { width },
      ),
    );
  }
  out.push(
    c.bold(`Kubernetes revisions (ReplicaSets)${h.deploymentFound ? '' : ': the Deployment does not exist'}`),
  );
  if (h.revisions.length > 0) {
    out.push(
      renderTable(
        [
          { header: 'revision', align: 'right' },
          { header: 'image', flex: true },
          { header: 'created' },
          { header: 'ready' },
          { header: 'verdict' },
          { header: 'record' },
          { header: 'change-cause', flex: true },
        ],
        h.revisions.map((r) => [
          `${r.revision}${r.current ? '*' : ''}`,
          r.image ?? '-',
          shortTime(r.createdAt),
          `${r.readyReplicas}/${r.replicas}`,
          verdictText(c, r.verdict),
          r.recordId ? `${r.recordId} (${r.recordResult})` : '-',
          r.changeCause ?? '<none>',
        ]),
        { width },
      ),
    );
    out.push(
      c.dim(
        '* current revision. verdict: what the ledger records of the revision; `rollback` goes to the newest verified-good one',
      ),
    );
  }
  for (const p of h.problems) out.push(c.yellow(`warning: skipped ledger entry ${p.location}: ${p.message}`));
  return `${out.join('\n')}\n`;
}
