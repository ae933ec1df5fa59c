/**
 * Builds (once) the local base image that stands in for the Dockerfile's NODE_IMAGE; what goes into
 * it is test/image/recipe.ts. Cached twice, both keyed by the versions (recipe.baseImageKey):
 *   - podman's image store: localhost/mobius-node-base:<key>; when it is there nothing is done;
 *   - <tools dir>/image/: the registry tarballs (checked against the registry's sha512 integrity
 *     when fetched, and against the recorded one when reused) and the root file system as
 *     mobius-node-base-<key>.tar, which is imported again when podman's store was emptied.
 * Work happens in a directory of its own and is renamed into place, so an interrupted build leaves
 * nothing that a later run would trust.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describeEnd, runStreaming, runSync, tail } from './exec.js';
import { podman } from './podman.js';
import type { Progress } from './progress.js';
import {
  type BaseRecipe,
  baseImageChanges,
  baseImageKey,
  baseImageName,
  bundledNpmVersion,
  DOCKER_ENTRYPOINT,
  debianSources,
  integrityProblem,
  parseNodeImage,
  platformOf,
  SLIM_CONFIG,
  SLIM_REMOVE,
} from './recipe.js';

export class BaseImageError extends Error {}

export interface BaseImageOptions {
  /** the Dockerfile's NODE_IMAGE default (node:20.20.2-bookworm-slim) */
  nodeImage: string;
  /** <tools dir>/image */
  cacheDir: string;
  /** Debian mirror for debootstrap and the image's sources (MOBIUS_DEBIAN_MIRROR) */
  mirror: string;
  securityMirror: string;
  progress: Progress;
  arch?: string;
}

export interface BaseImage {
  name: string;
  recipe: BaseRecipe;
  /** how it was had: already in podman's store, imported from the cached tar, or built now */
  source: 'podman store' | 'cached tar' | 'built';
}

interface Fetched {
  file: string;
  integrity: string;
}

/** A package tarball from the npm registry, verified against the registry's metadata. */
function registryTarball(dir: string, name: string, version: string, progress: Progress): Fetched {
  const file = join(dir, `${name}-${version}.tgz`);
  const record = `${file}.integrity`;
  if (existsSync(file) && existsSync(record)) {
    const integrity = readFileSync(record, 'utf8').trim();
    const problem = integrityProblem(readFileSync(file), integrity, `${name}@${version} (cached)`);
    if (!problem) return { file, integrity };
    progress.info(`${problem}; fetching it again`);
  }
  mkdirSync(dir, { recursive: true });
  const view = runSync('npm', ['view', `${name}@${version}`, 'dist', '--json'], { cwd: dir });
  if (view.code !== 0) {
    throw new BaseImageError(
      `npm view ${name}@${version} ${describeEnd(view)} (is the npm registry reachable?):\n${tail(view.stderr, 8)}`,
    );
  }
  const dist = JSON.parse(view.stdout) as { integrity?: string; tarball?: string };
  progress.info(`fetching ${name}@${version} from the npm registry (${dist.tarball ?? 'tarball'})`);
  const work = join(dir, `.pack-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    const pack = runSync('npm', ['pack', `${name}@${version}`, '--pack-destination', work, '--json'], {
      cwd: work,
    });
    if (pack.code !== 0) {
      throw new BaseImageError(`npm pack ${name}@${version} ${describeEnd(pack)}:\n${tail(pack.stderr, 8)}`);
    }
    const [packed] = JSON.parse(pack.stdout) as { filename: string }[];
    const bytes = readFileSync(join(work, packed!.filename));
    const problem = integrityProblem(bytes, dist.integrity, `${name}@${version}`);
    if (problem) throw new BaseImageError(problem);
    renameSync(join(work, packed!.filename), file);
    writeFileSync(record, `${dist.integrity}\n`);
    return { file, integrity: dist.integrity! };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function must(program: string, args: string[], what: string): string {
  const r = runSync(program, args, { env: { PATH: process.env.PATH, LC_ALL: 'C' } });
  if (r.code !== 0)
    throw new BaseImageError(`${what}: ${program} ${describeEnd(r)}:\n${tail(r.stderr || r.stdout, 10)}`);
  return r.stdout;
}

/** The recipe for this Dockerfile's NODE_IMAGE on this machine, fetching the Node.js tarball to read it. */
export function resolveRecipe(opts: BaseImageOptions): { recipe: BaseRecipe; nodeTarball: Fetched } {
  const ref = parseNodeImage(opts.nodeImage);
  const platform = platformOf(opts.arch ?? process.arch);
  const downloads = join(opts.cacheDir, 'downloads');
  const nodeTarball = registryTarball(downloads, platform.nodePackage, ref.nodeVersion, opts.progress);
  const changelog = must('tar', ['-xzOf', nodeTarball.file, 'package/CHANGELOG.md'], 'reading CHANGELOG.md');
  const npmVersion = bundledNpmVersion(changelog);
  if (!npmVersion) {
    throw new BaseImageError(
      `${platform.nodePackage}@${ref.nodeVersion}'s CHANGELOG.md names no bundled npm version`,
    );
  }
  return {
    recipe: { nodeVersion: ref.nodeVersion, npmVersion, suite: ref.suite, debianArch: platform.debianArch },
    nodeTarball,
  };
}

