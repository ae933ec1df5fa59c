/**
 * `mobius-deploy rollback`: `kubectl rollout undo` semantics (default: the previous revision), then
 * wait for the rollout, verify and record. Logic: run.ts (runRollback); view: print.ts.
 * Exit codes: 0 rolled back and verified, or skipped (the template already matches); 2 the
 * revision does not exist or there is no history; 4 the Deployment is paused, the deploy lock is
 * held, or the rollback did not roll out or verify (a person must act); 5 unreachable/denied.
 */

import type { Command } from 'commander';
import { parseNonNegativeInt } from '../../cli/global-options.js';
import { printOutcome, runCommand } from '../../cli/run-command.js';
import {
  addSafeChangeOptions,
  createSafeChangeEnvironment,
  type SafeChangeFlags,
  watchSettings,
} from '../../cli/safe-change-options.js';
import { deploymentOption } from '../../cli/shared-options.js';
import { ActionRequiredError } from '../../errors.js';
import { renderRollback } from './print.js';

export interface RollbackCommandOptions extends SafeChangeFlags {
  deployment: string;
  reason?: string;
  toRevision?: number;
}

export const rollbackCommand = {
  register(program: Command): void {
    const cmd = program
      .command('rollback')
      .description(
        'Roll the Deployment back like `kubectl rollout undo` (default: the previous revision), then wait for the rollout, verify, and record it in the ledger. Skipped when the live template already matches the target.',
      )
      .option(
        '--to-revision <n>',
        'the revision to roll back to (0 or absent: the previous one)',
        parseNonNegativeInt,
      )
      .addOption(deploymentOption())
      .option('--reason <text>', 'why (recorded in the ledger and the change-cause annotation)');
    addSafeChangeOptions(cmd)
      .addHelpText(
        'after',
        `
Exit codes: 0 rolled back and verified (or skipped: already at that template); 2 revision not found or
no history; 4 the Deployment is paused, the deploy lock is held, or the rollback failed to roll out or
verify (a person must act); 5 cluster unreachable or access denied. -o json prints the ledger record.

Examples:
  mobius-deploy rollback --env production --reason "errors after 1.4.2"
  mobius-deploy rollback -n production --to-revision 7
  mobius-deploy history -n production      # lists the revisions`,
      )
      .action(
        runCommand<RollbackCommandOptions>(async (ctx, opts) => {
          const { runRollback } = await import('./run.js');
          const env = await createSafeChangeEnvironment(ctx, opts, { actor: opts.actor });
          const result = await runRollback(env, {
            namespace: ctx.globals.namespace,
            environment: ctx.globals.environment,
            deployment: opts.deployment,
            toRevision: opts.toRevision,
            reason: opts.reason,
            ...watchSettings(opts),
          });
          const text = () => renderRollback(result, ctx.colors);
          if (result.record.result === 'succeeded' || result.record.result === 'skipped') {
            return { data: result.record, render: text };
          }
          await printOutcome(ctx, { data: result.record, render: text });
          throw new ActionRequiredError(result.message, {
            hint: `A person must act: check mobius-deploy status -n ${result.record.namespace} and logs --previous, then pick a revision from mobius-deploy history.`,
          });
        }),
      );
  },
};
