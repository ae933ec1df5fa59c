/**
 * `build-push`: build the worker image with `docker buildx`, tag it for GHCR, optionally log in and
 * push, and answer the pushed digest. No printing here: progress goes to the given reporter and the
 * result is data; failures are CliErrors with a distinct sentence each.
 *
 * Order: validate flags → plan (owner, git revision, labels) → [dry run: stop] → docker on PATH →
 * buildx present → daemon up → login (token on stdin only) → build (and push) → digest.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError, ConfigError, ExitCode, UsageError } from '../../errors.js';
import {
  buildxBuildArgs,
  DockerNotFoundError,
  type DockerRunResult,
  formatCommand,
  imagetoolsInspectArgs,
  loginArgs,
  maskSecrets,
  parseBuildxVersion,
  runDocker,
  supportsAttestations,
} from '../../image/docker.js';
import { gitRemoteUrl, gitRevision } from '../../image/git.js';
import {
  IMAGE_NAME,
  imageRepository,
  type OwnerSource,
  parsePlatforms,
  REGISTRY,
  resolveOwner,
  sourceUrl,
  validateImageTag,
} from '../../image/image.js';

/** The build or the push itself failed (exit 1); the message carries docker's last stderr lines. */
export class ImageBuildError extends CliError {
  readonly exitCode = ExitCode.UNHEALTHY;
}

export const DEFAULT_PLATFORM = 'linux/amd64';

export interface BuildPushRequest {
  imageTag: string;
  push: boolean;
  /** Comma-separated list (default linux/amd64). */
  platform?: string;
  owner?: string;
  /** Build context (default: rootDir). */
  contextDir?: string;
  /** Login user (default $GITHUB_ACTOR, else the owner). */
  username?: string;
  dryRun: boolean;
  /** Repository root. */
  rootDir: string;
  env: NodeJS.ProcessEnv;
  now: () => number;
  progress?: { update(message: string): void; info(message: string): void };
}

export interface BuildPushResult {
  image: string;
  tags: string[];
  /** sha256 digest of the pushed image (or of the loaded image), null when unknown or dry run. */
  digest: string | null;
  platforms: string[];
  pushed: boolean;
  owner: string;
  ownerSource: OwnerSource;
  revision: string;
  created: string;
  dryRun: boolean;
  /** The docker commands run (or, with --dry-run, that would run), secrets masked. */
  commands: string[];
}

function tokenFrom(env: NodeJS.ProcessEnv): { token: string; source: string } | undefined {
  if (env.GHCR_TOKEN) return { token: env.GHCR_TOKEN, source: 'GHCR_TOKEN' };
  if (env.GITHUB_TOKEN) return { token: env.GITHUB_TOKEN, source: 'GITHUB_TOKEN' };
  return undefined;
}

function createdTime(env: NodeJS.ProcessEnv, now: () => number): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch))
    return new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stderrBlock(result: DockerRunResult, secrets: (string | undefined)[]): string {
  const lines = result.stderrTail.map((l) => maskSecrets(l, secrets));
  return lines.length ? `\nLast lines from docker:\n  ${lines.join('\n  ')}` : '';
}

