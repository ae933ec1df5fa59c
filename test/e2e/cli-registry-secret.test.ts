/**
 * `mobius-deploy registry-secret rotate` with the built CLI against the simulator: creates the
 * GHCR pull Secret, rotates it (new token, new stamp, same object), refuses missing tokens and
 * token-looking --from-env values, and never prints the token (also with -v, -o json and errors).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const NS = 'production';
const TOKEN_1 = 'ghp_FirstTokenValue1234567890abcdefXYZ';
const TOKEN_2 = 'ghp_SecondTokenValue0987654321zyxwvuABC';

interface RotateJson {
  name: string;
  action: string;
  rotatedAt: string;
  previousRotatedAt?: string;
  nextDueAt: string;
  maxAgeDays: number;
  verified: boolean;
  checks: { name: string; ok: boolean }[];
}

function assertNoSecret(text: string, ...tokens: string[]) {
  for (const t of tokens) {
    assert.ok(!text.includes(t), 'the token must never be printed');
    assert.ok(!text.includes(Buffer.from(`mobius-bot:${t}`).toString('base64')), 'nor its auth form');
  }
}

function decodeAuth(sim: KubeSim, name: string): { username: string; password: string; auth: string } {
  const secret = sim.get('secrets', NS, name);
  const doc = JSON.parse(Buffer.from(secret?.data['.dockerconfigjson'], 'base64').toString('utf8'));
  return doc.auths['ghcr.io'];
}

describe('mobius-deploy registry-secret rotate (built CLI against the simulator)', () => {
  let sim: KubeSim;
  before(async () => {
    ensureBuilt();
    sim = await startKubeSim();
    sim.createNamespace(NS);
  });
  after(() => sim.close());
  /** `registry-secret rotate -n production <args>` against the simulator. */
  const rotate = (args: string[], env?: Record<string, string>) =>
    runCli(['registry-secret', 'rotate', '-n', NS, ...args], { kubeconfig: sim.kubeconfigPath, env });

  it('creates the dockerconfigjson Secret, then rotates it in place; the token is never printed', async () => {
    const first = await rotate(['--from-env', 'GHCR_TOKEN', '--username', 'mobius-bot', '-o', 'json', '-v'], {
      GHCR_TOKEN: TOKEN_1,
    });
    assert.equal(first.code, 0, first.stderr);
    assertNoSecret(first.stdout + first.stderr, TOKEN_1);
    const r1 = parseJsonOutput<RotateJson>(first);
    assert.equal(r1.action, 'created');
    assert.equal(r1.name, 'ghcr-pull');
    assert.equal(r1.verified, true);
    assert.deepEqual(
      r1.checks.map((c) => [c.name, c.ok]),
      [
        ['type', true],
        ['.dockerconfigjson', true],
        ['registry entry', true],
        ['auth', true],
        ['rotation stamp', true],
      ],
    );
    assert.equal(Date.parse(r1.nextDueAt) - Date.parse(r1.rotatedAt), 30 * 86_400_000);
    const s1 = sim.get('secrets', NS, 'ghcr-pull');
    assert.equal(s1?.type, 'kubernetes.io/dockerconfigjson');
    assert.equal(s1?.metadata.annotations['mobius.dev/rotated-at'], r1.rotatedAt);
    const a1 = decodeAuth(sim, 'ghcr-pull');
    assert.equal(a1.username, 'mobius-bot');
    assert.equal(a1.password, TOKEN_1);
    assert.equal(Buffer.from(a1.auth, 'base64').toString('utf8'), `mobius-bot:${TOKEN_1}`);
    const uid = s1?.metadata.uid;

    const second = await rotate(
      ['--from-env', 'GHCR_TOKEN', '--username', 'mobius-bot', '-v', '--max-token-age', '14'],
      { GHCR_TOKEN: TOKEN_2 },
    );
    assert.equal(second.code, 0, second.stderr);
    assertNoSecret(second.stdout + second.stderr, TOKEN_1, TOKEN_2);
    assert.match(second.stdout, /Rotated image pull secret ghcr-pull in production for ghcr\.io/);
    assert.match(second.stdout, /rotate every 14 days; next due/);
    assert.match(second.stdout, new RegExp(`previous rotation ${r1.rotatedAt.replace(/\./g, '\\.')}`));
    const s2 = sim.get('secrets', NS, 'ghcr-pull');
    assert.equal(s2?.metadata.uid, uid, 'the same Secret object is replaced, not recreated');
    assert.notEqual(s2?.metadata.annotations['mobius.dev/rotated-at'], r1.rotatedAt);
    assert.equal(s2?.metadata.annotations['mobius.dev/rotation-max-age-days'], '14');
    assert.equal(decodeAuth(sim, 'ghcr-pull').password, TOKEN_2);
  });

  it('refuses an unset or empty variable and a token passed as the variable name, without echoing it', async () => {
    const unset = await rotate(['--from-env', 'NOPE_TOKEN', '--username', 'u']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /NOPE_TOKEN \(from --from-env\) is not set/);
    const empty = await rotate(['--from-env', 'GHCR_TOKEN', '--username', 'u'], { GHCR_TOKEN: '  ' });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /GHCR_TOKEN \(from --from-env\) is empty/);
    const literal = await rotate(['--from-env', TOKEN_1, '--username', 'u', '-v']);
    assert.equal(literal.code, 2);
    assert.match(literal.stderr, /takes the NAME of an environment variable/);
    assertNoSecret(literal.stdout + literal.stderr, TOKEN_1);
  });

  it('errors from the API server never carry the token (denied write, -v)', async () => {
    const undo = sim.deny({ verb: ['create', 'update'], resource: 'secrets', namespace: NS });
    try {
      const r = await rotate(
        ['--from-env', 'GHCR_TOKEN', '--username', 'mobius-bot', '--name', 'other-pull', '-v'],
        { GHCR_TOKEN: TOKEN_1 },
      );
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /Access denied/);
      assertNoSecret(r.stdout + r.stderr, TOKEN_1);
    } finally {
      undo();
    }
  });

  it('refuses to overwrite a Secret of another type', async () => {
    sim.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'plain', namespace: NS },
      data: { x: Buffer.from('y').toString('base64') },
    });
    const r = await rotate(['--from-env', 'GHCR_TOKEN', '--username', 'mobius-bot', '--name', 'plain'], {
      GHCR_TOKEN: TOKEN_1,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /exists with type Opaque/);
    assertNoSecret(r.stdout + r.stderr, TOKEN_1);
  });
});
