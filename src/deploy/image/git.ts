/**
 * Git metadata for image labels: the commit (`git rev-parse HEAD`) and the `origin` remote URL.
 * Spawned with argument arrays; a missing git or a directory outside a repository gives undefined.
 */
import { execFile } from 'node:child_process';

function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env, timeout: 15_000, windowsHide: true }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim() || undefined);
    });
  });
}

/** The full commit hash of HEAD in `cwd`, or undefined outside a git work tree. */
export async function gitRevision(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const rev = await git(['rev-parse', 'HEAD'], cwd, env);
  return rev && /^[0-9a-f]{40,64}$/.test(rev) ? rev : undefined;
}

/** `git remote get-url origin` in `cwd`, or undefined. */
export function gitRemoteUrl(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return git(['remote', 'get-url', 'origin'], cwd, env);
}