/** Reads containerimage.digest from a buildx --metadata-file. */
export function digestFromMetadata(file: string): string | undefined {
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const digest = meta['containerimage.digest'];
    return typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `docker buildx imagetools inspect --format '{{json .Manifest}}'` output. */
export function digestFromInspect(stdout: string): string | undefined {
  try {
    const manifest = JSON.parse(stdout) as { digest?: unknown };
    return typeof manifest.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(manifest.digest)
      ? manifest.digest
      : undefined;
  } catch {
    const m = /sha256:[a-f0-9]{64}/.exec(stdout);
    return m?.[0];
  }
}

export async function runBuildPush(request: BuildPushRequest): Promise<BuildPushResult> {
  const { env } = request;
  const tag = validateImageTag(request.imageTag);
  const platforms = parsePlatforms(request.platform ?? DEFAULT_PLATFORM);
  if (platforms.length > 1 && !request.push) {
    throw new UsageError(
      `A multi-platform image (${platforms.join(', ')}) cannot be loaded into the local Docker: multi-platform images must be pushed.`,
      {
        hint: `Add --push to push it to ${REGISTRY}, or build one platform (--platform ${platforms[0]}) to load it locally.`,
      },
    );
  }
  const context = resolve(request.contextDir ?? request.rootDir);
  const dockerfile = join(context, 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new ConfigError(`There is no Dockerfile in the build context ${context}.`, {
      hint: 'Run build-push from the repository, or give --context-dir <dir> (the directory holding the Dockerfile).',
    });
  }
  const remoteUrl = await gitRemoteUrl(context, env);
  const { owner, source: ownerSource } = resolveOwner({ flag: request.owner, env, remoteUrl });
  const credentials = tokenFrom(env);
  if (request.push && !credentials && !request.dryRun) {
    throw new ConfigError(
      `--push needs a token to log in to ${REGISTRY}: set GHCR_TOKEN (a classic personal access token with write:packages) or GITHUB_TOKEN.`,
      {
        hint: 'In GitHub Actions, GITHUB_TOKEN with `permissions: packages: write` is enough; never put the token on the command line.',
      },
    );
  }
  const secrets = [credentials?.token];
  const mask = (s: string) => maskSecrets(s, secrets);
  const revision = (await gitRevision(context, env)) ?? env.GITHUB_SHA ?? 'unknown';
  const created = createdTime(env, request.now);
  const repository = imageRepository(owner);
  const image = `${repository}:${tag}`;
  const source = sourceUrl(env, remoteUrl);
  const username = request.username || env.GITHUB_ACTOR || owner;

  const buildArgs: Record<string, string> = { VERSION: tag, REVISION: revision, CREATED: created };
  if (source) buildArgs.SOURCE = source;
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': IMAGE_NAME,
    'org.opencontainers.image.version': tag,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.created': created,
  };
  if (source) labels['org.opencontainers.image.source'] = source;

  const workDir = request.dryRun ? undefined : mkdtempSync(join(tmpdir(), 'mobius-build-'));
  const metadataFile = join(workDir ?? tmpdir(), 'buildx-metadata.json');
  const result: BuildPushResult = {
    image,
    tags: [image],
    digest: null,
    platforms,
    pushed: false,
    owner,
    ownerSource,
    revision,
    created,
    dryRun: request.dryRun,
    commands: [],
  };
  const progress = request.progress;

  try {
    let attestations = request.push;
    if (!request.dryRun) {
      progress?.update('checking docker and buildx');
      const buildx = await checkDocker(env);
      attestations = request.push && supportsAttestations(buildx);
    }
    const plan = {
      context,
      dockerfile,
      tags: [image],
      platforms,
      buildArgs,
      labels,
      push: request.push,
      attestations,
      metadataFile,
    };
    const login = loginArgs(username);
    const build = buildxBuildArgs(plan);
    if (request.dryRun) {
      if (request.push) {
        result.commands.push(
          `${formatCommand(login)}  # token from ${credentials?.source ?? 'GHCR_TOKEN or GITHUB_TOKEN (not set)'} on stdin`,
        );
      }
      result.commands.push(formatCommand(build));
      return result;
    }

    if (request.push && credentials) {
      progress?.update(`logging in to ${REGISTRY} as ${username} (token from ${credentials.source})`);
      result.commands.push(formatCommand(login));
      const res = await runDocker(login, { env, stdin: `${credentials.token}\n` });
      if (res.code !== 0) {
        throw new ConfigError(
          `Logging in to ${REGISTRY} as ${username} failed (token from ${credentials.source}).${stderrBlock(res, secrets)}`,
          {
            hint: 'Check that the token is valid and may write packages (a classic token with write:packages; fine-grained tokens do not work with GHCR), and that --username matches it.',
          },
        );
      }
    }

    progress?.update(`building ${image} for ${platforms.join(', ')}${request.push ? ' and pushing' : ''}`);
    result.commands.push(mask(formatCommand(build)));
    const built = await runDocker(build, {
      env,
      cwd: context,
      tailLines: 20,
      onLine: (line) => progress?.update(mask(line)),
    });
    if (built.code !== 0) {
      const pushFailed =
        request.push &&
        built.stderrTail.some((l) =>
          /failed to push|push access denied|denied:|unauthorized|insufficient_scope|403 Forbidden/i.test(l),
        );
      throw new ImageBuildError(
        pushFailed
          ? `Pushing ${image} to ${REGISTRY} failed (docker exit code ${built.code}).${stderrBlock(built, secrets)}`
          : `Building ${image} failed (docker buildx build exit code ${built.code}).${stderrBlock(built, secrets)}`,
        {
          hint: pushFailed
            ? `The token needs write:packages on ${REGISTRY}/${owner}, and the package must allow this repository to write to it.`
            : 'Fix the error shown above (run `docker buildx build .` yourself to see the whole log).',
        },
      );
    }
    result.pushed = request.push;
    let digest = digestFromMetadata(metadataFile);
    if (!digest && request.push) {
      progress?.update(`asking ${REGISTRY} for the digest of ${image}`);
      const inspect = imagetoolsInspectArgs(image);
      result.commands.push(formatCommand(inspect));
      const res = await runDocker(inspect, { env });
      if (res.code === 0) digest = digestFromInspect(res.stdout);
    }
    result.digest = digest ?? null;
    return result;
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

/** docker on PATH, buildx installed, daemon running; answers the buildx version. */
async function checkDocker(env: NodeJS.ProcessEnv): Promise<[number, number, number] | undefined> {
  let buildx: DockerRunResult;
  try {
    buildx = await runDocker(['buildx', 'version'], { env });
  } catch (err) {
    if (err instanceof DockerNotFoundError) {
      throw new ConfigError(
        'docker was not found on PATH; install Docker (Docker Desktop, or Docker Engine with the buildx plugin) and try again.',
        { hint: 'https://docs.docker.com/get-docker/ — then `docker buildx version` must work.', cause: err },
      );
    }
    throw err;
  }
  if (buildx.code !== 0) {
    throw new ConfigError(
      `docker buildx is not available (\`docker buildx version\` failed); install the buildx plugin.${stderrBlock(buildx, [])}`,
      {
        hint: 'Docker Desktop includes it; on Linux install the docker-buildx-plugin package (https://docs.docker.com/build/install-buildx/).',
      },
    );
  }
  const info = await runDocker(['info', '--format', '{{.ServerVersion}}'], { env });
  if (info.code !== 0) {
    throw new ConfigError(
      `The Docker daemon is not running (\`docker info\` failed); start Docker and try again.${stderrBlock(info, [])}`,
      {
        hint: 'Start Docker Desktop, or `sudo systemctl start docker` on Linux; check DOCKER_HOST and your docker context.',
      },
    );
  }
  return parseBuildxVersion(buildx.stdout);
}
