/**
 * Pure logic of build-push and update-manifests: image names, owner resolution, tag and platform
 * validation, the exact docker argv, secret masking, digest parsing, and the image.tag splice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Scalar } from 'yaml';
import { digestFromInspect, digestFromMetadata } from '../../src/deploy/commands/build-push/run.js';
import { setImageTagInYaml, tagSource } from '../../src/deploy/commands/update-manifests/run.js';
import { ExitCode, isCliError } from '../../src/deploy/errors.js';
import {
  buildxBuildArgs,
  formatCommand,
  loginArgs,
  maskSecrets,
  parseBuildxVersion,
  supportsAttestations,
} from '../../src/deploy/image/docker.js';
import {
  imageRepository,
  parseGitHubRemote,
  parsePlatforms,
  resolveOwner,
  sourceUrl,
  validateImageTag,
} from '../../src/deploy/image/image.js';

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isCliError(err), String(err));
    assert.equal(err.exitCode, ExitCode.USAGE);
    assert.match(err.message, message);
    return true;
  });
}

describe('image names', () => {
  test('tags follow the docker tag grammar', () => {
    for (const ok of ['1.4.2', 'sha-3f2a9c1', 'main', '_x', 'A'.repeat(128), 'v1.0.0-rc.1']) {
      assert.equal(validateImageTag(ok), ok);
    }
    for (const bad of ['', '-x', '.x', 'a:b', 'a/b', 'a b', 'A'.repeat(129), 'tag\n']) {
      usage(() => validateImageTag(bad), /is not a valid image tag/);
    }
  });

  test('the repository is ghcr.io/<owner lower-cased>/mobius-preview-worker', () => {
    assert.equal(imageRepository('Mobius-Org'), 'ghcr.io/mobius-org/mobius-preview-worker');
  });

  test('GitHub remotes in every common form', () => {
    const want = { owner: 'Mobius-Org', repo: 'mobius-preview-worker' };
    for (const url of [
      'https://github.com/Mobius-Org/mobius-preview-worker.git',
      'https://github.com/Mobius-Org/mobius-preview-worker',
      'https://x-access-token:abc@github.com/Mobius-Org/mobius-preview-worker.git',
      'git@github.com:Mobius-Org/mobius-preview-worker.git',
      'ssh://git@github.com/Mobius-Org/mobius-preview-worker.git',
    ]) {
      assert.deepEqual(parseGitHubRemote(url), want, url);
    }
    assert.equal(parseGitHubRemote('https://gitlab.com/a/b.git'), undefined);
    assert.equal(parseGitHubRemote('/srv/git/repo'), undefined);
  });

  test('owner precedence: --owner, then GITHUB_REPOSITORY_OWNER, then the origin remote; lower-cased', () => {
    const remoteUrl = 'git@github.com:Remote-Org/x.git';
    const env = { GITHUB_REPOSITORY_OWNER: 'Env-Org' };
    assert.deepEqual(resolveOwner({ flag: 'Flag-Org', env, remoteUrl }), {
      owner: 'flag-org',
      source: '--owner',
    });
    assert.deepEqual(resolveOwner({ env, remoteUrl }), {
      owner: 'env-org',
      source: 'GITHUB_REPOSITORY_OWNER',
    });
    assert.deepEqual(resolveOwner({ env: {}, remoteUrl }), {
      owner: 'remote-org',
      source: 'git remote origin',
    });
    usage(() => resolveOwner({ env: {} }), /Cannot tell which GitHub owner/);
    usage(() => resolveOwner({ env: {}, remoteUrl: 'https://gitlab.com/a/b' }), /--owner/);
    usage(() => resolveOwner({ flag: 'bad owner', env: {} }), /not a GitHub user or organisation name/);
  });

  test('source URL from GITHUB_REPOSITORY, else the remote', () => {
    assert.equal(
      sourceUrl({ GITHUB_REPOSITORY: 'O/r', GITHUB_SERVER_URL: 'https://github.example.com/' }, undefined),
      'https://github.example.com/O/r',
    );
    assert.equal(sourceUrl({}, 'git@github.com:O/r.git'), 'https://github.com/O/r');
    assert.equal(sourceUrl({}, undefined), undefined);
  });

  test('platforms are validated and de-duplicated', () => {
    assert.deepEqual(parsePlatforms('linux/amd64, linux/arm64,linux/amd64'), ['linux/amd64', 'linux/arm64']);
    assert.deepEqual(parsePlatforms('linux/arm/v7'), ['linux/arm/v7']);
    usage(() => parsePlatforms('amd64'), /is not a platform/);
    usage(() => parsePlatforms(','), /at least one platform/);
  });
});

describe('docker commands', () => {
  const plan = {
    context: '/src',
    dockerfile: '/src/Dockerfile',
    tags: ['ghcr.io/o/mobius-preview-worker:1'],
    platforms: ['linux/amd64', 'linux/arm64'],
    buildArgs: { VERSION: '1', REVISION: 'abc' },
    labels: { 'org.opencontainers.image.revision': 'abc' },
    push: true,
    attestations: true,
    metadataFile: '/tmp/m.json',
  };

  test('buildx build with --push and attestations', () => {
    assert.deepEqual(buildxBuildArgs(plan), [
      'buildx',
      'build',
      '--file',
      '/src/Dockerfile',
      '--progress',
      'plain',
      '--platform',
      'linux/amd64,linux/arm64',
      '--tag',
      'ghcr.io/o/mobius-preview-worker:1',
      '--build-arg',
      'VERSION=1',
      '--build-arg',
      'REVISION=abc',
      '--label',
      'org.opencontainers.image.revision=abc',
      '--metadata-file',
      '/tmp/m.json',
      '--push',
      '--provenance',
      'mode=max',
      '--sbom',
      'true',
      '/src',
    ]);
  });

  test('buildx build without push loads and has no attestations', () => {
    const args = buildxBuildArgs({ ...plan, push: false, platforms: ['linux/amd64'] });
    assert.ok(args.includes('--load'));
    assert.ok(!args.includes('--push') && !args.includes('--provenance') && !args.includes('--sbom'));
    assert.equal(args.at(-1), '/src');
  });

  test('login reads the password from stdin', () => {
    assert.deepEqual(loginArgs('octocat'), ['login', 'ghcr.io', '--username', 'octocat', '--password-stdin']);
  });

  test('secrets are masked; commands are quoted for display', () => {
    assert.equal(
      maskSecrets('token=abcd1234 and abcd1234', ['abcd1234', undefined, '']),
      'token=*** and ***',
    );
    assert.equal(
      formatCommand(['build', '--label', 'a=b c', "it's"]),
      `docker build --label 'a=b c' 'it'\\''s'`,
    );
  });

  test('buildx versions: attestations from 0.10', () => {
    assert.deepEqual(parseBuildxVersion('github.com/docker/buildx v0.17.1 8c2a3f8'), [0, 17, 1]);
    assert.equal(supportsAttestations([0, 10, 0]), true);
    assert.equal(supportsAttestations([0, 9, 1]), false);
    assert.equal(supportsAttestations([1, 0, 0]), true);
    assert.equal(supportsAttestations(undefined), false);
  });

  test('digests from the metadata file or imagetools inspect', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'digest-'));
    try {
      const digest = `sha256:${'a'.repeat(64)}`;
      writeFileSync(join(dir, 'm.json'), JSON.stringify({ 'containerimage.digest': digest }));
      assert.equal(digestFromMetadata(join(dir, 'm.json')), digest);
      writeFileSync(join(dir, 'bad.json'), '{"containerimage.digest":"nope"}');
      assert.equal(digestFromMetadata(join(dir, 'bad.json')), undefined);
      assert.equal(digestFromMetadata(join(dir, 'missing.json')), undefined);
      assert.equal(digestFromInspect(JSON.stringify({ digest })), digest);
      assert.equal(digestFromInspect(`Name: x\nDigest: ${digest}\n`), digest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('image.tag splice (update-manifests)', () => {
  const text = [
    '# Staging.',
    '',
    'image:',
    '  # The repository.',
    '  repository: ghcr.io/o/mobius-preview-worker',
    '  # Default tag.',
    '  tag: 0.1.0   # keep this comment',
    '',
    '  pullPolicy: IfNotPresent',
    'replicas: 1',
    '',
  ].join('\n');

  test('only the tag characters change', () => {
    const { text: out, previous } = setImageTagInYaml(text, '1.4.2', 'staging.yaml');
    assert.equal(previous, '0.1.0');
    assert.equal(out, text.replace('tag: 0.1.0   #', 'tag: 1.4.2   #'));
  });

  test('quoting: kept when quoted, added when a plain tag would not read back as the same string', () => {
    assert.equal(tagSource('1.4', Scalar.PLAIN), '"1.4"');
    assert.equal(tagSource('10', Scalar.PLAIN), '"10"');
    assert.equal(tagSource('true', Scalar.PLAIN), '"true"');
    assert.equal(tagSource('1.4.2', Scalar.PLAIN), '1.4.2');
    assert.equal(tagSource('1.4.2', Scalar.QUOTE_SINGLE), "'1.4.2'");
    assert.equal(tagSource('1.4.2', Scalar.QUOTE_DOUBLE), '"1.4.2"');
    const quoted = text.replace('tag: 0.1.0', "tag: '0.1.0'");
    assert.equal(setImageTagInYaml(quoted, 'v2', 'f').text, quoted.replace("'0.1.0'", "'v2'"));
  });

  test('a file without image.tag is a configuration error', () => {
    usage(() => setImageTagInYaml('image:\n  repository: x\n', '1', 'f.yaml'), /no image\.tag/);
  });
});
