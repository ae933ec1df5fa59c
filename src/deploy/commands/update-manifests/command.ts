/**
 * `mobius-deploy update-manifests --env <env> --image-tag <tag>`: set image.tag in the environment file
 * (comments and formatting kept) and re-render k8s/<env>/. Logic: run.ts; view: print.ts.
 */
import type { Command } from 'commander';
import { runCommand, runStateOf } from '../../cli/run-command.js';
import { UsageError } from '../../errors.js';

export const updateManifestsCommand = {
  register(program: Command): void {
    program
      .command('update-manifests')
      .description(
        'Set the image tag in deploy/environments/<env>.yaml (-e/--env; comments and formatting are kept) and re-render the committed manifests in k8s/<env>/ (as `npm run render:k8s` does). Talks to no cluster.',
      )
      .option('--image-tag <tag>', 'the new image tag (required)')
      .addHelpText(
        'after',
        `
Nothing is written when the tag is not a valid image tag or the result does not validate; when the file
already has the tag, nothing changes (and it says so).
-o json prints { environment, file, previousTag, imageTag, image, changed, rendered, removed }.

Examples:
  mobius-deploy update-manifests --env staging --image-tag 1.4.2
  mobius-deploy update-manifests -e production --image-tag sha-3f2a9c1 -o json`,
      )
      .action(
        runCommand<{ imageTag?: string }>(async (ctx, opts) => {
          const environment = ctx.globals.environment;
          if (!environment) {
            throw new UsageError('update-manifests needs an environment: give -e/--env <name>.', {
              hint: 'For example: mobius-deploy update-manifests --env staging --image-tag 1.4.2',
            });
          }
          if (opts.imageTag === undefined || opts.imageTag === '') {
            throw new UsageError('update-manifests needs --image-tag <tag>.', {
              hint: `For example: mobius-deploy update-manifests --env ${environment} --image-tag 1.4.2`,
            });
          }
          const [{ updateManifests }, { renderUpdateManifests }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
          ]);
          const result = updateManifests({
            environment,
            imageTag: opts.imageTag,
            rootDir: runStateOf(ctx.command).rootDir ?? process.cwd(),
          });
          return { data: result, render: renderUpdateManifests };
        }),
      );
  },
};
