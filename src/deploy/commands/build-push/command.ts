/**
 * `mobius-deploy build-push --image-tag <tag> [--push]`: build the worker image with docker buildx
 * and tag it ghcr.io/<owner>/mobius-preview-worker:<tag>; with --push, log in (token on stdin) and
 * push, printing the digest. Logic: run.ts over image/; view: print.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand, runStateOf } from '../../cli/run-command.js';
import { UsageError } from '../../errors.js';
import type { BuildPushRequest } from './run.js';

/** The flags: the request's own fields (--image-tag may be missing until checked). */
export type BuildPushCommandOptions = Pick<
  BuildPushRequest,
  'push' | 'platform' | 'owner' | 'contextDir' | 'username' | 'dryRun'
> & { imageTag?: string };

export const buildPushCommand = {
  register(program: Command): void {
    program
      .command('build-push')
      .description(
        'Build the worker image with docker buildx and tag it ghcr.io/<owner>/mobius-preview-worker:<tag> (OCI labels with the git commit); with --push, log in to GHCR with $GHCR_TOKEN or $GITHUB_TOKEN (through --password-stdin), push with SBOM and provenance attestations, and print the pushed digest.',
      )
      .option('--image-tag <tag>', 'image tag to build (letters, digits, "_", "." and "-"; required)')
      .addOption(
        new Option('--push', 'log in to ghcr.io and push (needs GHCR_TOKEN or GITHUB_TOKEN)').default(false),
      )
      .option('--platform <list>', 'platforms, comma-separated (default linux/amd64; several need --push)')
      .option(
        '--owner <name>',
        'GitHub user or organisation owning the image (default: $GITHUB_REPOSITORY_OWNER, else the origin remote)',
      )
      .option('--context-dir <dir>', 'build context holding the Dockerfile (default: the repository root)')
      .option('--username <name>', 'user for docker login (default: $GITHUB_ACTOR, else the owner)')
      .addOption(new Option('--dry-run', 'print the docker commands instead of running them').default(false))
      .addHelpText(
        'after',
        `
The token is read from GHCR_TOKEN or GITHUB_TOKEN and written to \`docker login --password-stdin\`; it is
never put on a command line or printed. For GHCR use a classic token with write:packages (fine-grained
tokens do not work with GHCR); in GitHub Actions GITHUB_TOKEN with packages: write is enough.
-o json prints { image, tags, digest, platforms, pushed, owner, revision, created, dryRun, commands }.
Exit codes: 0 built (and pushed); 1 the build or push failed; 2 bad flags, docker/buildx missing,
the Docker daemon down, or the login failed.

Examples:
  mobius-deploy build-push --image-tag 1.4.2 --owner mobius-org
  read -rs GHCR_TOKEN && export GHCR_TOKEN      # paste the token; nothing is echoed
  mobius-deploy build-push --image-tag 1.4.2 --push --platform linux/amd64,linux/arm64
  mobius-deploy build-push --image-tag 1.4.2 --push --dry-run -o json`,
      )
      .action(
        runCommand<BuildPushCommandOptions>(async (ctx, opts) => {
          if (opts.imageTag === undefined || opts.imageTag === '') {
            throw new UsageError('build-push needs --image-tag <tag>.', {
              hint: 'For example: mobius-deploy build-push --image-tag 1.4.2 --push',
            });
          }
          const [{ runBuildPush }, { renderBuildPush }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
          ]);
          const progress = ctx.progress();
          const result = await runBuildPush({
            imageTag: opts.imageTag,
            push: opts.push,
            platform: opts.platform,
            owner: opts.owner,
            contextDir: opts.contextDir,
            username: opts.username,
            dryRun: opts.dryRun,
            rootDir: runStateOf(ctx.command).rootDir ?? process.cwd(),
            env: ctx.io.env,
            now: ctx.now,
            progress,
          });
          if (!result.dryRun) {
            progress.succeed(result.pushed ? `pushed ${result.image}` : `built ${result.image}`);
          }
          return { data: result, render: renderBuildPush };
        }),
      );
  },
};
