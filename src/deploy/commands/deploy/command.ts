/**
 * `mobius-deploy deploy`: roll a new image out safely. Logic: run.ts (runDeploy) and target.ts;
 * view: print.ts.
 * Exit codes: 0 deployed and verified; 3 failed and rolled back automatically (the previous version
 * serves, verified); 4 failed and a person must act (rollback disabled, impossible or failed; the
 * deploy lock is held); 2 bad flags; 5 cluster unreachable or access denied.
 */

import { type Command, Option } from 'commander';
import { type CommandContext, printOutcome, runCommand } from '../../cli/run-command.js';
import {
  addSafeChangeOptions,
  createSafeChangeEnvironment,
  type SafeChangeFlags,
  watchSettings,
} from '../../cli/safe-change-options.js';
import { deploymentOption } from '../../cli/shared-options.js';
import { ActionRequiredError, RolledBackError, UsageError } from '../../errors.js';
import { dryRunData, renderDeploy, renderDryRun } from './print.js';

export interface DeployCommandOptions extends SafeChangeFlags {
  imageTag?: string;
  image?: string;
  deployment: string;
  reason?: string;
  dryRun: boolean;
  rollback: boolean;
  commit?: string;
  author?: string;
  commitTime?: string;
}

export const deployCommand = {
  register(program: Command): void {
    const cmd = program
      .command('deploy')
      .description(
        'Deploy a new image: take the deploy lock, apply the manifests (server-side apply), wait for the rollout (failing fast on CrashLoopBackOff, ImagePullBackOff, OOMKilled, Unschedulable…), verify, and on failure roll back automatically to the last version that verified good. Every deploy is recorded in the ledger.',
      )
      .option('--image-tag <tag>', "deploy this tag of the environment's image repository (needs -e/--env)")
      .option(
        '--image <ref>',
        'deploy this full image reference (with -n alone: only the image of the live Deployment changes)',
      )
      .addOption(deploymentOption())
      .option('--reason <text>', 'why (recorded in the ledger and the change-cause annotation)')
      .addOption(
        new Option(
          '--dry-run',
          'server-side dry run of every object and a diff against the live objects; changes nothing',
        ).default(false),
      )
      .option('--no-rollback', 'do not roll back automatically when the rollout or verification fails')
      .option('--commit <sha>', 'git commit being deployed (default: $GITHUB_SHA, $CI_COMMIT_SHA…)')
      .option('--author <name>', 'author of the commit')
      .option('--commit-time <iso>', 'commit time, for lead-time reports');
    addSafeChangeOptions(cmd)
      .addHelpText(
        'after',
        `
Exit codes: 0 deployed and verified; 3 failed and rolled back (the previous version serves);
4 failed and a person must act (also: the deploy lock is held); 2 bad flags; 5 cluster unreachable.
-o json prints the ledger record of the deploy (with --dry-run: the objects and their diffs).

Examples:
  mobius-deploy deploy --env production --image-tag 1.4.2 --reason "render speedup"
  mobius-deploy deploy -e staging --image-tag 1.4.2 --dry-run
  mobius-deploy deploy -n sandbox --image ghcr.io/mobius-org/mobius-preview-worker:1.4.2
  mobius-deploy deploy -e production --image-tag 1.4.3 --lock-timeout 5m -o json`,
      )
      .action(runCommand<DeployCommandOptions>((ctx, opts) => runDeployCommand(ctx, opts)));
  },
};

async function runDeployCommand(ctx: CommandContext, opts: DeployCommandOptions) {
  if (opts.image !== undefined && opts.imageTag !== undefined) {
    throw new UsageError('Give either --image or --image-tag, not both.');
  }
  const envConfig = ctx.globals.environmentConfig as
    | (import('../../manifests/index.js').Environment & Record<string, unknown>)
    | undefined;
  if (!envConfig && opts.image === undefined) {
    throw new UsageError(
      opts.imageTag !== undefined
        ? '--image-tag needs -e/--env (the environment names the image repository); or give --image <ref> with -n'
        : 'deploy needs an image: --image-tag <tag> with -e/--env, or --image <ref>',
      { hint: 'For example: mobius-deploy deploy --env production --image-tag 1.4.2' },
    );
  }
  const [{ runDeploy }, { deployTarget }] = await Promise.all([import('./run.js'), import('./target.js')]);
  const { objects, image } = await deployTarget(envConfig, { image: opts.image, imageTag: opts.imageTag });
  const env = await createSafeChangeEnvironment(ctx, opts, {
    actor: opts.actor,
    commit: opts.commit,
    author: opts.author,
    commitTime: opts.commitTime,
  });
  const result = await runDeploy(env, {
    namespace: ctx.globals.namespace,
    environment: ctx.globals.environment,
    objects,
    image,
    deployment: opts.deployment,
    reason: opts.reason,
    dryRun: opts.dryRun,
    rollback: opts.rollback,
    ...watchSettings(opts),
  });
  if (result.dryRun) {
    return { data: dryRunData(result), render: () => renderDryRun(result, ctx.colors) };
  }
  const record = result.record!;
  const text = () => renderDeploy(result, ctx.colors);
  if (record.result === 'succeeded') return { data: record, render: text };
  await printOutcome(ctx, { data: record, render: text });
  if (record.result === 'rolled_back') {
    throw new RolledBackError(result.message, {
      hint: `The deploy is recorded as ${record.id}; see mobius-deploy history ${env.hintTargets?.ledger ?? `-n ${record.namespace}`}.`,
    });
  }
  throw new ActionRequiredError(result.message, {
    hint: result.nextSteps?.length ? `A person must act:\n  - ${result.nextSteps.join('\n  - ')}` : undefined,
  });
}
