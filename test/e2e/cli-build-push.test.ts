/**
 * build-push end to end: the built CLI with a stand-in `docker` (test/support/fake-docker/docker) first
 * on PATH, which records every call's argv and stdin. Asserts the exact docker commands, that the token
 * only ever reaches `docker login` on stdin, and each error path's exit code and sentence.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, ensureBuilt, parseJsonOutput, REPO_ROOT, runCli } from '../support/cli.js';

const FAKE_DOCKER_DIR = join(REPO_ROOT, 'test', 'support', 'fake-docker');
const TOKEN = 'ghp_FAKEtoken1234567890abcdefSECRET';
const IMAGE = 'ghcr.io/mobius-org/mobius-preview-worker';
const DIGEST = `sha256:${'0f'.repeat(32)}`;

interface DockerCall {
  argv: string[];
  stdin: string | null;
}

let work: string;
let context: string;
let counter = 0;

before(() => {
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'build-push-e2e-'));
  // A build context outside any git repository, with a Dockerfile.
  context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\n');
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

async function buildPush(
  args: string[],
  env: Record<string, string | undefined> = {},
  path = `${FAKE_DOCKER_DIR}${delimiter}${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
): Promise<{ result: CliResult; calls: DockerCall[] }> {
  const log = join(work, `calls-${++counter}.jsonl`);
  const result = await runCli(['build-push', ...args], {
    env: {
      PATH: path,
      FAKE_DOCKER_LOG: log,
      FAKE_DOCKER_DIGEST: DIGEST,
      SOURCE_DATE_EPOCH: '1767225600',
      GITHUB_SHA: 'c0ffee0000000000000000000000000000000001',
      ...env,
    },
  });
  let calls: DockerCall[] = [];
  try {
    calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as DockerCall);
  } catch {
    calls = [];
  }
  return { result, calls };
}

function assertNoToken(result: CliResult, calls: DockerCall[]): void {
  assert.ok(!result.stdout.includes(TOKEN), 'token printed on stdout');
  assert.ok(!result.stderr.includes(TOKEN), 'token printed on stderr');
  for (const call of calls) {
    assert.ok(
      !call.argv.some((a) => a.includes(TOKEN)),
      `token on a docker command line: ${call.argv.join(' ')}`,
    );
  }
}

describe('build-push with a fake docker', () => {
  test('--push: checks, logs in with the token on stdin only, builds with labels and attestations, prints the digest', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--push', '--owner', 'Mobius-Org', '--context-dir', context, '-o', 'json'],
      { GHCR_TOKEN: TOKEN, GITHUB_TOKEN: 'other-token-not-used', GITHUB_ACTOR: 'octocat' },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = parseJsonOutput<Record<string, unknown>>(result);
    assert.equal(out.image, `${IMAGE}:1.4.2`);
    assert.deepEqual(out.tags, [`${IMAGE}:1.4.2`]);
    assert.equal(out.digest, DIGEST);
    assert.deepEqual(out.platforms, ['linux/amd64']);
    assert.equal(out.pushed, true);

    assert.deepEqual(
      calls.map((c) => c.argv.slice(0, 2)),
      [
        ['buildx', 'version'],
        ['info', '--format'],
        ['login', 'ghcr.io'],
        ['buildx', 'build'],
      ],
    );
    assert.deepEqual(calls[2]!.argv, ['login', 'ghcr.io', '--username', 'octocat', '--password-stdin']);
    assert.equal(calls[2]!.stdin, `${TOKEN}\n`, 'the token (GHCR_TOKEN, preferred) goes to stdin');
    for (const [i, c] of calls.entries()) if (i !== 2) assert.equal(c.stdin, null);

    const build = calls[3]!.argv;
    const metadataFile = build[build.indexOf('--metadata-file') + 1]!;
    const created = '2026-01-01T00:00:00Z';
    const revision = 'c0ffee0000000000000000000000000000000001';
    assert.deepEqual(build, [
      'buildx',
      'build',
      '--file',
      join(context, 'Dockerfile'),
      '--progress',
      'plain',
      '--platform',
      'linux/amd64',
      '--tag',
      `${IMAGE}:1.4.2`,
      '--build-arg',
      'VERSION=1.4.2',
      '--build-arg',
      `REVISION=${revision}`,
      '--build-arg',
      `CREATED=${created}`,
      '--label',
      'org.opencontainers.image.title=mobius-preview-worker',
      '--label',
      'org.opencontainers.image.version=1.4.2',
      '--label',
      `org.opencontainers.image.revision=${revision}`,
      '--label',
      `org.opencontainers.image.created=${created}`,
      '--metadata-file',
      metadataFile,
      '--push',
      '--provenance',
      'mode=max',
      '--sbom',
      'true',
      context,
    ]);
    assertNoToken(result, calls);
    // Progress lines from the build reach stderr (plain lines off a TTY).
    assert.match(result.stderr, /RUN npm ci/);
  });

  test('GITHUB_TOKEN is used when GHCR_TOKEN is absent; the source label comes from GITHUB_REPOSITORY', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', 'sha-3f2a9c1', '--push', '--context-dir', context],
      {
        GITHUB_TOKEN: TOKEN,
        GITHUB_REPOSITORY_OWNER: 'Mobius-Org',
        GITHUB_REPOSITORY: 'Mobius-Org/mobius-preview-worker',
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const login = calls.find((c) => c.argv[0] === 'login')!;
    assert.deepEqual(login.argv, ['login', 'ghcr.io', '--username', 'mobius-org', '--password-stdin']);
    assert.equal(login.stdin, `${TOKEN}\n`);
    const build = calls.find((c) => c.argv[1] === 'build')!.argv;
    assert.ok(
      build.includes('org.opencontainers.image.source=https://github.com/Mobius-Org/mobius-preview-worker'),
    );
    assert.ok(build.includes('SOURCE=https://github.com/Mobius-Org/mobius-preview-worker'));
    assert.ok(build.includes(`${IMAGE}:sha-3f2a9c1`));
    assert.match(result.stdout, new RegExp(`digest: +${DIGEST}`));
    assertNoToken(result, calls);
  });

  test('the owner comes from the origin remote when neither --owner nor GITHUB_REPOSITORY_OWNER is set', async () => {
    const repo = join(work, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'Dockerfile'), 'FROM scratch\n');
    const git = (...args: string[]) => {
      const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    git('init', '-q');
    git('remote', 'add', 'origin', 'git@github.com:Some-Org/preview.git');
    const { result, calls } = await buildPush(['--image-tag', '2.0.0', '--context-dir', repo, '-o', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const out = parseJsonOutput<Record<string, unknown>>(result);
    assert.equal(out.image, 'ghcr.io/some-org/mobius-preview-worker:2.0.0');
    assert.equal(out.pushed, false);
    const build = calls.find((c) => c.argv[1] === 'build')!.argv;
    assert.ok(build.includes('--load'));
    assert.ok(!build.includes('--push') && !build.includes('--provenance'));
    assert.ok(build.includes('org.opencontainers.image.source=https://github.com/Some-Org/preview'));
    assert.equal(calls.filter((c) => c.argv[0] === 'login').length, 0, 'no login without --push');
  });

  test('without metadata the digest comes from buildx imagetools inspect', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--push', '--owner', 'mobius-org', '--context-dir', context, '-o', 'json'],
      { GHCR_TOKEN: TOKEN, FAKE_DOCKER_NO_METADATA: '1' },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJsonOutput<{ digest: string }>(result).digest, DIGEST);
    assert.deepEqual(calls.at(-1)!.argv, [
      'buildx',
      'imagetools',
      'inspect',
      `${IMAGE}:1.4.2`,
      '--format',
      '{{json .Manifest}}',
    ]);
  });

  test('buildx older than 0.10 gets no --provenance/--sbom', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--push', '--owner', 'mobius-org', '--context-dir', context],
      { GHCR_TOKEN: TOKEN, FAKE_DOCKER_BUILDX_VERSION: 'v0.9.1' },
    );
    assert.equal(result.code, 0, result.stderr);
    const build = calls.find((c) => c.argv[1] === 'build')!.argv;
    assert.ok(build.includes('--push'));
    assert.ok(!build.includes('--provenance') && !build.includes('--sbom'));
  });

  test('--dry-run prints the commands, runs no docker and never prints the token', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--push', '--owner', 'mobius-org', '--context-dir', context, '--dry-run'],
      { GHCR_TOKEN: TOKEN },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(calls.length, 0);
    assert.match(
      result.stdout,
      /docker login ghcr\.io --username mobius-org --password-stdin {2}# token from GHCR_TOKEN on stdin/,
    );
    assert.match(result.stdout, /docker buildx build .*--push --provenance mode=max --sbom true/);
    assertNoToken(result, calls);
  });
});

describe('build-push errors', () => {
  const base = ['--image-tag', '1.4.2', '--owner', 'mobius-org', '--context-dir', context];

  test('docker not on PATH: exit 2 and how to install it', async () => {
    const bin = join(work, 'bin-without-docker');
    // Nothing on PATH at all (the CLI runs under process.execPath; git is optional with --owner).
    mkdirSync(bin, { recursive: true });
    const { result } = await buildPush(
      ['--image-tag', '1.4.2', '--owner', 'mobius-org', '--context-dir', context],
      {},
      bin,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /docker was not found on PATH; install Docker/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  test('buildx missing: exit 2', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--owner', 'x', '--context-dir', context],
      {
        FAKE_DOCKER_NO_BUILDX: '1',
      },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /docker buildx is not available \(`docker buildx version` failed\); install the buildx plugin/,
    );
    assert.match(result.stderr, /'buildx' is not a docker command/);
    assert.equal(calls.length, 1);
  });

  test('daemon down: exit 2', async () => {
    const { result, calls } = await buildPush(
      ['--image-tag', '1.4.2', '--owner', 'x', '--context-dir', context],
      {
        FAKE_DOCKER_DAEMON_DOWN: '1',
      },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /The Docker daemon is not running \(`docker info` failed\)/);
    assert.match(result.stderr, /Cannot connect to the Docker daemon/);
    assert.ok(!calls.some((c) => c.argv[1] === 'build'));
  });

  test('login failure: exit 2, docker stderr shown, token never printed, nothing built', async () => {
    const { result, calls } = await buildPush([...base, '--push'], {
      GHCR_TOKEN: TOKEN,
      FAKE_DOCKER_LOGIN_FAIL: '1',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Logging in to ghcr\.io as mobius-org failed \(token from GHCR_TOKEN\)/);
    assert.match(result.stderr, /denied: denied/);
    assert.ok(!calls.some((c) => c.argv[1] === 'build'));
    assertNoToken(result, calls);
  });

  test('push failure: exit 1 with the last lines of docker stderr', async () => {
    const { result, calls } = await buildPush([...base, '--push'], {
      GHCR_TOKEN: TOKEN,
      FAKE_DOCKER_PUSH_FAIL: '1',
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /Pushing ghcr\.io\/mobius-org\/mobius-preview-worker:1\.4\.2 to ghcr\.io failed/,
    );
    assert.match(result.stderr, /permission_denied: write_package/);
    assertNoToken(result, calls);
  });

  test('build failure: exit 1 with the failing step', async () => {
    const { result } = await buildPush(base, { FAKE_DOCKER_BUILD_FAIL: '1' });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Building ghcr\.io\/mobius-org\/mobius-preview-worker:1\.4\.2 failed/);
    assert.match(result.stderr, /npm ci" did not complete successfully/);
  });

  test('multi-platform without --push: exit 2, explains, runs no docker', async () => {
    const { result, calls } = await buildPush([...base, '--platform', 'linux/amd64,linux/arm64']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /multi-platform images must be pushed/);
    assert.match(result.stderr, /--push/);
    assert.equal(calls.length, 0);
  });

  test('usage errors: bad tag, bad platform, no tag, no owner, --push without a token', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--image-tag', '-bad', '--owner', 'x', '--context-dir', context], {}, /is not a valid image tag/],
      [['--image-tag', 'a:b', '--owner', 'x', '--context-dir', context], {}, /is not a valid image tag/],
      [
        ['--image-tag', '1', '--owner', 'x', '--context-dir', context, '--platform', 'amd64'],
        {},
        /is not a platform/,
      ],
      [['--owner', 'x', '--context-dir', context], {}, /build-push needs --image-tag/],
      [['--image-tag', '1', '--context-dir', context], {}, /Cannot tell which GitHub owner/],
      [['--image-tag', '1', '--owner', 'x', '--context-dir', context, '--push'], {}, /--push needs a token/],
      [['--image-tag', '1', '--owner', 'x', '--context-dir', work], {}, /There is no Dockerfile/],
    ];
    for (const [args, env, message] of cases) {
      const { result, calls } = await buildPush(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(calls.length, 0, `${args.join(' ')} ran docker`);
    }
  });
});
