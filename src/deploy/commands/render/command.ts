/**
 * `mobius-deploy render --env <name>`: print the environment's Kubernetes objects (multi-document YAML,
 * or a `kind: List` with -o json), or write one file per object with --out-dir. Changes nothing in a
 * cluster and needs no kubeconfig. Logic: manifests/render.ts (and run.ts for
 * --out-dir); view: print.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand, runStateOf } from '../../cli/run-command.js';
import { UsageError } from '../../errors.js';

export interface RenderCommandOptions {
  imageTag?: string;
  image?: string;
  outDir?: string;
  applicationOnly: boolean;
}

export const renderCommand = {
  register(program: Command): void {
    program
      .command('render')
      .description(
        "Print the Kubernetes objects of an environment (deploy/environments/<name>.yaml, chosen with -e/--env): Namespace, ServiceAccounts, the deployer's Role and RoleBinding, ConfigMap, PVC, Service, Deployment, HPA, PDB, NetworkPolicy, ServiceMonitor and PrometheusRule, in apply order. Secrets are referenced, never rendered. Talks to no cluster.",
      )
      .option('--image-tag <tag>', "render this tag of the environment's image repository")
      .option('--image <ref>', 'render this full image reference (REPOSITORY:TAG or ...@sha256:DIGEST)')
      .option(
        '--out-dir <dir>',
        'write one file per object (NN-kind-name.yaml) into this directory instead of printing',
      )
      .addOption(
        new Option(
          '--application-only',
          'leave out the bootstrap objects a cluster admin applies once (Namespace, mobius-deployer ServiceAccount, Role, RoleBinding)',
        ).default(false),
      )
      .addHelpText(
        'after',
        `
Output: multi-document YAML (default and -o yaml); -o json prints a "kind: List" of the objects.
With --out-dir, prints the files written (-o json: { "dir", "files", "removed" }).
The committed copies in k8s/<env>/ are rewritten with \`npm run render:k8s\`.

Examples:
  mobius-deploy render --env production
  mobius-deploy render -e staging --image-tag 1.4.2 | kubectl diff -f -
  mobius-deploy render -e production -o json | jq '.items[].kind'
  mobius-deploy render -e production --out-dir /tmp/production`,
      )
      .action(
        runCommand<RenderCommandOptions>(async (ctx, opts) => {
          const environment = ctx.globals.environment;
          if (!environment) {
            throw new UsageError(
              'render needs an environment: give -e/--env <name> (a file in deploy/environments/).',
              {
                hint: 'For example: mobius-deploy render --env production',
              },
            );
          }
          if (opts.image !== undefined && opts.imageTag !== undefined) {
            throw new UsageError('Give either --image or --image-tag, not both.');
          }
          const [{ renderManifests }, { writeManifestDir }, print, { toKubernetesList }, { formatJson }] =
            await Promise.all([
              import('../../manifests/render.js'),
              import('./run.js'),
              import('./print.js'),
              import('../../manifests/index.js'),
              import('../../output/format.js'),
            ]);
          const result = renderManifests({
            environment,
            rootDir: runStateOf(ctx.command).rootDir,
            imageTag: opts.imageTag,
            image: opts.image,
            applicationOnly: opts.applicationOnly,
          });
          if (opts.outDir !== undefined) {
            const written = writeManifestDir(result, opts.outDir);
            if (ctx.globals.output === 'table') {
              if (!ctx.globals.quiet) ctx.io.stdout.write(print.renderWritten(written));
              return 0;
            }
            return { data: written };
          }
          // The manifests are the data: printed even with -q.
          if (ctx.globals.output === 'json')
            ctx.io.stdout.write(formatJson(toKubernetesList(result.objects)));
          else ctx.io.stdout.write(print.renderYaml(result));
          return 0;
        }),
      );
  },
};
