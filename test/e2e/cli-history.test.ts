/**
 * `mobius-deploy history` as users run it, against the simulator: ledger records beside the
 * Kubernetes revisions, -o json, malformed records reported and skipped, and agreement with
 * `kubectl rollout history` where kubectl is installed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import {
  type DeployTestCluster,
  deployTag,
  deployTwiceThenCrashloop,
  REPO,
  startDeployTestCluster,
} from './cli-deploy-helpers.js';

const NS = 'production';
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const hasKubectl = kubectl.status === 0;

interface HistoryJson {
  currentRevision: number;
  records: { kind: string; result: string; image: string; revisionAfter?: number; failureClass?: string }[];
  revisions: { revision: number; image: string; current: boolean; recordId?: string; changeCause?: string }[];
  problems: { location: string; message: string }[];
}

describe('mobius-deploy history (built CLI against the simulator)', () => {
  let c: DeployTestCluster;
  before(() => ensureBuilt());
  beforeEach(async () => {
    c = await startDeployTestCluster(NS);
    await deployTwiceThenCrashloop(c);
  });
  afterEach(async () => {
    await c.close();
  });

  it('lists records newest first beside the revisions; -o json; a malformed record is reported, not fatal', async () => {
    c.sim.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'mobius-ledger.deploy.hand-edited',
        namespace: NS,
        labels: { 'mobius.dev/ledger': 'true', 'mobius.dev/kind': 'deploy' },
      },
      data: { record: '{"id": "hand-edited", "kind": "deploy"' },
    });
    const json = await runCli(['history', '-n', NS, '-o', 'json'], { kubeconfig: c.sim.kubeconfigPath });
    assert.equal(json.code, 0, json.stderr);
    const h = parseJsonOutput<HistoryJson>(json);
    assert.deepEqual(
      h.records.map((r) => [r.image, r.result, r.failureClass ?? null]),
      [
        [`${REPO}:1.2.0`, 'rolled_back', 'CrashLoopBackOff'],
        [`${REPO}:1.1.0`, 'succeeded', null],
        [`${REPO}:1.0.0`, 'succeeded', null],
      ],
    );
    assert.equal(h.currentRevision, 4);
    assert.deepEqual(
      h.revisions.map((r) => [r.revision, r.image, r.current]),
      [
        [4, `${REPO}:1.1.0`, true],
        [3, `${REPO}:1.2.0`, false],
        [1, `${REPO}:1.0.0`, false],
      ],
    );
    assert.match(
      h.revisions[0]?.changeCause ?? '',
      /automatic rollback to revision 2 after CrashLoopBackOff/,
    );
    assert.equal(h.problems.length, 1);
    assert.equal(h.problems[0]?.location, 'configmap/mobius-ledger.deploy.hand-edited');

    const table = await runCli(['history', '-n', NS], { kubeconfig: c.sim.kubeconfigPath });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /STARTED\s+KIND\s+RESULT\s+REVISION\s+IMAGE/);
    assert.match(
      table.stdout,
      /deploy\s+rolled_back\s+2→4\s+ghcr\.io\/mobius-org\/mobius-preview-worker:1\.2\.0/,
    );
    assert.match(
      table.stdout,
      /warning: skipped ledger entry configmap\/mobius-ledger\.deploy\.hand-edited: not valid JSON/,
    );
    // The change-cause is shown as it is stored, not rewritten like a hint to the checkout's
    // `node cli/mobius-deploy.js` (the CLI ran from a checkout here).
    assert.match(table.stdout, / mobius-deploy automatic rollback to revision 2 after CrashLoopBackOff/);
    assert.doesNotMatch(table.stdout, /mobius-deploy\.js (?:automatic|deploy|rollback)/);
  });

  it('marks each revision verified-good, failed or unknown (table column and JSON field)', async () => {
    // A revision the ledger knows nothing of: 1.3.0 deployed with its record kept elsewhere.
    const dir = mkdtempSync(join(tmpdir(), 'ledger-elsewhere-'));
    try {
      assert.equal((await deployTag(c, '1.3.0', ['--ledger-dir', dir])).code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const json = await runCli(['history', '-n', NS, '-o', 'json'], { kubeconfig: c.sim.kubeconfigPath });
    assert.equal(json.code, 0, json.stderr);
    const h = parseJsonOutput<{
      revisions: { revision: number; verdict: string; verdictEvidence?: string }[];
    }>(json);
    assert.deepEqual(
      h.revisions.map((r) => [r.revision, r.verdict]),
      [
        [5, 'unknown'],
        [4, 'verified-good'],
        [3, 'failed'],
        [1, 'verified-good'],
      ],
    );
    assert.match(h.revisions[2]?.verdictEvidence ?? '', /^deploy record \S+ failed \(CrashLoopBackOff\) at /);
    assert.match(
      h.revisions[1]?.verdictEvidence ?? '',
      /^deploy record \S+'s automatic rollback verified good at /,
    );
    const table = await runCli(['history', '-n', NS], { kubeconfig: c.sim.kubeconfigPath });
    assert.match(table.stdout, /REVISION\s+IMAGE\s+CREATED\s+READY\s+VERDICT\s+RECORD/);
    assert.match(
      table.stdout,
      /\n\s*3\s+ghcr\.io\/mobius-org\/mobius-preview-worker:1\.2\.0\s+\S+ \S+\s+0\/0\s+failed\s/,
    );
    assert.match(table.stdout, /\n\s*5\*\s+\S+:1\.3\.0\s+\S+ \S+\s+3\/3\s+unknown\s/);
  });

  it('--ledger-dir keeps the ledger in local files instead of ConfigMaps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-dir-'));
    try {
      const cms = () => c.sim.list('configmaps', NS, { labelSelector: 'mobius.dev/ledger=true' }).length;
      const before = cms();
      const r = await deployTag(c, '1.1.1', ['--ledger-dir', dir, '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const id = parseJsonOutput<{ id: string }>(r).id;
      assert.deepEqual(readdirSync(dir), [`deploy.${id}.json`]);
      assert.equal(cms(), before, 'no ConfigMap written');
      const h = parseJsonOutput<HistoryJson>(
        await runCli(['history', '-n', NS, '--ledger-dir', dir, '-o', 'json'], {
          kubeconfig: c.sim.kubeconfigPath,
        }),
      );
      assert.deepEqual(
        h.records.map((x) => [x.image, x.result]),
        [[`${REPO}:1.1.1`, 'succeeded']],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('agrees with kubectl rollout history on the revisions', {
    skip: hasKubectl ? false : 'kubectl is not installed',
  }, async () => {
    // Asynchronously: the simulator serves from this process's event loop.
    const out = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', c.sim.kubeconfigPath, '-n', NS, 'rollout', 'history', 'deployment/preview-worker'],
        { encoding: 'utf8', timeout: 30_000 },
        (err, stdout, stderr) => resolve({ status: err ? 1 : 0, stdout, stderr }),
      );
    });
    assert.equal(out.status, 0, out.stderr);
    const kubectlRevisions = out.stdout
      .split('\n')
      .map((l) => /^(\d+)\s/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    const h = parseJsonOutput<HistoryJson>(
      await runCli(['history', '-n', NS, '-o', 'json'], { kubeconfig: c.sim.kubeconfigPath }),
    );
    assert.deepEqual(
      h.revisions.map((r) => r.revision),
      kubectlRevisions,
    );
    assert.ok(kubectlRevisions.length >= 3);
    // kubectl shows the change-cause we stamp.
    assert.match(out.stdout, /mobius-deploy/);
  });
});
