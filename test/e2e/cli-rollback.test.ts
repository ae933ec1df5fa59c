/**
 * `mobius-deploy rollback` as users run it, against the simulator: kubectl rollout undo semantics,
 * the exit codes for a missing revision (2), no history (2) and a paused Deployment (4).
 */
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import {
  type DeployTestCluster,
  FAST,
  ledgerRecords,
  liveImage,
  REPO,
  startDeployTestCluster,
} from './cli-deploy-helpers.js';

const NS = 'production';

describe('mobius-deploy rollback (built CLI against the simulator)', () => {
  let c: DeployTestCluster;
  before(() => ensureBuilt());
  beforeEach(async () => {
    c = await startDeployTestCluster(NS);
  });
  afterEach(async () => {
    await c.close();
  });
  const cli = (...args: string[]) => runCli([...args, ...FAST], { kubeconfig: c.sim.kubeconfigPath });
  const deploy = (tag: string) => cli('deploy', '-e', 'production', '--image-tag', tag);

  it('rolls back to the previous revision, then to a named one, records both, skips a no-op', async () => {
    for (const tag of ['1.0.0', '1.1.0', '1.2.0']) assert.equal((await deploy(tag)).code, 0);

    const previous = await cli('rollback', '-e', 'production', '--reason', 'p95 doubled after 1.2.0');
    assert.equal(previous.code, 0, previous.stderr);
    assert.match(
      previous.stdout,
      /rolled back deployment\/preview-worker to revision 2 \(ghcr\.io\/mobius-org\/mobius-preview-worker:1\.1\.0\), now revision 4; verified/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);

    const named = await cli('rollback', '-n', NS, '--to-revision', '1', '-o', 'json');
    assert.equal(named.code, 0, named.stderr);
    const record = parseJsonOutput<Record<string, unknown>>(named);
    assert.equal(record.kind, 'rollback');
    assert.equal(record.result, 'succeeded');
    assert.equal(record.image, `${REPO}:1.0.0`);
    assert.equal(record.previousImage, `${REPO}:1.1.0`);
    assert.equal(record.revisionBefore, 4);
    assert.equal(record.revisionAfter, 5);
    assert.equal((record.rollback as { toRevision: number }).toRevision, 1);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
    // Like the real controller: revision 1 was reused and renumbered, so 1 and 2 are gone.
    const revisions = c.sim
      .replicaSetsOf(NS, 'preview-worker')
      .map((rs) => Number(rs.metadata.annotations['deployment.kubernetes.io/revision']));
    assert.deepEqual(revisions, [3, 4, 5]);

    const skipped = await cli('rollback', '-n', NS, '--to-revision', '5');
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /skipped rollback \(current template already matches revision 5\)/);
    const kinds = ledgerRecords(c.sim, NS).map((r) => `${r.kind}:${r.result}`);
    assert.deepEqual(kinds.slice(0, 3), ['rollback:skipped', 'rollback:succeeded', 'rollback:succeeded']);
  });

  it('a missing revision is exit 2 naming the available ones; no history is exit 2', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    const none = await cli('rollback', '-n', NS);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /no rollout history found for deployment "preview-worker"/);
    assert.equal((await deploy('1.1.0')).code, 0);
    const missing = await cli('rollback', '-n', NS, '--to-revision', '7');
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /revision 7 not found; available: 1, 2/);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);
    assert.equal(ledgerRecords(c.sim, NS).filter((r) => r.kind === 'rollback').length, 0);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
  });

  it('a paused Deployment is exit 4 telling how to resume it', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    assert.equal((await deploy('1.1.0')).code, 0);
    c.sim.mutate('deployments', NS, 'preview-worker', (d) => {
      d.spec.paused = true;
    });
    const r = await cli('rollback', '-n', NS);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment\/preview-worker -n production'/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);
  });

  it('a rollback whose target crash-loops fails with exit 4 and a failed record', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    assert.equal((await deploy('1.1.0')).code, 0);
    // The old version cannot run any more (its config secret was removed, say).
    c.sim.setImageBehavior(`${REPO}:1.0.0`, 'createconfigerror');
    const r = await cli('rollback', '-n', NS);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /rollback to revision 1 failed: .*CreateContainerConfigError/);
    const [record] = ledgerRecords(c.sim, NS);
    assert.equal(record?.kind, 'rollback');
    assert.equal(record?.result, 'failed');
    assert.equal(record?.failureClass, 'CreateContainerConfigError');
  });
});
