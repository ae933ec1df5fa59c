/**
 * `mobius-deploy apply-manifests --env <env>`: render the environment and server-side apply every
 * object, printing created/configured/unchanged, without waiting for the rollout. Logic: run.ts
 * over kube/apply.ts; view: print.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand, runStateOf } from '../../cli/run-command.js';
import { UsageError } from '../../errors.js';
import type { ApplyManifestsResult } from './run.js';

export interface ApplyManifestsCommandOptions {
  imageTag?: string;
  dryRun: boolean;
  applicationOnly: boolean;
}

export const applyManifestsCommand = {
  register(program: Command): void {
    program
      .command('apply-manifests')
      .description(
        "Render the environment's objects (-e/--env) and server-side apply them (field manager mobius-deploy), printing whether each was created, configured or unchanged. Does not wait for the rollout, take the deploy lock, verify or record in the ledger: `deploy` does all of that.",
      )
      .option(
        '--image-tag <tag>',
        "apply this tag of the environment's image repository (default: the file's image.tag)",
      )
      .addOption(
        new Option(
          '--dry-run',
          'server-side dry run: the API server validates every object and nothing is stored',
        ).default(false),
      )
      .addOption(
        new Option(
          '--application-only',
          'leave out the bootstrap objects a cluster admin applies once (Namespace, deployer ServiceAccount, Role, RoleBinding)',
        ).default(false),
      )
      .addHelpText(
        'after',
        `
-o json prints { environment, namespace, image, dryRun, objects: [{ ref, kind, name, action, note? }], counts }.
Exit codes: 0 applied; 2 bad flags or environment; 5 cluster unreachable or access denied.

Examples:
  mobius-deploy apply-manifests --env staging
  mobius-deploy apply-manifests -e production --image-tag 1.4.2 --dry-run
  mobius-deploy apply-manifests -e staging --application-only -o json`,
      )
      .action(
        runCommand<ApplyManifestsCommandOptions>(async (ctx, opts) => {
          const environment = ctx.globals.environment;
          if (!environment) {
            throw new UsageError('apply-manifests needs an environment: give -e/--env <name>.', {
              hint: 'For example: mobius-deploy apply-manifests --env staging',
            });
          }
          const [{ runApplyManifests }, { renderApplyManifests }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
          ]);
          const result = await runApplyManifests(
            {
              kube: () => ctx.kube(),
              progress: (message) => ctx.progress().update(message),
            },
            {
              environment,
              rootDir: runStateOf(ctx.command).rootDir,
              imageTag: opts.imageTag,
              applicationOnly: opts.applicationOnly,
              dryRun: opts.dryRun,
              namespaceFlag: ctx.globals.namespaceSource === 'flag' ? ctx.globals.namespace : undefined,
            },
          );
          return { data: result, render: (d: ApplyManifestsResult) => renderApplyManifests(d, ctx.colors) };
        }),
      );
  },
};
