/**
 * `mobius-deploy history`: the ledger's deploy and rollback records (newest first) beside the
 * Deployment's Kubernetes revisions. Logic: actions/history.ts (runHistory).
 */

import type { Command } from 'commander';
import { parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import type { Colors } from '../../output/color.js';
import { resultColor } from '../../output/record.js';
import type { HistoryResult } from './run.js';

export interface HistoryCommandOptions {
  deployment: string;
  limit?: number;
  ledgerDir?: string;
}

function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

export function renderHistory(
  h: HistoryResult,
  c: Colors,
  renderTable: typeof import('../../output/table.js').renderTable,
  width?: number,
): string {
  const out: string[] = [];
  out.push(
    c.bold(`Deploys and rollbacks of deployment/${h.deployment} in ${h.namespace} (ledger, newest first)`),
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
          seconds(r.durationMs),
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
          { header: 'record' },
          { header: 'change-cause', flex: true },
        ],
        h.revisions.map((r) => [
          `${r.revision}${r.current ? '*' : ''}`,
          r.image ?? '-',
          shortTime(r.createdAt),
          `${r.readyReplicas}/${r.replicas}`,
          r.recordId ? `${r.recordId} (${r.recordResult})` : '-',
          r.changeCause ?? '<none>',
        ]),
        { width },
      ),
    );
    out.push(c.dim('* current revision'));
  }
  for (const p of h.problems) out.push(c.yellow(`warning: skipped ledger entry ${p.location}: ${p.message}`));
  return `${out.join('\n')}\n`;
}

export const historyCommand = {
  register(program: Command): void {
    program
      .command('history')
      .description(
        "List the deployment ledger's deploy and rollback records (newest first) beside the Deployment's Kubernetes revisions (like `kubectl rollout history`), joined by record.",
      )
      .addOption(deploymentOption())
      .option('--limit <n>', 'show at most this many records', parsePositiveInt)
      .option(
        '--ledger-dir <dir>',
        'read the ledger from this directory instead of ConfigMaps in the namespace',
      )
      .addHelpText(
        'after',
        `
-o json: { namespace, deployment, currentRevision, records: [ledger records], revisions: [
  { revision, image, createdAt, changeCause, current, replicas, readyReplicas, recordId } ], problems }

Examples:
  mobius-deploy history --env production
  mobius-deploy history -n staging --limit 10 -o json`,
      )
      .action(
        runCommand<HistoryCommandOptions>(async (ctx, opts) => {
          const [{ runHistory }, ledgerMod, { renderTable }] = await Promise.all([
            import('./run.js'),
            import('../../ledger/index.js'),
            import('../../output/table.js'),
          ]);
          const kube = await ctx.kube();
          const ledger = ledgerMod.openLedger({
            namespace: ctx.globals.namespace,
            transport: kube,
            ledgerDir: opts.ledgerDir,
          });
          const result = await runHistory(kube, ledger, {
            namespace: ctx.globals.namespace,
            deployment: opts.deployment,
            limit: opts.limit,
          });
          return {
            data: result,
            render: (h) => renderHistory(h as HistoryResult, ctx.colors, renderTable, ctx.width),
          };
        }),
      );
  },
};
