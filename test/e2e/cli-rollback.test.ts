/**
 * `mobius-deploy rollback` as users run it, against the simulator: the target is the newest
 * revision the ledger records as verified good (never one recorded as failed), --previous and
 * --to-revision choose otherwise with a warning, no verified-good revision changes nothing (exit 4
 * with the candidates), --dry-run shows the target and why, --drill rehearses and is recorded and
 * reported; kubectl's undo mechanics and the exit codes for a missing revision (2), no history (2)
 * and a paused Deployment (4).
 */
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import {
  type DeployTestCluster,
  deployTwiceThenCrashloop,
  FAST,
  ledgerRecords,
  liveImage,
  REPO,
  startDeployTestCluster,
} from './cli-deploy-helpers.js';

const NS = 'production';

interface Leg {
  result: string;
  toRevision: number;
  image: string;
  durationMs: number;
  verify: { passed: boolean };
}
interface RecordJson {
  id: string;
  kind: string;
  result: string;
  revisionAfter?: number;
  rollback: { choice?: string; toVerdict?: string; warning?: string };
  drill: { fromRevision: number; fromImage: string; rollback: Leg; rollForward: Leg };
}
interface DryRunJson {
  dryRun: boolean;
  currentRevision: number;
  choice: string;
  target: { revision: number; image: string; verdict: string; unchanged: boolean; why: string };
  candidates: { revision: number; verdict: string }[];
}
interface ReportJson {
  drills: {
    count: number;
    passed: number;
    failed: number;
    overdue: boolean;
    last: { id: string; rollbackMs: number };
  };
  current: { rollbacks: { total: number }; changeFailureRate: { numerator: number } };
}

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

  /** The Deployment's revision annotation, image and resourceVersion: "nothing changed" means all three. */
  const snapshot = () => {
    const d = c.sim.get('deployments', NS, 'preview-worker');
    return [
      d?.metadata.annotations['deployment.kubernetes.io/revision'],
      liveImage(c.sim, NS),
      d?.metadata.resourceVersion,
    ];
  };
  const deleteLedger = () => {
    for (const cm of c.sim.list('configmaps', NS, { labelSelector: 'mobius.dev/ledger=true' }))
      c.sim.delete('configmaps', NS, cm.metadata.name);
  };

  it('after a crash-looping deploy was rolled back, rollback lands on the verified-good version, not on the crash-looping one', async () => {
    await deployTwiceThenCrashloop(c); // 1.0.0 (rev 1) and 1.1.0 ok; 1.2.0 (rev 3) crash-looped; 1.1.0 is rev 4
    const r = await cli('rollback', '-e', 'production', '--reason', 'errors after 1.2.0');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /rolled back deployment\/preview-worker to revision 1 \(ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0\), now revision 5; verified/,
    );
    assert.match(
      r.stdout,
      /target:\s+revision 1 \(.*:1\.0\.0\): deploy record \S+ verified good at \S+; the newest verified-good revision/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
    const [record] = ledgerRecords(c.sim, NS);
    const rb = record?.rollback as Record<string, unknown>;
    assert.equal(rb.choice, 'verified-good');
    assert.equal(rb.toVerdict, 'verified-good');
    assert.equal(rb.warning, undefined);
    assert.equal((record?.verify as { passed?: boolean } | undefined)?.passed, true);
  });

  it('--dry-run shows the target and why, -o json a stable object, and changes nothing', async () => {
    await deployTwiceThenCrashloop(c);
    const before = snapshot();
    const records = ledgerRecords(c.sim, NS).length;
    const json = await cli('rollback', '-n', NS, '--dry-run', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const plan = parseJsonOutput<DryRunJson>(json);
    assert.equal(plan.dryRun, true);
    assert.equal(plan.currentRevision, 4);
    assert.equal(plan.choice, 'verified-good');
    assert.deepEqual(
      [plan.target.revision, plan.target.image, plan.target.verdict, plan.target.unchanged],
      [1, `${REPO}:1.0.0`, 'verified-good', false],
    );
    assert.match(plan.target.why, /^revision 1 \(.*:1\.0\.0\): deploy record \S+ verified good at /);
    assert.deepEqual(
      plan.candidates.map((x) => [x.revision, x.verdict]),
      [
        [3, 'failed'],
        [1, 'verified-good'],
      ],
    );
    const table = await cli('rollback', '-n', NS, '--dry-run');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /why:\s+revision 1 \(.*:1\.0\.0\): deploy record \S+ verified good at/);
    assert.match(
      table.stdout,
      /dry run \(nothing changed\): would roll back deployment\/preview-worker to revision 1/,
    );
    assert.deepEqual(snapshot(), before);
    assert.equal(ledgerRecords(c.sim, NS).length, records);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
  });

  it('with no verified-good record: exit 4, the candidates with their verdicts and the command to choose; nothing patched', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    assert.equal((await deploy('1.1.0')).code, 0);
    deleteLedger(); // the ledger knows nothing of either revision
    const before = snapshot();
    for (const extra of [[], ['--dry-run']]) {
      const r = await cli('rollback', '-n', NS, '--reason', 'x', ...extra);
      assert.equal(r.code, 4, r.stderr);
      assert.match(
        r.stderr,
        /no revision of deployment\/preview-worker in production is recorded as verified good in the ledger, so nothing was rolled back \(nothing changed\)/,
      );
      assert.match(
        r.stderr,
        /revision 1\s+ghcr\.io\/mobius-org\/mobius-preview-worker:1\.0\.0\s+unknown\s+no ledger record/,
      );
      assert.match(
        r.stderr,
        /node cli\/mobius-deploy\.js rollback -n production --kubeconfig \S+ --to-revision N --reason "\.\.\."/,
      );
    }
    assert.deepEqual(snapshot(), before);
    assert.equal(ledgerRecords(c.sim, NS).length, 0, 'a refused rollback leaves no record');
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
    // The command it names works.
    const chosen = await cli('rollback', '-n', NS, '--to-revision', '1', '--reason', 'x');
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.0.0`);
  });

  it('--previous goes to the revision below the live one and warns (stderr and record) when it is recorded as failed', async () => {
    await deployTwiceThenCrashloop(c); // revision 3 is the crash-looping 1.2.0
    const r = await cli('rollback', '-n', NS, '--previous', '--reason', 'like kubectl', '-o', 'json');
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /warning: revision 3 is recorded as failed in the ledger \(deploy record \S+ failed \(CrashLoopBackOff\)/,
    );
    const record = parseJsonOutput<RecordJson>(r);
    assert.equal(record.rollback.choice, 'previous');
    assert.equal(record.rollback.toVerdict, 'failed');
    assert.match(record.rollback.warning ?? '', /revision 3 is recorded as failed/);
    const flags = await cli('rollback', '-n', NS, '--previous', '--to-revision', '1');
    assert.equal(flags.code, 2, flags.stderr);
    assert.match(flags.stderr, /--to-revision and --previous both choose the target/);
  });

  it('--drill refuses when the live revision is recorded as failed: it would roll forward to it again', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    c.sim.setImageBehavior(`${REPO}:1.1.0`, 'pending');
    assert.equal((await cli('deploy', '-e', 'production', '--image-tag', '1.1.0', '--no-rollback')).code, 4);
    const records = ledgerRecords(c.sim, NS).length;
    const r = await cli('rollback', '-n', NS, '--drill');
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /the live revision 2 \(\S+:1\.1\.0\) of deployment\/preview-worker is recorded as failed \(deploy record \S+ failed/,
    );
    assert.match(r.stderr, /a drill would roll forward to it again, so nothing was changed/);
    assert.match(
      r.stderr,
      /Roll back for real instead: node cli\/mobius-deploy\.js rollback -n production --kubeconfig \S+ --reason "\.\.\." \(to revision 1 \(\S+:1\.0\.0\): deploy record \S+ verified good/,
    );
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`);
    assert.equal(ledgerRecords(c.sim, NS).length, records, 'no drill record');
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);
  });

  it('--drill rolls back to the verified-good revision, verifies, rolls forward, records a drill; report shows it; DORA ignores it', async () => {
    assert.equal((await deploy('1.0.0')).code, 0);
    assert.equal((await deploy('1.1.0')).code, 0);
    const r = await cli('rollback', '-n', NS, '--drill', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const drill = parseJsonOutput<RecordJson>(r);
    assert.equal(drill.kind, 'drill');
    assert.equal(drill.result, 'succeeded');
    assert.deepEqual(
      [
        drill.drill.fromRevision,
        drill.drill.fromImage,
        drill.drill.rollback.toRevision,
        drill.drill.rollback.image,
      ],
      [2, `${REPO}:1.1.0`, 1, `${REPO}:1.0.0`],
    );
    for (const leg of [drill.drill.rollback, drill.drill.rollForward]) {
      assert.equal(leg.result, 'succeeded');
      assert.equal(leg.verify.passed, true);
      assert.equal(typeof leg.durationMs, 'number');
    }
    assert.equal(drill.drill.rollForward.image, `${REPO}:1.1.0`);
    assert.equal(liveImage(c.sim, NS), `${REPO}:1.1.0`, 'the drill ends on the version it started from');
    assert.equal(drill.revisionAfter, 4);
    assert.equal(c.sim.get('leases', NS, 'mobius-deploy-lock'), undefined);

    const report = await runCli(['report', '-n', NS, '--period', 'month', '--format', 'json'], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    assert.equal(report.code, 0, report.stderr);
    const rep = parseJsonOutput<ReportJson>(report);
    assert.deepEqual(
      [rep.drills.count, rep.drills.passed, rep.drills.failed, rep.drills.overdue],
      [1, 1, 0, false],
    );
    assert.equal(rep.drills.last.id, drill.id);
    assert.equal(rep.drills.last.rollbackMs, drill.drill.rollback.durationMs);
    assert.equal(rep.current.rollbacks.total, 0, 'a drill is not a rollback in the delivery metrics');
    assert.equal(rep.current.changeFailureRate.numerator, 0, 'nor a failed change');
    const md = await runCli(['report', '-n', NS, '--period', 'month', '--format', 'md'], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    assert.match(
      md.stdout,
      /## Rollback drills\n\n1 rollback drill this month: 1 passed, 0 failed\. Last drill: /,
    );

    const history = await runCli(['history', '-n', NS], { kubeconfig: c.sim.kubeconfigPath });
    assert.match(history.stdout, /drill\s+succeeded\s+2→4/);
  });
});