export async function ensureBaseImage(opts: BaseImageOptions): Promise<BaseImage> {
  const { recipe, nodeTarball } = resolveRecipe(opts);
  const name = baseImageName(recipe);
  if (podman.imageExists(name)) return { name, recipe, source: 'podman store' };
  const key = baseImageKey(recipe);
  const tar = join(opts.cacheDir, `mobius-node-base-${key}.tar`);
  const changes = baseImageChanges(recipe, opts.nodeImage).flatMap((c) => ['--change', c]);
  if (existsSync(tar)) {
    opts.progress.info(`importing the cached base root file system ${tar}`);
    podman.ok(['import', ...changes, tar, name]);
    return { name, recipe, source: 'cached tar' };
  }
  const npmTarball = registryTarball(
    join(opts.cacheDir, 'downloads'),
    'npm',
    recipe.npmVersion,
    opts.progress,
  );
  const work = join(opts.cacheDir, `.base-${key}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const root = join(work, 'rootfs');
    await debootstrap(root, recipe, opts);
    slim(root, opts, recipe);
    await upgrade(root, opts.progress);
    installNode(root, nodeTarball.file, npmTarball.file);
    // the official image's user; chroot with an empty environment (no host variables leak in)
    must('chroot', [root, 'groupadd', '--gid', '1000', 'node'], 'adding group node');
    must(
      'chroot',
      [root, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node'],
      'adding user node',
    );
    const version = must(
      'chroot',
      [root, '/usr/local/bin/node', '--version'],
      'running node in the root',
    ).trim();
    const npm = must(
      'chroot',
      [root, '/usr/local/bin/node', '/usr/local/bin/npm', '--version'],
      'running npm',
    ).trim();
    if (version !== `v${recipe.nodeVersion}` || npm !== recipe.npmVersion) {
      throw new BaseImageError(`the assembled root runs node ${version} and npm ${npm}, not the recipe's`);
    }
    const workTar = join(work, 'rootfs.tar');
    must('tar', ['--numeric-owner', '-C', root, '-cf', workTar, '.'], 'packing the root file system');
    podman.ok(['import', ...changes, workTar, name]);
    renameSync(workTar, tar);
    // the root file systems of other versions are not needed again (podman's store keeps their images)
    for (const old of readdirSync(opts.cacheDir)) {
      if (/^mobius-node-base-.*\.tar$/.test(old) && join(opts.cacheDir, old) !== tar)
        rmSync(join(opts.cacheDir, old));
    }
    return { name, recipe, source: 'built' };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function debootstrap(root: string, recipe: BaseRecipe, opts: BaseImageOptions): Promise<void> {
  const log = join(dirname(root), 'debootstrap.log');
  let last = Date.now();
  let packages = 0;
  opts.progress.info(
    `debootstrap --variant=minbase ${recipe.suite} from ${opts.mirror} (about half a minute)`,
  );
  const r = await runStreaming(
    'debootstrap',
    ['--variant=minbase', `--arch=${recipe.debianArch}`, recipe.suite, root, opts.mirror],
    {
      env: { PATH: process.env.PATH, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      logFile: log,
      timeoutMs: 20 * 60_000,
      onLine(line) {
        if (/^I: (Retrieving|Unpacking|Configuring) /.test(line)) packages++;
        if (Date.now() - last > 10_000) {
          last = Date.now();
          opts.progress.info(`debootstrap: ${packages} package steps so far (${line.replace(/^I: /, '')})`);
        }
      },
    },
  );
  if (r.code !== 0) {
    throw new BaseImageError(
      `debootstrap ${describeEnd(r)} (is ${opts.mirror} reachable? MOBIUS_DEBIAN_MIRROR names another mirror):\n${tail(`${r.stdout}\n${r.stderr}`, 12)}`,
    );
  }
}

function slim(root: string, opts: BaseImageOptions, recipe: BaseRecipe): void {
  for (const path of SLIM_REMOVE) {
    rmSync(join(root, path), { recursive: true, force: true });
    mkdirSync(join(root, path), { recursive: true });
  }
  mkdirSync(join(root, 'var/cache/apt/archives/partial'), { recursive: true });
  mkdirSync(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
  for (const [path, content] of Object.entries(SLIM_CONFIG)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  rmSync(join(root, 'etc/apt/sources.list'), { force: true });
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  writeFileSync(
    join(root, 'etc/apt/sources.list.d/debian.sources'),
    debianSources(opts.mirror, opts.securityMirror, recipe.suite),
  );
}

/**
 * The security and point-release updates the official images carry (debootstrap installs the
 * release as it was), then what the official images leave out: apt's lists and downloads, and the
 * build host's /etc/resolv.conf and /etc/hostname, which the container runtime provides.
 */
async function upgrade(root: string, progress: Progress): Promise<void> {
  progress.info('apt-get upgrade in the root (bookworm-updates and bookworm-security)');
  const env = { PATH: process.env.PATH, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['-q', 'update'],
    ['-q', '-y', '-o', 'Dpkg::Options::=--force-confold', 'upgrade'],
  ]) {
    const r = await runStreaming('chroot', [root, 'apt-get', ...args], { env, timeoutMs: 10 * 60_000 });
    if (r.code !== 0) {
      throw new BaseImageError(
        `apt-get ${args.at(-1)} in the root ${describeEnd(r)}:\n${tail(`${r.stdout}\n${r.stderr}`, 10)}`,
      );
    }
  }
  for (const path of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
    rmSync(join(root, path), { recursive: true, force: true });
    mkdirSync(join(root, path, 'partial'), { recursive: true });
  }
  for (const file of ['etc/resolv.conf', 'etc/hostname']) writeFileSync(join(root, file), '');
}

function installNode(root: string, nodeTarball: string, npmTarball: string): void {
  const local = join(root, 'usr/local');
  must(
    'tar',
    [
      '-xzf',
      nodeTarball,
      '-C',
      local,
      '--strip-components=1',
      '--no-same-owner',
      'package/bin',
      'package/include',
      'package/share',
    ],
    'unpacking node',
  );
  const npmDir = join(local, 'lib/node_modules/npm');
  mkdirSync(npmDir, { recursive: true });
  must('tar', ['-xzf', npmTarball, '-C', npmDir, '--strip-components=1', '--no-same-owner'], 'unpacking npm');
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin/npx'));
  const entry = join(local, 'bin/docker-entrypoint.sh');
  writeFileSync(entry, DOCKER_ENTRYPOINT);
  chmodSync(entry, 0o755);
}
