import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNodeVersion } from '../../src/deploy/commands/doctor/checks-node.js';
import { judgeRedisPersistence } from '../../src/deploy/commands/doctor/checks-redis.js';
import {
  dockerConfigJson,
  readTokenFromEnv,
  scrubSecrets,
} from '../../src/deploy/commands/registry-secret/run.js';
import { checkPullSecret } from '../../src/deploy/image/pull-secret.js';
import { DEPLOYER_PERMISSIONS, permissionsToCheck } from '../../src/deploy/manifests/rbac.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const H = 3_600_000;

describe('doctor checks', () => {
  it('Node version: 20.19.0 and later pass, older fail with a fix', () => {
    assert.equal(checkNodeVersion('20.19.0').status, 'pass');
    assert.equal(checkNodeVersion('v22.1.0').status, 'pass');
    const old = checkNodeVersion('20.18.3');
    assert.equal(old.status, 'fail');
    assert.match(old.fix ?? '', /Node\.js 20\.19 or newer/);
    assert.equal(checkNodeVersion('18.20.0').status, 'fail');
  });

  it('Redis persistence: AOF, or an RDB save within the limit, with a good status', () => {
    const judge = (redis: Parameters<typeof judgeRedisPersistence>[0]['redis']) =>
      judgeRedisPersistence({ redis }, 24 * H, NOW, 'pod p').status;
    assert.equal(judge({ aofEnabled: true, lastRdbSaveAt: null }), 'pass');
    assert.equal(judge({ aofEnabled: false, lastRdbSaveAt: null }), 'fail');
    assert.equal(
      judge({
        aofEnabled: false,
        lastRdbSaveAt: new Date(NOW - 23 * H).toISOString(),
        lastRdbSaveStatus: 'ok',
      }),
      'pass',
    );
    assert.equal(
      judge({
        aofEnabled: false,
        lastRdbSaveAt: new Date(NOW - 25 * H).toISOString(),
        lastRdbSaveStatus: 'ok',
      }),
      'fail',
    );
    assert.equal(
      judge({ aofEnabled: false, lastRdbSaveAt: new Date(NOW - H).toISOString(), lastRdbSaveStatus: 'err' }),
      'fail',
    );
    assert.equal(judge(undefined), 'warn');
  });

  it('checks exactly the DEPLOYER_PERMISSIONS list, with resource names resolved', () => {
    const perms = permissionsToCheck('staging', undefined, 'my-token');
    assert.equal(perms.length, DEPLOYER_PERMISSIONS.length);
    assert.deepEqual(
      perms.map((p) => [p.apiGroup, p.resource, p.verbs.join(',')]),
      DEPLOYER_PERMISSIONS.map((p) => [p.apiGroup, p.resource, p.verbs.join(',')]),
    );
    assert.deepEqual(perms.find((p) => p.resource === 'secrets')?.resourceNames, ['my-token']);
    assert.deepEqual(perms.find((p) => p.resource === 'namespaces')?.resourceNames, ['staging']);
  });
});

describe('registry secret helpers', () => {
  it('reads the token from the named variable only; refuses empty values and token-looking names', () => {
    assert.equal(readTokenFromEnv('GHCR_TOKEN', { GHCR_TOKEN: ' ghp_abc123 \n' }), 'ghp_abc123');
    assert.throws(() => readTokenFromEnv('GHCR_TOKEN', {}), /is not set/);
    assert.throws(() => readTokenFromEnv('GHCR_TOKEN', { GHCR_TOKEN: '' }), /is empty/);
    // A classic 40-hex token looks like a variable name; the error still never echoes it.
    const hex = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    assert.throws(
      () => readTokenFromEnv(hex, {}),
      (e: unknown) =>
        /named by --from-env \(from --from-env\) is not set/.test((e as Error).message) &&
        !(e as Error).message.includes(hex),
    );
    for (const name of ['ghp_abcdef123456', 'github_pat_11ABC', 'not a name']) {
      assert.throws(
        () => readTokenFromEnv(name, {}),
        (e: unknown) =>
          /takes the NAME of an environment variable/.test((e as Error).message) &&
          !(e as Error).message.includes(name),
      );
    }
  });

  it('builds and verifies the dockerconfigjson without exposing the token in check details', () => {
    const secret = {
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(dockerConfigJson('ghcr.io', 'bot', 'ghp_SECRET')).toString('base64'),
      },
    };
    const checks = checkPullSecret(secret, { server: 'ghcr.io', username: 'bot', token: 'ghp_SECRET' });
    assert.ok(checks.every((c) => c.ok));
    assert.ok(checks.every((c) => !c.detail.includes('ghp_SECRET')));
    assert.equal(
      checkPullSecret(secret, { server: 'ghcr.io', username: 'bot', token: 'other' }).find(
        (c) => c.name === 'auth',
      )?.ok,
      false,
    );
    assert.equal(checkPullSecret({ ...secret, type: 'Opaque' }, { server: 'ghcr.io' })[0].ok, false);
    assert.equal(checkPullSecret(secret, { server: 'docker.io' }).at(-1)?.ok, false);
    assert.equal(
      scrubSecrets('body {"password":"ghp_SECRET"}', ['ghp_SECRET']),
      'body {"password":"[REDACTED]"}',
    );
  });
});
