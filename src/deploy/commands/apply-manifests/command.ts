/**
 * `mobius-deploy apply-manifests --env <env>`: render the environment and server-side apply every
 * object, printing created/configured/unchanged, without waiting for the rollout. Logic:
 * actions/apply-manifests.ts over kube/apply.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand, runStateOf } from '../../cli/run-command.js';
import { UsageError } from '../../errors.js';
import type { Colors } from '../../output/color.js';
import type { ApplyManifestsResult } from './run.js';

export interface ApplyManifestsCommandOptions {
  imageTag?: string;
  dryRun: boolean;
  applicationOnly: boolean;
}

export function renderApplyManifests(r: ApplyManifestsResult, c: Colors): string {
  const verb = (a: string) => {
    const word = r.dryRun ? `${a} (server dry run)` : a;
    if (a === 'created') return c.green(word);
    if (a === 'configured') return c.yellow(word);
    return c.dim(word);
  };
  const width = Math.max(0, ...r.objects.map((o) => o.ref.length));
  const lines = r.objects.map(
    (o) => `${o.ref.padEnd(width)}  ${verb(o.action)}${o.note ? c.dim(` (${o.note})`) : ''}`,
  );
  const { created, configured, unchanged, skipped } = r.counts;
  lines.push(
    '',
    `${r.dryRun ? 'Dry run: nothing was changed. ' : ''}${created} created, ${configured} configured, ${unchanged} unchanged, ${skipped} skipped in namespace ${r.namespace} (image ${r.image}).`,
  );
  if (!r.dryRun) {
    lines.push(
      `Not waited for: follow the rollout with \`mobius-deploy status -n ${r.namespace}\` and check it with \`mobius-deploy verify -n ${r.namespace}\`.`,
    );
  }
  return `${lines.join('\n')}\n`;
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
          const [{ renderManifests }, { applyManifests }] = await Promise.all([
            import('../render/run.js'),
            import('./run.js'),
          ]);
          if (opts.imageTag !== undefined) {
            const { validateImageTag } = await import('../../image/image.js');
            validateImageTag(opts.imageTag);
          }
          const rendered = renderManifests({
            environment,
            rootDir: runStateOf(ctx.command).rootDir,
            imageTag: opts.imageTag,
            applicationOnly: opts.applicationOnly,
          });
          if (ctx.globals.namespaceSource === 'flag' && ctx.globals.namespace !== rendered.namespace) {
            throw new UsageError(
              `-n ${ctx.globals.namespace} disagrees with environment ${environment}, whose objects live in namespace ${rendered.namespace}.`,
              { hint: 'Leave out -n: the environment file names the namespace.' },
            );
          }
          const kube = await ctx.kube();
          ctx
            .progress()
            .update(`applying ${rendered.objects.length} objects to namespace ${rendered.namespace}`);
          const result = await applyManifests(kube, {
            objects: rendered.objects as unknown as import('../../kube/apply.js').KubeObject[],
            dryRun: opts.dryRun,
            environment: rendered.environment,
            namespace: rendered.namespace,
            image: rendered.image,
          });
          return { data: result, render: (d: ApplyManifestsResult) => renderApplyManifests(d, ctx.colors) };
        }),
      );
  },
};
