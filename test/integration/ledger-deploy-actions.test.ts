/**
 * The deploy, rollback and history actions against the Kubernetes API simulator, with a fake worker
 * behind the pod proxy for verification. Each test checks what the cluster and the ledger hold.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runDeploy } from '../../src/deploy/commands/deploy/run.js';
import { runHistory } from '../../src/deploy/commands/history/run.js';
import { runRollback } from '../../src/deploy/commands/rollback/run.js';
import { createKubeClients, type KubeClients } from '../../src/deploy/kube/client.js';
import type { DeploymentRecord } from '../../src/deploy/ledger/index.js';
import { buildApplicationManifests, loadEnvironment } from '../../src/deploy/manifests/index.js';
import { createDeployEnvironment, type DeployEnvironment } from '../../src/deploy/release/environment.js';
import { type DeployTestCluster, REPO, startDeployTestCluster } from '../e2e/cli-deploy-helpers.js';
import type { KubeSim } from '../support/kube-sim/index.js';

const NS = 'production';

describe('deploy, rollback and history actions against the simulator', () => {
  let cluster: DeployTestCluster;
  let sim: KubeSim;
  let kube: KubeClients;

  beforeEach(async () => {
    // Pods of images in cluster.unhealthyImages answer through the unhealthy fake worker.
    cluster = await startDeployTestCluster(NS);
    sim = cluster.sim;
    kube = await createKubeClients({ kubeconfig: sim.kubeconfigPath });
  });
  afterEach(async () => {
    kube.close();
    await cluster.close();
  });

  async function environment(): Promise<DeployEnvironment> {
    return createDeployEnvironment(kube, { namespace: NS, provenance: { actor: 'tester' } });
  }

  function deployInput(tag: string, extra: Record<string, unknown> = {}) {
    const env = loadEnvironment('production');
    return {
      namespace: NS,
      environment: 'production',
      objects: buildApplicationManifests(env, { imageTag: tag }) as never,
      image: `${REPO}:${tag}`,
      gracePeriodMs: 300,
      maxRestarts: 2,
      timeoutMs: 20_000,
      pollIntervalMs: 50,
      ...extra,
    };
  }

  it('installs into an empty namespace, upgrades, and records both', async () => {
    const env = await environment();
    const first = await runDeploy(env, deployInput('1.0.0'));
    assert.equal(first.record?.result, 'succeeded', first.message);
    assert.equal(first.record?.revisionBefore, undefined);
    assert.equal(first.record?.revisionAfter, 1);
    assert.ok(first.record?.verify?.passed);
    const second = await runDeploy(env, deployInput('1.1.0', { reason: 'faster renders' }));
    assert.equal(second.record?.result, 'succeeded', second.message);
    assert.equal(second.record?.previousImage, `${REPO}:1.0.0`);
    assert.equal(second.record?.revisionBefore, 1);
    assert.equal(second.record?.revisionAfter, 2);
    for (const phase of ['lock', 'apply', 'rollout', 'verify']) {
      assert.equal(typeof second.record?.phases[phase], 'number', `phase ${phase} timed`);
    }
    const dep = sim.get('deployments', NS, 'preview-worker');
    assert.equal(dep?.spec.template.spec.containers[0].image, `${REPO}:1.1.0`);
    assert.equal(sim.get('leases', NS, 'mobius-deploy-lock'), undefined, 'lock released');
    const history = await runHistory(kube, env.ledger, { namespace: NS });
    assert.deepEqual(
      history.records.map((r) => [r.image, r.result]),
      [
        [`${REPO}:1.1.0`, 'succeeded'],
        [`${REPO}:1.0.0`, 'succeeded'],
      ],
    );
    assert.deepEqual(
      history.revisions.map((r) => [r.revision, r.image, r.current]),
      [
        [2, `${REPO}:1.1.0`, true],
        [1, `${REPO}:1.0.0`, false],
      ],
    );
    assert.equal(history.revisions[0]?.recordId, second.record?.id);
  });

  it('rolls a crash-looping image back automatically and names CrashLoopBackOff', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    sim.setImageBehavior(`${REPO}:1.1.0-bad`, {
      kind: 'crashloop',
      message: 'Error: REDIS_URL is not set',
      crashLogLines: ['{"level":"fatal","msg":"config invalid: REDIS_URL is not set"}'],
    });
    const finished: string[] = [];
    env.onRecordFinished = async (rec) => {
      finished.push(`${rec.result}:${rec.failureClass}`);
      throw new Error('hook errors never change the outcome');
    };
    const result = await runDeploy(env, deployInput('1.1.0-bad'));
    const r = result.record as DeploymentRecord;
    assert.deepEqual(finished, ['rolled_back:CrashLoopBackOff']);
    assert.equal(r.result, 'rolled_back', result.message);
    assert.equal(r.failureClass, 'CrashLoopBackOff');
    assert.match(r.failureMessage ?? '', /REDIS_URL is not set/);
    assert.equal(r.rollback?.result, 'succeeded');
    assert.equal(r.rollback?.toImage, `${REPO}:1.0.0`);
    assert.ok(r.restoredAt && r.failureDetectedAt && r.restoredAt >= r.failureDetectedAt);
    assert.ok(
      result.rollout?.failure?.logs?.some((l) => l.includes('REDIS_URL')),
      'failing pod logs collected',
    );
    const dep = sim.get('deployments', NS, 'preview-worker');
    assert.equal(dep?.spec.template.spec.containers[0].image, `${REPO}:1.0.0`);
    assert.equal(r.revisionAfter, 3, 'the controller renumbered the restored revision');
  });

  it('fails fast on an image that cannot be pulled and restores the previous version', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    sim.setImageBehavior(`${REPO}:9.9.9`, 'imagepull');
    const result = await runDeploy(env, deployInput('9.9.9'));
    assert.equal(result.record?.result, 'rolled_back', result.message);
    assert.match(result.record?.failureClass ?? '', /^(ImagePullBackOff|ErrImagePull)$/);
  });

  it('rolls back when verification fails after a clean rollout', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    cluster.unhealthyImages.add(`${REPO}:1.2.0`);
    const result = await runDeploy(env, deployInput('1.2.0'));
    assert.equal(result.record?.result, 'rolled_back', result.message);
    assert.equal(result.record?.failureClass, 'VerifyFailed');
    assert.equal(result.record?.verify?.passed, false);
    assert.equal(result.record?.rollback?.verify?.passed, true);
  });

  it('with --no-rollback leaves the failed version and records failed', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    cluster.unhealthyImages.add(`${REPO}:1.2.0`);
    const result = await runDeploy(env, deployInput('1.2.0', { rollback: false }));
    assert.equal(result.record?.result, 'failed');
    assert.equal(result.record?.rollback, undefined);
    assert.equal(
      sim.get('deployments', NS, 'preview-worker')?.spec.template.spec.containers[0].image,
      `${REPO}:1.2.0`,
    );
  });

  it('does not roll the image back when the pod template did not change', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    await runDeploy(env, deployInput('1.1.0'));
    cluster.unhealthyImages.add(`${REPO}:1.1.0`); // the running version turns unhealthy (say, a config change)
    const result = await runDeploy(env, deployInput('1.1.0'));
    assert.equal(result.record?.result, 'failed', result.message);
    assert.equal(result.record?.failureClass, 'VerifyFailed');
    assert.equal(result.record?.revisionAfter, 2);
    assert.match(result.message, /pod template did not change/);
    assert.equal(result.record?.rollback, undefined);
    assert.equal(
      sim.get('deployments', NS, 'preview-worker')?.spec.template.spec.containers[0].image,
      `${REPO}:1.1.0`,
    );
  });

  it('rollback: previous revision, a named revision, skipped, missing revision', async () => {
    const env = await environment();
    for (const tag of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await runDeploy(env, deployInput(tag));
      assert.equal(r.record?.result, 'succeeded');
    }
    const settings = { namespace: NS, gracePeriodMs: 300, timeoutMs: 20_000, pollIntervalMs: 50 };
    const back = await runRollback(env, { ...settings, reason: 'errors after 1.2.0' });
    assert.equal(back.record.result, 'succeeded', back.message);
    assert.equal(back.targetRevision, 2);
    assert.equal(back.record.image, `${REPO}:1.1.0`);
    assert.equal(back.record.revisionAfter, 4);
    const dep = sim.get('deployments', NS, 'preview-worker');
    assert.equal(dep?.spec.template.spec.containers[0].image, `${REPO}:1.1.0`);
    assert.match(
      dep?.metadata.annotations['kubernetes.io/change-cause'],
      /rollback to revision 2: errors after 1.2.0/,
    );

    const named = await runRollback(env, { ...settings, toRevision: 1 });
    assert.equal(named.record.result, 'succeeded');
    assert.equal(named.record.image, `${REPO}:1.0.0`);

    const current = Number(
      sim.get('deployments', NS, 'preview-worker')?.metadata.annotations['deployment.kubernetes.io/revision'],
    );
    const skipped = await runRollback(env, { ...settings, toRevision: current });
    assert.equal(skipped.record.result, 'skipped');
    assert.match(skipped.message, /skipped rollback/);

    await assert.rejects(runRollback(env, { ...settings, toRevision: 99 }), (err: Error) => {
      assert.match(err.message, /^revision 99 not found; available: \d+(, \d+)*$/);
      return true;
    });
    const { records } = await env.ledger.list({ kind: 'rollback' });
    assert.equal(records.length, 3, 'refused rollbacks leave no record');
  });

  it('refuses to roll back a paused deployment', async () => {
    const env = await environment();
    await runDeploy(env, deployInput('1.0.0'));
    await runDeploy(env, deployInput('1.1.0'));
    sim.mutate('deployments', NS, 'preview-worker', (d) => {
      d.spec.paused = true;
    });
    await assert.rejects(runRollback(env, { namespace: NS }), /cannot rollback a paused deployment/);
  });
});
