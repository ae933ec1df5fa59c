/**
 * Who made a change and from which commit: from flags first, then the CI's environment variables
 * (GitHub Actions, GitLab CI, Jenkins, Azure Pipelines, generic), then the operator's machine.
 * Pure: the environment, user and host are passed in.
 */
import type { GitInfo } from './record.js';

export interface ProvenanceFlags {
  actor?: string;
  commit?: string;
  author?: string;
  /** ISO time of the commit. */
  commitTime?: string;
}

export interface Provenance {
  actor: string;
  /** `ci:github-actions`, `ci:gitlab`, `ci:jenkins`, `ci:azure-pipelines`, `ci`, or `local`. */
  source: string;
  git?: GitInfo;
}

export interface ProvenanceContext {
  env: Record<string, string | undefined>;
  user: string;
  host: string;
}

function first(...values: (string | undefined)[]): string | undefined {
  for (const v of values) if (v && v.trim() !== '') return v.trim();
  return undefined;
}

function ciSource(env: ProvenanceContext['env']): string {
  if (env.GITHUB_ACTIONS === 'true') return 'ci:github-actions';
  if (env.GITLAB_CI) return 'ci:gitlab';
  if (env.JENKINS_URL) return 'ci:jenkins';
  if (env.TF_BUILD) return 'ci:azure-pipelines';
  if (env.CI === 'true' || env.CI === '1') return 'ci';
  return 'local';
}

/** Resolves actor and git provenance for a record. */
export function resolveProvenance(flags: ProvenanceFlags, ctx: ProvenanceContext): Provenance {
  const { env } = ctx;
  const actor =
    first(
      flags.actor,
      env.MOBIUS_DEPLOY_ACTOR,
      env.GITHUB_ACTOR,
      env.GITLAB_USER_LOGIN,
      env.BUILD_REQUESTEDFOR,
      env.BUILD_USER_ID,
    ) ?? `${ctx.user}@${ctx.host}`;
  const commit = first(
    flags.commit,
    env.MOBIUS_GIT_COMMIT,
    env.GITHUB_SHA,
    env.CI_COMMIT_SHA,
    env.GIT_COMMIT,
    env.BUILD_SOURCEVERSION,
  );
  const author = first(flags.author, env.MOBIUS_GIT_AUTHOR, env.CI_COMMIT_AUTHOR, env.GIT_AUTHOR_NAME);
  const committedAtRaw = first(flags.commitTime, env.MOBIUS_GIT_COMMIT_TIME, env.CI_COMMIT_TIMESTAMP);
  const committedAt =
    committedAtRaw && !Number.isNaN(Date.parse(committedAtRaw))
      ? new Date(committedAtRaw).toISOString()
      : undefined;
  const ref = first(env.GITHUB_REF, env.CI_COMMIT_REF_NAME, env.GIT_BRANCH, env.BUILD_SOURCEBRANCH);
  const repository = first(env.GITHUB_REPOSITORY, env.CI_PROJECT_PATH);
  const git: GitInfo = {};
  if (commit) git.commit = commit;
  if (author) git.author = author;
  if (committedAt) git.committedAt = committedAt;
  if (ref) git.ref = ref;
  if (repository) git.repository = repository;
  return {
    actor,
    source: ciSource(env),
    ...(Object.keys(git).length ? { git } : {}),
  };
}

/** The default context from this process (environment, OS user and host). */
export async function processProvenanceContext(): Promise<ProvenanceContext> {
  const os = await import('node:os');
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = os.userInfo().username || user;
  } catch {
    // no passwd entry (containers): keep the environment's value
  }
  return { env: process.env, user, host: os.hostname() };
}
