/**
 * Names of the container image that `build-push` makes: the GHCR repository
 * `ghcr.io/<owner lower-cased>/mobius-preview-worker`, tag validation (Docker's tag grammar),
 * the repository owner (flag, $GITHUB_REPOSITORY_OWNER, or the git remote `origin`), and platforms.
 * Pure functions: no processes, no printing.
 */
import { UsageError } from '../errors.js';

export const REGISTRY = 'ghcr.io';
export const IMAGE_NAME = 'mobius-preview-worker';

/** Docker's tag grammar: `[\w][\w.-]{0,127}` (distribution/reference). */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Throws a UsageError (exit 2) naming the rule when `tag` is not a valid image tag. */
export function validateImageTag(tag: string, flag = '--image-tag'): string {
  if (!TAG_RE.test(tag)) {
    throw new UsageError(
      `${flag} ${JSON.stringify(tag)} is not a valid image tag: use 1 to 128 letters, digits, "_", "." and "-", not starting with "." or "-".`,
      { hint: 'For example: --image-tag 1.4.2, --image-tag sha-3f2a9c1 or --image-tag main' },
    );
  }
  return tag;
}

/** GitHub owner names: letters, digits and single hyphens (at most 39 characters). */
const OWNER_RE = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

export function validateOwner(owner: string, source: string): string {
  if (!OWNER_RE.test(owner)) {
    throw new UsageError(
      `${JSON.stringify(owner)} (from ${source}) is not a GitHub user or organisation name: up to 39 letters, digits and single hyphens.`,
    );
  }
  return owner;
}

/** Owner and repository name from a GitHub remote URL (https, ssh or scp-like); undefined otherwise. */
export function parseGitHubRemote(url: string): { owner: string; repo: string } | undefined {
  const trimmed = url.trim();
  const m =
    /^(?:https?:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com(?::\d+)?\/|git@github\.com:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(
      trimmed,
    );
  if (!m) return undefined;
  return { owner: m[1]!, repo: m[2]! };
}

export type OwnerSource = '--owner' | 'GITHUB_REPOSITORY_OWNER' | 'git remote origin';

export interface OwnerInputs {
  flag?: string;
  env: NodeJS.ProcessEnv;
  /** `git remote get-url origin`, when there is one. */
  remoteUrl?: string;
}

/** The image owner: --owner, else $GITHUB_REPOSITORY_OWNER, else the owner in the origin remote URL. */
export function resolveOwner(inputs: OwnerInputs): { owner: string; source: OwnerSource } {
  if (inputs.flag !== undefined && inputs.flag !== '') {
    return { owner: validateOwner(inputs.flag, '--owner').toLowerCase(), source: '--owner' };
  }
  const fromEnv = inputs.env.GITHUB_REPOSITORY_OWNER;
  if (fromEnv) {
    return {
      owner: validateOwner(fromEnv, '$GITHUB_REPOSITORY_OWNER').toLowerCase(),
      source: 'GITHUB_REPOSITORY_OWNER',
    };
  }
  const remote = inputs.remoteUrl ? parseGitHubRemote(inputs.remoteUrl) : undefined;
  if (remote) {
    return {
      owner: validateOwner(remote.owner, 'git remote origin').toLowerCase(),
      source: 'git remote origin',
    };
  }
  throw new UsageError(
    'Cannot tell which GitHub owner the image belongs to: give --owner <user-or-org> (or set GITHUB_REPOSITORY_OWNER, or add a github.com remote named origin).',
    { hint: `The image is pushed as ${REGISTRY}/<owner>/${IMAGE_NAME}:<tag>.` },
  );
}

/** `ghcr.io/<owner>/mobius-preview-worker` (owner lower-cased: registries require lower case). */
export function imageRepository(owner: string): string {
  return `${REGISTRY}/${owner.toLowerCase()}/${IMAGE_NAME}`;
}

/** The repository's web address for the org.opencontainers.image.source label, when known. */
export function sourceUrl(env: NodeJS.ProcessEnv, remoteUrl: string | undefined): string | undefined {
  if (env.GITHUB_REPOSITORY && /^[^/\s]+\/[^/\s]+$/.test(env.GITHUB_REPOSITORY)) {
    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, '');
    return `${server}/${env.GITHUB_REPOSITORY}`;
  }
  const remote = remoteUrl ? parseGitHubRemote(remoteUrl) : undefined;
  return remote ? `https://github.com/${remote.owner}/${remote.repo}` : undefined;
}

const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

/** `linux/amd64,linux/arm64` → ['linux/amd64', 'linux/arm64'] (validated, de-duplicated). */
export function parsePlatforms(value: string): string[] {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (list.length === 0) throw new UsageError('--platform needs at least one platform such as linux/amd64.');
  for (const p of list) {
    if (!PLATFORM_RE.test(p)) {
      throw new UsageError(
        `--platform ${JSON.stringify(p)} is not a platform: use os/arch[/variant] such as linux/amd64 or linux/arm64, comma-separated.`,
      );
    }
  }
  return [...new Set(list)];
}
