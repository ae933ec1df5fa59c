/**
 * `mobius-deploy deploy` as users run it (the built CLI as a process) against the simulator.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { CLI_PATH, ensureBuilt, parseJsonOutput, REPO_ROOT, runCli } from '../support/cli.js';
import {
  type DeployTestCluster,
  deployTag,
  FAST,
  ledgerRecords,
  liveImage,
  REPO,
  startDeployTestCluster,
} from './cli-deploy-helpers.js';

const NS = 'production';

/** Someone else's deploy lock: the Lease `holder` acquired at `acquiredAt` and last renewed at `renewedAt` (ms). */
function holdDeployLock(
  c: DeployTestCluster,
  holder: string,
  leaseDurationSeconds: number,
  acquiredAt: number,
  renewedAt = acquiredAt,
): void {
  const micro = (t: number) => new Date(t).toISOString().replace('Z', '000Z');
  c.sim.create({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'mobius-deploy-lock', namespace: NS },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds,
      acquireTime: micro(acquiredAt),
      renewTime: micro(renewedAt),
    },
  });
}

describe('mobius-deploy deploy (built CLI against the simulator)', () => {
  let c: DeployTestCluster;
  before(() => ensureBuilt());
  beforeEach(async () => {
    c = await startDeployTestCluster(NS);
  });
  afterEach(async () => {
    await c.close();
  });

  const deploy = (tag: string, ...extra: string[]) =>
    deployTag(c, tag, extra, { GITHUB_ACTOR: 'octocat', GITHUB_SHA: 'abc123def' });

  it('installs into an empty namespace, then upgrades; -o json prints the final record', async () => {
    const first = await deploy('1.0.0');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /result:\s+succeeded/);
    assert.match(
      first.stdout,
      /deployed ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0 to production \(revision 1\)/,
    );
    assert.ok(c.sim.get('services', NS, 'preview-worker'), 'the Service was applied');
    assert.ok(c.sim.get('configmaps', NS, 'preview-worker-config'), 'the ConfigMap was applied');

    const second = await deploy('1.1.0', '-o', 'json', '--reason', 'faster contact sheets');
    assert.equal(second.code, 0, second.stderr);
    const record = parseJsonOutput<Record<string, unknown>>(second);
    assert.equal(record.kind, 'deploy');
    assert.equal(record.result, 'succeeded');
    assert.equal(record.image, `${REPO}:1.1.0`);
    assert.equal(record.previousImage, `${REPO}:1.0.0`);
    assert.equal(record.revisionBefore, 1);
    assert.equal(record.revisionAfter, 2);
    assert.equal(record.actor, 'octocat');
    assert.equal(record.reason, 'faster contact sheets');
    assert.deepEqual(record.git, { commit: 'abc123def' });
    assert.equal((record.verify as { passed: boolean }).passed, true);
    assert.match(String(record.digest), /^sha256:[a-f0-9]{64}$/, 'digest from the pods imageID');
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);
    // The record in the cluster is the one printed.
    const stored = ledgerRecords(c.sim, NS);
    assert.equal(stored.length, 2);
    assert.deepEqual(stored[0], record);
    const deployment = c.sim.get('deployments', NS, 'preview-worker');
    const owners = (deployment?.metadata.managedFields ?? []).map((m: { manager: string }) => m.manager);
    assert.ok(owners.includes('mobius-deploy'), `server-side apply field manager: ${owners.join(', ')}`);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined, 'the lock is released');
  });

  it('rolls a crash-looping image back automatically: exit 3, record names CrashLoopBackOff', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.1.0`, {
      kind: 'crashloop',
      exitCode: 1,
      message: 'Error: REDIS_URL must be a redis:// URL',
      crashLogLines: ['{"level":"fatal","msg":"invalid configuration: REDIS_URL must be a redis:// URL"}'],
    });
    const r = await deploy('1.1.0');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /rolled back automatically to revision 1/);
    assert.match(r.stdout, /CrashLoopBackOff/);
    assert.match(r.stdout, /last terminated: Error, exit code 1: Error: REDIS_URL must be a redis:\/\/ URL/);
    assert.match(r.stdout, /invalid configuration: REDIS_URL must be a redis:\/\/ URL/, 'the last log lines');
    const [record] = ledgerRecords(c.sim, NS);
    assert.equal(record?.result, 'rolled_back');
    assert.equal(record?.failureClass, 'CrashLoopBackOff');
    assert.equal((record?.rollback as { result?: string } | undefined)?.result, 'succeeded');
    assert.ok(record?.restoredAt);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
  });

  it('an image that cannot be pulled: exit 3, ImagePullBackOff', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.1.0-typo`, 'imagepull');
    const r = await deploy('1.1.0-typo', '-o', 'json');
    assert.equal(r.code, 3, r.stderr);
    const record = parseJsonOutput<Record<string, unknown>>(r);
    assert.equal(record.result, 'rolled_back');
    assert.equal(record.failureClass, 'ImagePullBackOff');
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
  });

  it('verification failing after a clean rollout: exit 3, VerifyFailed', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.unhealthyImages.add(`${REPO}:1.2.0`);
    const r = await deploy('1.2.0', '-o', 'json');
    assert.equal(r.code, 3, r.stderr);
    const record = parseJsonOutput<Record<string, unknown>>(r);
    assert.equal(record.failureClass, 'VerifyFailed');
    assert.match(String(record.failureMessage), /readyz/);
    assert.equal((record.rollback as { verify: { passed: boolean } }).verify.passed, true);
  });

  it('OOMKilled and Unschedulable pods fail the rollout (after the grace period): exit 3 each', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.4.0`, 'oomkilled');
    const oom = await deploy('1.4.0', '-o', 'json');
    assert.equal(oom.code, 3, oom.stderr);
    assert.equal(parseJsonOutput<{ failureClass: string }>(oom).failureClass, 'OOMKilled');
    c.sim.setImageBehavior(`${REPO}:1.5.0`, 'pending');
    const pending = await deploy('1.5.0', '-o', 'json');
    assert.equal(pending.code, 3, pending.stderr);
    const record = parseJsonOutput<{ failureClass: string; failureMessage: string }>(pending);
    assert.equal(record.failureClass, 'Unschedulable');
    assert.match(record.failureMessage, /Insufficient memory/);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
  });

  it('--no-rollback: a failed deploy stays, exit 4 with what to do', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.3.0`, 'crashloop');
    const r = await deploy('1.3.0', '--no-rollback');
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /automatic rollback is disabled/);
    assert.match(r.stderr, /node cli\/mobius-deploy\.js rollback -n production/);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.3.0`);
    assert.equal(ledgerRecords(c.sim, NS)[0]?.result, 'failed');
    // The reports toolkit opens a level 2 incident for a production deploy left failed.
    const incidents = c.sim.list('configmaps', NS, { labelSelector: 'mobius.dev/kind=incident' });
    assert.equal(incidents.length, 1);
    assert.match(r.stderr, /level 2 incident \S+ was opened/);
  });

  it('the automatic rollback never goes to a revision recorded as failed or unknown: with no verified-good one, exit 4 with the candidates and nothing rolled back', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    // The ledger no longer holds the record of 1.0.0 (pruned, or kept with --ledger-dir elsewhere).
    for (const cm of c.sim.list('configmaps', NS, { labelSelector: 'mobius.dev/ledger=true' }))
      c.sim.delete('configmaps', NS, cm.metadata.name);
    c.sim.setImageBehavior(`${REPO}:1.1.0`, 'pending');
    const first = await deploy('1.1.0');
    assert.equal(first.code, 4, first.stderr);
    assert.match(
      first.stderr,
      /not rolled back automatically: no other revision is recorded as verified good/,
    );
    assert.match(
      first.stderr,
      /revision 1\s+ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0\s+unknown\s+no ledger record/,
    );
    assert.match(
      first.stderr,
      /choose one: node cli\/mobius-deploy\.js rollback -n production --to-revision N --reason "\.\.\."/,
    );
    assert.match(first.stdout, /rollback:\s+not attempted: no revision is recorded as verified good/);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);

    // Next, a crash-looping 1.2.0: revision 2 (the Unschedulable 1.1.0) is recorded as failed and is
    // never the target, though it is the previous revision.
    c.sim.setImageBehavior(`${REPO}:1.2.0`, 'crashloop');
    const second = await deploy('1.2.0', '-o', 'json');
    assert.equal(second.code, 4, second.stderr);
    const record = parseJsonOutput<{ rollback?: { toRevision?: number }; rolloutRevision?: number }>(second);
    assert.equal(record.rollback?.toRevision, undefined);
    assert.equal(record.rolloutRevision, 3);
    assert.match(
      second.stderr,
      /revision 2\s+\S+:1\.1\.0\s+failed\s+deploy record \S+ failed \(Unschedulable\)/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.2.0`);
    assert.equal(
      c.sim.get('deployments', NS, 'preview-worker')?.metadata.annotations[
        'deployment.kubernetes.io/revision'
      ],
      '3',
    );
  });

  it('the automatic rollback skips a newer revision recorded as failed for the newest verified-good one', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.1.0`, 'pending');
    assert.equal((await deploy('1.1.0', '--no-rollback')).code, 4); // revision 2 stays, failed
    c.sim.setImageBehavior(`${REPO}:1.2.0`, 'crashloop');
    const r = await deploy('1.2.0', '-o', 'json');
    assert.equal(r.code, 3, r.stderr);
    const record = parseJsonOutput<{ rollback: { toRevision: number; toVerdict: string; why: string } }>(r);
    assert.equal(record.rollback.toRevision, 1);
    assert.equal(record.rollback.toVerdict, 'verified-good');
    assert.match(record.rollback.why, /^revision 1 \(.*:1\.0\.0\): deploy record \S+ verified good at /);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
  });

  it('a first install that fails has nothing to roll back to: exit 4', async () => {
    c.sim.setImageBehavior(`${REPO}:0.9.0`, 'crashloop');
    const r = await deploy('0.9.0');
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /first install/);
  });

  it('--dry-run shows a diff and changes nothing: no resourceVersion moves, no record, no lock', async () => {
    const empty = c.sim.resourceVersion();
    const install = await deploy('1.0.0', '--dry-run');
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /\+ would create Deployment\/preview-worker/);
    assert.equal(c.sim.resourceVersion(), empty, 'a dry-run first install creates nothing');
    assert.equal(c.sim.get('deployments', NS, 'preview-worker'), undefined);
    assert.equal((await deploy('1.0.0')).code, 0);
    const before = c.sim.resourceVersion();
    const records = ledgerRecords(c.sim, NS).length;
    const leaseCalls = () => c.sim.requests().filter((q) => q.path.includes('/leases')).length;
    const leaseCallsBefore = leaseCalls();
    const r = await deploy('1.1.0', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /~ would change Deployment\/preview-worker/);
    assert.match(
      r.stdout,
      /-\s+- image: ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0|-\s+image: ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0/,
    );
    assert.match(r.stdout, /\+\s+(- )?image: ghcr\.io\/mobius-org\/mobius-preview-worker:1\.1\.0/);
    assert.doesNotMatch(r.stdout, /resourceVersion|managedFields/);
    assert.equal(c.sim.resourceVersion(), before, 'nothing was written');
    assert.equal(ledgerRecords(c.sim, NS).length, records);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
    const dryRuns = c.sim.requests().filter((q) => q.method === 'PATCH');
    assert.ok(dryRuns.length > 0);
    const json = parseJsonOutput<{
      dryRun: boolean;
      objects: { ref: string; action: string; diff?: string }[];
    }>(await deploy('1.1.0', '--dry-run', '-o', 'json'));
    assert.equal(json.dryRun, true);
    assert.equal(json.objects.find((o) => o.ref === 'Deployment/preview-worker')?.action, 'configured');
    // The same version as live: nothing would change (no managedFields/status/resourceVersion noise).
    const same = parseJsonOutput<{ objects: { ref: string; action: string; diff?: string }[] }>(
      await deploy('1.0.0', '--dry-run', '-o', 'json'),
    );
    const changed = same.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped');
    assert.deepEqual(changed, [], JSON.stringify(changed, null, 2));
    assert.equal(c.sim.resourceVersion(), before);
    assert.equal(leaseCalls(), leaseCallsBefore, 'a dry run never touches the deploy lock');
  });

  it('a live Deployment with a foreign selector: --dry-run and deploy exit 4 with what to do, nothing changes', async () => {
    // Created by hand (kube-sim's seed uses only app.kubernetes.io/name in its selector), not by our manifests.
    await c.sim.seedDeployment({
      namespace: NS,
      name: 'preview-worker',
      image: `${REPO}:0.1.0`,
      replicas: 1,
    });
    const before = c.sim.resourceVersion();
    const dry = await deploy('1.1.0', '--dry-run');
    assert.equal(dry.code, 4, dry.stderr);
    assert.match(dry.stderr, /rejects the manifests \(dry run, nothing changed\).*field is immutable/s);
    assert.match(
      dry.stderr,
      /different label selector.*kubectl delete deployment preview-worker -n production/s,
    );
    assert.doesNotMatch(dry.stderr, /unexpected error/);
    assert.equal(c.sim.resourceVersion(), before, 'a rejected dry run writes nothing');
    const real = await deploy('1.1.0');
    assert.equal(real.code, 4, real.stderr);
    assert.match(real.stderr, /different label selector/);
    assert.equal(liveImage(c.sim, NS), `${REPO}:0.1.0`, 'the live Deployment is untouched');
  });

  it('a 409 Conflict while writing the record loses nothing', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    const fault = c.sim.injectFault({
      method: 'PUT',
      path: /\/configmaps\/mobius-ledger\.deploy\./,
      status: 409,
      times: 2,
    });
    const r = await deploy('1.1.0', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fault.hits(), 2, 'two record writes were refused with 409');
    const printed = parseJsonOutput<Record<string, unknown>>(r);
    const [stored] = ledgerRecords(c.sim, NS);
    assert.deepEqual(stored, printed);
    assert.equal(stored?.result, 'succeeded');
    assert.ok(stored?.finishedAt);
  });

  it('a deploy is blocked by a held lock, with who holds it; an expired lock is taken over', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    const now = Date.now();
    holdDeployLock(c, 'alice@laptop pid 4242 record 20261126t101010000z-00-abcdefgh', 60, now - 5000);
    const blocked = await deploy('1.1.0');
    assert.equal(blocked.code, 4, blocked.stderr);
    assert.match(
      blocked.stderr,
      /deploy lock held by alice@laptop pid 4242 record \S+ since \d{4}-\d\d-\d\dT[\d:.]+Z \(expires in 5\ds\); wait, or use --force-unlock if it is stale/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`, 'nothing changed');
    assert.equal(ledgerRecords(c.sim, NS).length, 1, 'a blocked deploy leaves no record');

    const forced = await deploy('1.1.0', '--force-unlock');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /--force-unlock: took the deploy lock from alice@laptop/);

    holdDeployLock(c, 'ci-runner@gone pid 1', 30, now - 120_000, now - 90_000);
    const stale = await deploy('1.2.0');
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stderr, /took over the expired deploy lock of ci-runner@gone pid 1/);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
  });

  it('two deploys at once: the second is refused while the first holds the lock; with --lock-timeout it waits', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:2.0.0`, { kind: 'ready', delayMs: 1500 });
    const first = deploy('2.0.0');
    await c.sim.waitFor(() => c.sim.get('leases', NS, 'mobius-deploy-lock'), { timeoutMs: 20_000 });
    const holder = c.sim.get('leases', NS, 'mobius-deploy-lock')?.spec.holderIdentity as string;
    assert.match(holder, / pid \d+ record \d{8}t\d{9}z-/);
    const second = await deploy('2.0.1');
    assert.equal(second.code, 4, second.stderr);
    assert.match(second.stderr, /deploy lock held by .* pid \d+ record/);
    const waiting = deploy('2.0.2', '--lock-timeout', '60s');
    assert.equal((await first).code, 0);
    const waited = await waiting;
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(liveImage(c.sim, NS), `${REPO}:2.0.2`);
    const results = ledgerRecords(c.sim, NS).map((r) => [r.image, r.result]);
    assert.deepEqual(results, [
      [`${REPO}:2.0.2`, 'succeeded'],
      [`${REPO}:2.0.0`, 'succeeded'],
      [`${REPO}:1.0.0`, 'succeeded'],
    ]);
  });

  it('SIGINT during a rollout releases the lock and closes the record as Interrupted', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:3.0.0`, { kind: 'ready', delayMs: 10_000 });
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'deploy',
        '-e',
        'production',
        '--image-tag',
        '3.0.0',
        ...FAST,
        '--kubeconfig',
        c.sim.kubeconfigPath,
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    // Interrupt during the rollout: the new ReplicaSet's pods exist and are not ready yet.
    await c.sim.waitFor(
      () =>
        ledgerRecords(c.sim, NS).find((r) => r.image === `${REPO}:3.0.0` && r.result === 'in_progress') &&
        c.sim.podsOf(NS, 'preview-worker').some((p) => p.spec.containers[0].image === `${REPO}:3.0.0`),
      { timeoutMs: 20_000 },
    );
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined, 'lock released on SIGINT');
    const record = ledgerRecords(c.sim, NS).find((r) => r.image === `${REPO}:3.0.0`);
    assert.equal(record?.result, 'failed');
    assert.equal(record?.failureClass, 'Interrupted');
  });

  it('SIGINT while waiting for the lock exits 130 and leaves the holder its lock', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    holdDeployLock(c, 'bob@desk pid 7', 300, Date.now());
    const leaseReads = () =>
      c.sim.requests().filter((q) => q.method === 'GET' && q.path.endsWith('/leases/mobius-deploy-lock'))
        .length;
    const before = leaseReads();
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'deploy',
        '-e',
        'production',
        '--image-tag',
        '3.1.0',
        '--lock-timeout',
        '60s',
        '--kubeconfig',
        c.sim.kubeconfigPath,
      ],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1' }, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await c.sim.waitFor(() => leaseReads() >= before + 2, { timeoutMs: 20_000 });
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock')?.spec.holderIdentity, 'bob@desk pid 7');
    assert.equal(ledgerRecords(c.sim, NS).length, 1, 'no record for a deploy that never got the lock');
  });

  it('-n with --image alone changes only the image of the live Deployment', async () => {
    await c.sim.seedDeployment({ namespace: 'sandbox', image: `${REPO}:1.0.0`, replicas: 2 });
    const r = await runCli(['deploy', '-n', 'sandbox', '--image', `${REPO}:1.0.1`, ...FAST, '-o', 'json'], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(liveImage(c.sim, 'sandbox'), `${REPO}:1.0.1`);
    assert.equal(parseJsonOutput<{ environment: unknown }>(r).environment, null);
    const usage = await runCli(['deploy', '-n', 'sandbox', '--image-tag', '1.0.2'], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--image-tag needs -e\/--env/);
  });
});

describe('mobius-deploy deploy: a rollout that stops progressing', () => {
  before(() => ensureBuilt());
  it('ProgressDeadlineExceeded (pods never ready) is rolled back: exit 3', async () => {
    // progressDeadlineSeconds 300 in the environment file, scaled to 1.5 s by the simulator.
    const c = await startDeployTestCluster(NS, { progressDeadlineScale: 0.005 });
    try {
      const deploy = (tag: string, ...extra: string[]) => deployTag(c, tag, extra);
      assert.equal((await deploy('1.0.0')).code, 0);
      c.sim.setImageBehavior(`${REPO}:1.6.0`, 'readiness-failing');
      const r = await deploy('1.6.0', '-o', 'json');
      assert.equal(r.code, 3, r.stderr);
      const record = parseJsonOutput<{ failureClass: string; failureMessage: string }>(r);
      assert.equal(record.failureClass, 'ProgressDeadlineExceeded');
      assert.match(record.failureMessage, /exceeded its progress deadline/);
      assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
    } finally {
      await c.close();
    }
  });
});
