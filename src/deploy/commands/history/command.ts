/**
 * `mobius-deploy history`: the ledger's deploy and rollback records (newest first) beside the
 * Deployment's Kubernetes revisions. Logic: run.ts (runHistory); view: print.ts.
 */

import type { Command } from 'commander';
import { parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import type { HistoryResult } from './run.js';

export interface HistoryCommandOptions {
  deployment: string;
  limit?: number;
  ledgerDir?: string;
}

export const historyCommand = {
  register(program: Command): void {
    program
      .command('history')
      .description(
        "List the deployment ledger's deploy, rollback and drill records (newest first) beside the Deployment's Kubernetes revisions (like `kubectl rollout history`), joined by record, each revision marked verified-good, failed or unknown by the ledger.",
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
  { revision, image, createdAt, changeCause, current, replicas, readyReplicas, recordId, recordResult,
    verdict: verified-good|failed|unknown, verdictEvidence } ], problems }

verdict: the newest ledger evidence about the revision (a deploy, rollback or drill that rolled it
out and verified it, or saw it fail). \`rollback\` goes to the newest verified-good revision.

Examples:
  mobius-deploy history --env production
  mobius-deploy history -n staging --limit 10 -o json`,
      )
      .action(
        runCommand<HistoryCommandOptions>(async (ctx, opts) => {
          const [{ runHistory }, { renderHistory }, ledgerMod, { renderTable }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
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
            verbatim: true,
          };
        }),
      );
  },
};
