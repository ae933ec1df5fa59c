/**
 * `podman build` of the real Dockerfile, as build-push.yml's buildx builds it, with two differences
 * that only this machine needs (both are build args the Dockerfile already declares; GitHub passes
 * neither, so there they are empty or the default):
 *   - NODE_IMAGE names the local base (base-image.ts) instead of Docker Hub's node image;
 *   - NODE_EXTRA_CA_CERTS names the CA bundle of the TLS proxy this machine reaches the npm registry
 *     through (npm ci fails with "Exit handler never called!" without it): a copy of it in a
 *     directory of its own, mounted read-only at /mnt for every RUN. /mnt is in every Debian image,
 *     so the mount point adds nothing to a layer; a file mounted at a path the image lacks (such as
 *     /etc/ssl/certs/ca-certificates.crt) stays behind in the layer as an empty file.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeEnd, runSync, tail } from './exec.js';
import { buildStep, CONTAINER_ULIMITS, podman } from './podman.js';
import type { Progress } from './progress.js';

export class BuildError extends Error {}

export interface BuildInputs {
  /** repository root: the build context and its Dockerfile */
  context: string;
  tag: string;
  version: string;
  revision: string;
  created: string;
  nodeImage: string;
  /** a host directory holding a copy of the CA bundle for the build's npm (when NODE_EXTRA_CA_CERTS is set) */
  caDir?: { dir: string; file: string };
}

/** Where the build's RUN steps see the CA directory: a directory every Debian image has, empty. */
export const CA_MOUNT_POINT = '/mnt';

/** The `podman build` arguments (pure; unit-tested). */
export function podmanBuildArgs(b: BuildInputs): string[] {
  // docker format, as buildx writes it: OCI image configs have no HEALTHCHECK, which podman would drop
  const args = [
    'build',
    ...CONTAINER_ULIMITS,
    '--format',
    'docker',
    '--layers',
    '--file',
    `${b.context}/Dockerfile`,
    '--tag',
    b.tag,
  ];
  const buildArgs: Record<string, string> = {
    NODE_IMAGE: b.nodeImage,
    VERSION: b.version,
    REVISION: b.revision,
    CREATED: b.created,
  };
  if (b.caDir) buildArgs.NODE_EXTRA_CA_CERTS = `${CA_MOUNT_POINT}/${b.caDir.file}`;
  for (const [k, v] of Object.entries(buildArgs)) args.push('--build-arg', `${k}=${v}`);
  if (b.caDir) args.push('--volume', `${b.caDir.dir}:${CA_MOUNT_POINT}:ro`);
  args.push(b.context);
  return args;
}

/** The revision and commit time of the checkout (the build's REVISION and CREATED). */
export function gitFacts(root: string): { revision: string; created: string } {
  const rev = runSync('git', ['rev-parse', 'HEAD'], { cwd: root });
  const when = runSync('git', ['log', '-1', '--format=%cd', '--date=format-local:%Y-%m-%dT%H:%M:%SZ'], {
    cwd: root,
    env: { ...process.env, TZ: 'UTC' },
  });
  if (rev.code !== 0 || when.code !== 0) {
    throw new BuildError(
      `git cannot tell this checkout's commit (${describeEnd(rev)}): run it in a git clone`,
    );
  }
  return { revision: rev.stdout.trim(), created: when.stdout.trim() };
}

/**
 * The CA bundle of NODE_EXTRA_CA_CERTS, copied into `<cacheDir>/build-ca/` for the build to mount
 * (undefined when the variable is unset).
 */
export function caDirFrom(env: NodeJS.ProcessEnv, cacheDir: string): BuildInputs['caDir'] {
  const path = env.NODE_EXTRA_CA_CERTS?.trim();
  if (!path) return undefined;
  if (!path.startsWith('/') || !existsSync(path)) {
    throw new BuildError(`NODE_EXTRA_CA_CERTS=${path} is not an absolute path to a file`);
  }
  const dir = join(cacheDir, 'build-ca');
  mkdirSync(dir, { recursive: true });
  copyFileSync(path, join(dir, 'ca-certificates.crt'));
  return { dir, file: 'ca-certificates.crt' };
}

export async function buildImage(b: BuildInputs, logFile: string, progress: Progress): Promise<number> {
  const started = Date.now();
  let step = 'starting';
  let lastReport = Date.now();
  let cached = 0;
  const timer = setInterval(() => {
    if (Date.now() - lastReport >= 15_000) {
      lastReport = Date.now();
      progress.info(`still building (${Math.round((Date.now() - started) / 1000)} s): ${step}`);
    }
  }, 1000);
  try {
    const r = await podman.stream(podmanBuildArgs(b), {
      logFile,
      timeoutMs: 30 * 60_000,
      onLine(line) {
        if (/^--> Using cache /.test(line)) cached++;
        const s = buildStep(line);
        if (s) {
          step = s;
          if (Date.now() - lastReport >= 5_000) {
            lastReport = Date.now();
            progress.info(s);
          }
        }
      },
    });
    if (r.code !== 0) {
      throw new BuildError(
        `podman build ${describeEnd(r)} at ${step}; the end of its output (all of it in ${logFile}):\n${tail(`${r.stdout}\n${r.stderr}`, 25)}`,
      );
    }
    return cached;
  } finally {
    clearInterval(timer);
  }
}
