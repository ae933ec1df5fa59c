/**
 * `mobius-deploy rollback`: roll back to the newest revision the ledger records as verified good
 * (--to-revision N or --previous to choose otherwise), then wait for the rollout, verify and record.
 * `--dry-run` shows the target and why; `--drill` rehearses a rollback and rolls forward again.
 * Logic: run.ts (runRollback, runRollbackDryRun), run-drill.ts; view: print.ts.
 * Exit codes: 0 rolled back and verified, skipped (the template already matches), a dry run, or a
 * passed drill; 2 the revision does not exist, there is no history, or conflicting flags; 4 no
 * revision is recorded as verified good (nothing changed), the Deployment is paused, the deploy
 * lock is held, the rollback did not roll out or verify, a drill failed or was refused (the live
 * version is recorded as failed); 5 unreachable/denied.
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
import { ActionRequiredError, UsageError } from '../../errors.js';
import { renderDrill, renderDryRun, renderRollback } from './print.js';

export interface RollbackCommandOptions extends SafeChangeFlags {
  deployment: string;
  reason?: string;
  toRevision?: number;
  previous?: boolean;
  dryRun?: boolean;
  drill?: boolean;
}

function checkFlags(opts: RollbackCommandOptions): void {
  const explicit = opts.toRevision !== undefined && opts.toRevision !== 0;
  if (explicit && opts.previous) {
    throw new UsageError('--to-revision and --previous both choose the target; give one of them', {
      hint: 'Without either, rollback goes to the newest verified-good revision.',
    });
  }
  if (opts.drill && (explicit || opts.previous || opts.dryRun)) {
    throw new UsageError(
      '--drill always rehearses the default rollback; it takes no --to-revision, --previous or --dry-run',
      {
        hint: '`mobius-deploy rollback --dry-run` shows the revision a drill would roll back to.',
      },
    );
  }
}

export const rollbackCommand = {
  register(program: Command): void {
    const cmd = program
      .command('rollback')
      .description(
        'Roll the Deployment back to the newest revision the ledger records as verified good (never to one recorded as failed), then wait for the rollout, verify, and record it in the ledger. Skipped when the live template already matches the target.',
      )
      .option(
        '--to-revision <n>',
        'roll back to this revision, whatever the ledger says of it (0 or absent: the newest verified-good one)',
        parseNonNegativeInt,
      )
      .option(
        '--previous',
        "kubectl's choice: the revision below the live one, whatever the ledger says of it (warns when it is recorded as failed)",
      )
      .option('--dry-run', 'show the target and why it was chosen; change nothing')
      .option(
        '--drill',
        'rehearse: roll back to the newest verified-good revision, verify, roll forward to the live version, verify, and record the drill and its timings (refused, exit 4, when the live version is recorded as failed)',
      )
      .addOption(deploymentOption())
      .option('--reason <text>', 'why (recorded in the ledger and the change-cause annotation)');
    addSafeChangeOptions(cmd)
      .addHelpText(
        'after',
        `
The target: by default the newest revision (other than the live one) whose ledger record verified
good: a deploy that rolled out and verified, a rollback or drill that did. A revision recorded as
failed, or one the ledger knows nothing about, is never chosen by default; when no revision is
verified good, nothing changes and the command exits 4 listing every revision with its verdict and
the command that picks one. \`history\` shows the verdicts too.

Exit codes: 0 rolled back and verified (or skipped: already at that template; a dry run; a drill
that passed); 2 revision not found, no history, or conflicting flags; 4 no verified-good revision
(nothing changed), the Deployment is paused, the deploy lock is held, the rollback failed to roll
out or verify, or the drill failed (a person must act); 5 cluster unreachable or access denied.
-o json prints the ledger record (a drill: the record of kind drill, with drill.rollback and
drill.rollForward), or for --dry-run { dryRun, namespace, deployment, currentRevision,
currentImage, choice, target: { revision, image, verdict, recordId, why, unchanged }, warning,
candidates: [ { revision, image, verdict, evidence } ], message }.

Examples:
  mobius-deploy rollback --env production --reason "errors after 1.4.2"
  mobius-deploy rollback --env production --dry-run       # which revision, and why
  mobius-deploy rollback -n production --to-revision 7 --reason "pin 1.4.0"
  mobius-deploy rollback -n production --previous --reason "like kubectl rollout undo"
  mobius-deploy rollback --env production --drill         # the monthly rollback drill
  mobius-deploy history -n production                     # lists the revisions and verdicts`,
      )
      .action(
        runCommand<RollbackCommandOptions>(async (ctx, opts) => {
          checkFlags(opts);
          const [{ runRollback, runRollbackDryRun }, { runRollbackDrill }] = await Promise.all([
            import('./run.js'),
            import('./run-drill.js'),
          ]);
          const env = await createSafeChangeEnvironment(ctx, opts, { actor: opts.actor });
          const input = {
            namespace: ctx.globals.namespace,
            environment: ctx.globals.environment,
            deployment: opts.deployment,
            toRevision: opts.toRevision,
            previous: opts.previous === true,
            reason: opts.reason,
            ledgerDir: opts.ledgerDir,
            onWarning: (message: string) => ctx.io.stderr.write(`warning: ${message}\n`),
            ...watchSettings(opts),
          };
          if (opts.dryRun) {
            const plan = await runRollbackDryRun(env, input);
            return { data: plan, render: () => renderDryRun(plan, ctx.colors) };
          }
          if (opts.drill) {
            const drill = await runRollbackDrill(env, input);
            const text = () => renderDrill(drill, ctx.colors);
            if (drill.record.result === 'succeeded') return { data: drill.record, render: text };
            await printOutcome(ctx, { data: drill.record, render: text });
            throw new ActionRequiredError(drill.message, {
              hint: `A person must act: the rollback path is not safe. Check mobius-deploy history ${env.hintTargets?.ledger ?? `-n ${drill.record.namespace}`} and mobius-deploy status ${env.hintTargets?.cluster ?? `-n ${drill.record.namespace}`}.`,
            });
          }
          const result = await runRollback(env, input);
          const text = () => renderRollback(result, ctx.colors);
          if (result.record.result === 'succeeded' || result.record.result === 'skipped') {
            return { data: result.record, render: text };
          }
          await printOutcome(ctx, { data: result.record, render: text });
          throw new ActionRequiredError(result.message, {
            hint: `A person must act: check mobius-deploy status ${env.hintTargets?.cluster ?? `-n ${result.record.namespace}`} and mobius-deploy logs ${env.hintTargets?.cluster ?? `-n ${result.record.namespace}`} --previous, then pick a revision from mobius-deploy history ${env.hintTargets?.ledger ?? `-n ${result.record.namespace}`}.`,
          });
        }),
      );
  },
};
