/**
 * A deploy (and a rollback) cut off by the Kubernetes API going away mid-rollout (issue #13,
 * point 3): exit 5 as for any unreachable cluster, but saying what was in flight (record, revision,
 * image, how far the rollout got), that the deploy lock is still held and until when, and what to
 * run next. The simulator is stopped while the new pods are still starting.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { CLI_PATH, ensureBuilt, REPO_ROOT } from '../support/cli.js';
import {
  type DeployTestCluster,
  deployTag,
  FAST,
  ledgerRecords,
  REPO,
  startDeployTestCluster,
} from './cli-deploy-helpers.js';

const NS = 'production';

/** Runs the CLI; resolves with its exit code and output. */
function start(args: string[]) {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, kill: () => child.exitCode === null && child.kill('SIGKILL') };
}

describe('deploy and rollback interrupted by the API going away (built CLI)', () => {
  let c: DeployTestCluster;
  before(() => ensureBuilt());
  beforeEach(async () => {
    c = await startDeployTestCluster(NS);
  });
  afterEach(async () => {
    await c.close();
  });

  /** Waits until a change to `image` is in progress and its new pods exist, then stops the API server. */
  const stopMidRollout = async (image: string, kind: 'deploy' | 'rollback') => {
    await c.sim.waitFor(
      () =>
        ledgerRecords(c.sim, NS).find((r) => r.kind === kind && r.result === 'in_progress') &&
        c.sim.podsOf(NS, 'preview-worker').some((p) => p.spec.containers[0].image === image) &&
        c.sim.get('deployments', NS, 'preview-worker')?.status?.updatedReplicas >= 1,
      { timeoutMs: 20_000, message: `${kind} of ${image} in progress` },
    );
    // Let the rollout watch see the updated replicas once more before the API goes.
    await new Promise((r) => setTimeout(r, 300));
    await c.sim.close();
  };

  it('deploy: exit 5 naming the record, revision, image and rollout progress, the held lock and its expiry, and what to run next', async () => {
    assert.equal((await deployTag(c, '1.0.0')).code, 0);
    const image = `${REPO}:3.0.0`;
    c.sim.setImageBehavior(image, { kind: 'ready', delayMs: 30_000 });
    const run = start([
      'deploy',
      '-e',
      'production',
      '--image-tag',
      '3.0.0',
      ...FAST,
      '--kubeconfig',
      c.sim.kubeconfigPath,
    ]);
    try {
      await stopMidRollout(image, 'deploy');
      const r = await run.done;
      assert.equal(r.code, 5, r.stderr);
      const record = ledgerRecords(c.sim, NS).find((x) => x.image === image);
      assert.ok(record, 'the record is not lost');
      assert.equal(record.result, 'in_progress', 'it could not be closed: the API was gone');
      const lease = c.sim.get('leases', NS, 'mobius-deploy-lock');
      assert.ok(lease, 'the lock is still held');
      const err = r.stderr;
      assert.match(
        err,
        /The Kubernetes API went away during the deploy of \S+:3\.0\.0 in production: Cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:\d+: connection refused/,
      );
      assert.match(
        err,
        new RegExp(
          `in flight: deploy record ${record.id}, revision 1 → 2, image \\S+:3\\.0\\.0; rollout revision 2: updated [123]/3, ready 0/3`,
        ),
      );
      assert.match(err, /ledger: the record could not be updated and stays in_progress/);
      const expires = new Date(Date.parse(lease.spec.renewTime) + lease.spec.leaseDurationSeconds * 1000)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      assert.ok(
        err.includes(
          `deploy lock: Lease mobius-deploy-lock in production is still held by ${lease.spec.holderIdentity} (renewed `,
        ),
        err,
      );
      assert.ok(err.includes(`it expires at ${expires}`), `${expires} in\n${err}`);
      assert.match(
        err,
        new RegExp(
          `node cli/mobius-deploy\\.js history -n production --kubeconfig \\S+ +\\(record ${record.id}\\)`,
        ),
      );
      assert.match(err, /node cli\/mobius-deploy\.js status -n production --kubeconfig \S+ /);
      assert.match(err, /add --force-unlock to it, or kubectl delete lease mobius-deploy-lock -n production/);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    } finally {
      run.kill();
    }
  });

  it('rollback: the same, naming the rollback record and the image it was restoring', async () => {
    for (const tag of ['1.0.0', '2.0.0']) assert.equal((await deployTag(c, tag)).code, 0);
    const image = `${REPO}:1.0.0`;
    c.sim.setImageBehavior(image, { kind: 'ready', delayMs: 30_000 });
    const run = start([
      'rollback',
      '-n',
      NS,
      '--to-revision',
      '1',
      '--reason',
      'drill',
      ...FAST,
      '--kubeconfig',
      c.sim.kubeconfigPath,
    ]);
    try {
      await stopMidRollout(image, 'rollback');
      const r = await run.done;
      assert.equal(r.code, 5, r.stderr);
      const record = ledgerRecords(c.sim, NS).find((x) => x.kind === 'rollback');
      assert.equal(record?.result, 'in_progress');
      assert.match(r.stderr, /The Kubernetes API went away during the rollback/);
      assert.match(r.stderr, new RegExp(`in flight: rollback record ${record?.id}, revision 2 → `));
      assert.match(r.stderr, /deploy lock: Lease mobius-deploy-lock in production is still held by /);
      assert.ok(c.sim.get('leases', NS, 'mobius-deploy-lock'));
    } finally {
      run.kill();
    }
  });
});
