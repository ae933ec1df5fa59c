/**
 * `mobius-deploy registry-secret rotate --from-env GHCR_TOKEN`: writes the GHCR image pull Secret
 * (kubernetes.io/dockerconfigjson) from a token in an environment variable, stamps the rotation time,
 * and verifies the stored Secret. The token is never a flag value and is never printed.
 * Logic: run.ts and image/pull-secret.ts; the view: print.ts.
 */
import { type Command, Option } from 'commander';
import { parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { ConfigError } from '../../errors.js';
import { REGISTRY } from '../../image/image.js';
import { DEFAULT_MAX_TOKEN_AGE_DAYS, DEFAULT_PULL_SECRET } from '../../image/pull-secret.js';

interface RotateOptions {
  fromEnv: string;
  username?: string;
  name: string;
  server: string;
  maxTokenAge: number;
  actor?: string;
}

export const registrySecretCommand = {
  register(program: Command): void {
    const group = program
      .command('registry-secret')
      .description('Manage the image pull Secret for the container registry (GHCR)')
      .addHelpText(
        'after',
        `
Examples:
  read -rs GHCR_TOKEN && export GHCR_TOKEN      # paste the token; nothing is echoed
  mobius-deploy registry-secret rotate -e production --from-env GHCR_TOKEN --username mobius-bot
  mobius-deploy registry-secret rotate --help`,
      );
    group
      .command('rotate')
      .description(
        'Write (create or replace) the kubernetes.io/dockerconfigjson pull Secret from a token in an environment variable, stamp the rotation time, and verify it',
      )
      .requiredOption(
        '--from-env <VAR>',
        'NAME of the environment variable holding the token (the token itself is never accepted as a flag)',
      )
      .option('--username <user>', 'registry user name (default: $GHCR_USERNAME, else $GITHUB_ACTOR)')
      .option('--name <secret>', 'Secret name', DEFAULT_PULL_SECRET)
      .option('--server <host>', 'registry host (the auths key)', REGISTRY)
      .addOption(
        new Option(
          '--max-token-age <days>',
          'rotation policy in days (stamped on the Secret; doctor checks it)',
        )
          .argParser(parsePositiveInt)
          .default(DEFAULT_MAX_TOKEN_AGE_DAYS),
      )
      .option('--actor <name>', 'who rotates (default: $MOBIUS_DEPLOY_ACTOR, the CI actor, or user@host)')
      .addHelpText(
        'after',
        `
The token is read from the environment variable only, never printed, and never included in errors
or -v logs. The Secret gets annotations mobius.dev/rotated-at, mobius.dev/rotated-by and
mobius.dev/rotation-max-age-days; \`mobius-deploy doctor\` warns when it is older than the policy.

-o json: { namespace, name, server, username, action: created|rotated, rotatedAt, rotatedBy,
  previousRotatedAt?, maxAgeDays, nextDueAt, verified, checks: [ {name, ok, detail} ] }
Exit codes: 0 written and verified; 1 written but the read-back check failed; 2 no token / bad flags.

Examples:
  read -rs GHCR_TOKEN && export GHCR_TOKEN      # paste the token; nothing is echoed
  mobius-deploy registry-secret rotate -e production --from-env GHCR_TOKEN --username mobius-bot
  mobius-deploy registry-secret rotate -n staging --from-env GHCR_TOKEN --name ghcr-pull -o json`,
      )
      .action(
        runCommand<RotateOptions>(async (ctx, opts) => {
          const [act, ledgerMod, { renderRotate }] = await Promise.all([
            import('./run.js'),
            import('../../ledger/provenance.js'),
            import('./print.js'),
          ]);
          const token = act.readTokenFromEnv(opts.fromEnv, ctx.io.env);
          const username = (
            opts.username ??
            ctx.io.env.GHCR_USERNAME ??
            ctx.io.env.GITHUB_ACTOR ??
            ''
          ).trim();
          if (!username) {
            throw new ConfigError('No registry user name: pass --username (or set GHCR_USERNAME).', {
              hint: 'For GHCR, the GitHub user (or bot) that owns the token.',
            });
          }
          if (username.includes(':')) throw new ConfigError('--username must not contain ":".');
          const pctx = await ledgerMod.processProvenanceContext();
          const { actor } = ledgerMod.resolveProvenance({ actor: opts.actor }, { ...pctx, env: ctx.io.env });
          ctx.debug(
            `rotating secret ${opts.name} in ${ctx.globals.namespace} for ${opts.server} (token from $${opts.fromEnv}, ${token.length} characters)`,
          );
          const result = await act.rotateRegistrySecret(await ctx.kube(), {
            namespace: ctx.globals.namespace,
            name: opts.name,
            server: opts.server,
            username,
            token,
            actor,
            maxAgeDays: opts.maxTokenAge,
            now: ctx.now,
          });
          return { data: result, exitCode: result.verified ? 0 : 1, render: () => renderRotate(result) };
        }),
      );
  },
};
