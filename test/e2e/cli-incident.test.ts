/**
 * `mobius-deploy incident` with the built CLI against the simulator (ConfigMap ledger) and offline
 * (--ledger-dir): the lifecycle, validation, concurrent updates without loss, escalation of old
 * level-1 incidents, the post-incident report with ledger records and Warning events, and the
 * level-2 incident a production deploy opens by itself when even its rollback fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';
import { type DeployTestCluster, ledgerRecords, REPO, startDeployTestCluster } from './cli-deploy-helpers.js';

const NS = 'production';

interface Incident {
  id: string;
  level: number;
  status: string;
  summary: string;
  cause?: string;
  relatedDeployId?: string;
  automatic?: boolean;
  openedAt: string;
  resolvedAt?: string;
  timeline: { at: string; by: string; text: string }[];
}
interface Outcome {
  incident: Incident;
  guidance: { rollbackCommand?: string; escalationSteps?: string[]; escalateAt?: string };
}
interface ListJson {
  incidents: { id: string; level: number; status: string; escalate: boolean }[];
  escalate: string[];
}

describe('mobius-deploy incident (built CLI against the simulator)', () => {
  let sim: KubeSim;
  const cli = (...args: string[]) =>
    runCli(['incident', ...args, '-n', NS], {
      kubeconfig: sim.kubeconfigPath,
      env: { MOBIUS_DEPLOY_ACTOR: 'alice' },
    });

  before(async () => {
    ensureBuilt();
    sim = await startKubeSim();
    sim.createNamespace(NS);
  });
  after(() => sim.close());

  it('validates --level, --deploy and ids with clear sentences (exit 2)', async () => {
    const bad = await cli('open', '--level', '4', '--summary', 'x');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--level must be 1, 2 or 3 \(1 minor, 2 major, 3 critical\); got "4"/);
    const noDeploy = await cli('open', '--level', '2', '--summary', 'x', '--deploy', 'nope');
    assert.equal(noDeploy.code, 2);
    assert.match(noDeploy.stderr, /--deploy nope: no deploy record with that id/);
    const unknown = await cli('show', 'inc-20990101-000000-zzzz');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /No incident with id "inc-20990101-000000-zzzz" in the ledger ConfigMaps \(namespace production\)/,
    );
    assert.equal(sim.list('configmaps', NS, { labelSelector: 'mobius.dev/kind=incident' }).length, 0);
  });

  it('open → concurrent updates → resolve → show; resolving twice is refused', async () => {
    const opened = await cli(
      'open',
      '--level',
      '2',
      '--summary',
      'renders fail with 500',
      '--impact',
      'all previews for 10 minutes',
      '-o',
      'json',
    );
    assert.equal(opened.code, 0, opened.stderr);
    const o = parseJsonOutput<Outcome>(opened);
    assert.equal(o.incident.level, 2);
    assert.equal(o.incident.status, 'open');
    assert.match(
      o.guidance.rollbackCommand ?? '',
      // The JSON keeps `mobius-deploy`; the options reach the same target (-n, --kubeconfig as given).
      new RegExp(
        `^mobius-deploy rollback -n production --kubeconfig ${sim.kubeconfigPath} --reason "incident ${o.incident.id}"$`,
      ),
    );
    const id = o.incident.id;
    const cm = sim.get('configmaps', NS, `mobius-ledger.incident.${id}`);
    assert.equal(cm?.metadata.labels['mobius.dev/kind'], 'incident');

    // Six writers at once (separate processes): every note survives (resourceVersion conflicts retried).
    const notes = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const results = await Promise.all(notes.map((n) => cli('update', id, '--note', `note ${n}`)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const leveled = await cli('update', id.slice(-4), '--level', '3', '-o', 'json');
    assert.equal(leveled.code, 0, leveled.stderr);
    const l = parseJsonOutput<Outcome>(leveled);
    assert.equal(l.incident.level, 3);
    assert.ok((l.guidance.escalationSteps ?? []).length >= 4);
    assert.deepEqual(
      l.incident.timeline
        .filter((t) => t.text.startsWith('note '))
        .map((t) => t.text)
        .sort(),
      notes.map((n) => `note ${n}`),
    );
    const text = await cli('update', id, '--note', 'paged the lead');
    assert.match(text.stdout, /Escalation steps:\n {2}1\. Page the on-call lead/);

    sim.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'preview-worker-data', namespace: NS, uid: 'pvc-uid-1' },
      spec: { accessModes: ['ReadWriteMany'] },
      status: { phase: 'Pending' },
    });
    sim.addEvent({
      involvedObject: { resource: 'persistentvolumeclaims', namespace: NS, name: 'preview-worker-data' },
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message: 'storageclass.storage.k8s.io "nfs-rwx" not found',
    });
    const resolved = await cli(
      'resolve',
      id,
      '--cause',
      'font missing from image 1.5.0',
      '--note',
      'rolled back to 1.4.2',
      '-o',
      'json',
    );
    assert.equal(resolved.code, 0, resolved.stderr);
    const r = parseJsonOutput<Outcome>(resolved);
    assert.equal(r.incident.status, 'resolved');
    assert.equal(r.incident.cause, 'font missing from image 1.5.0');
    assert.ok(r.incident.resolvedAt);
    const again = await cli('resolve', id, '--cause', 'x');
    assert.equal(again.code, 2);
    assert.match(again.stderr, new RegExp(`Incident ${id} is already resolved`));

    const show = await cli('show', id);
    assert.equal(show.code, 0, show.stderr);
    const md = show.stdout;
    assert.match(md, /^# Post-incident report \(draft\): renders fail with 500/);
    assert.match(md, /\*\*Level:\*\* 3 \(critical\)\. Critical: outage, security breach or data loss\./);
    assert.match(md, /\*\*Time to restore:\*\* \d+s/);
    assert.match(md, /## Impact\n\nall previews for 10 minutes/);
    assert.match(md, /\| incident \(alice\) \| Level changed from 2 \(major\) to 3 \(critical\) \|/);
    assert.match(
      md,
      /\| event \| Warning ProvisioningFailed on persistentvolumeclaim\/preview-worker-data: storageclass/,
    );
    assert.match(md, /## Root cause\n\nfont missing from image 1\.5\.0/);
    assert.match(md, /- \[ \] _TODO: prevent it/);
    const json = await cli('show', id, '-o', 'json');
    const report = parseJsonOutput<{
      timeToRestoreMs: number;
      timeline: { source: string }[];
      markdown: string;
    }>(json);
    assert.ok(report.timeToRestoreMs >= 0);
    assert.ok(report.timeline.some((t) => t.source === 'event'));
  });

  it('list flags a level-1 incident open over 30 minutes as "escalate" (exit 1); --open and --since filter', async () => {
    const openedAt = new Date(Date.now() - 45 * 60_000).toISOString();
    const id = 'inc-20000101-000000-old1';
    const record = {
      schemaVersion: 1,
      id,
      kind: 'incident',
      namespace: NS,
      environment: null,
      startedAt: openedAt,
      level: 1,
      summary: 'slow thumbnails',
      status: 'open',
      openedAt,
      updatedAt: openedAt,
      timeline: [{ at: openedAt, by: 'bob', text: 'opened' }],
      openedBy: 'bob',
    };
    sim.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `mobius-ledger.incident.${id}`,
        namespace: NS,
        labels: {
          'mobius.dev/ledger': 'true',
          'mobius.dev/kind': 'incident',
          'app.kubernetes.io/managed-by': 'mobius-deploy',
        },
      },
      data: { record: JSON.stringify(record) },
    });
    const list = await cli('list', '--open', '-o', 'json');
    assert.equal(list.code, 1, list.stderr);
    const j = parseJsonOutput<ListJson>(list);
    assert.deepEqual(j.escalate, [id]);
    assert.ok(j.incidents.every((i) => i.status === 'open'));
    const table = await cli('list');
    assert.match(
      table.stdout,
      new RegExp(`${id}\\s+1\\s+open\\s+.*\\s4[5-9]m\\s+escalate\\s+slow thumbnails`),
    );
    assert.match(table.stdout, /ESCALATE inc-20000101-000000-old1: level 1 open over 30 minutes/);
    const recent = await cli('list', '--since', '30m', '-o', 'json');
    assert.ok(!parseJsonOutput<ListJson>(recent).incidents.some((i) => i.id === id));
    const raised = parseJsonOutput<Outcome>(await cli('update', id, '--level', '2', '-o', 'json'));
    assert.equal(raised.incident.level, 2);
    const after = await cli('list', '--open', '-o', 'json');
    assert.equal(after.code, 0);
    assert.deepEqual(parseJsonOutput<ListJson>(after).escalate, []);
  });

  it('works offline with --ledger-dir (no kubeconfig)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'incident-ledger-'));
    try {
      const off = (...args: string[]) =>
        runCli(['incident', ...args, '-n', NS, '--ledger-dir', dir], {
          env: { MOBIUS_DEPLOY_ACTOR: 'carol' },
        });
      const o = await off('open', '--level', '3', '--summary', 'customer data exposed', '-o', 'json');
      assert.equal(o.code, 0, o.stderr);
      const id = parseJsonOutput<Outcome>(o).incident.id;
      assert.equal((await off('resolve', id, '--cause', 'public bucket')).code, 0);
      const show = await off('show', id);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /## Escalation steps\n\n1\. Page the on-call lead/);
      assert.match(show.stdout, /Kubernetes events not included: the cluster could not be read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a --ledger-dir shared by staging and production: each -e lists and shows only its own incidents', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'incident-shared-'));
    try {
      const run = (env: string, ...args: string[]) =>
        runCli(['incident', ...args, '-e', env, '--ledger-dir', dir], {
          env: { MOBIUS_DEPLOY_ACTOR: 'dan' },
        });
      const opened = async (env: string, summary: string) => {
        const o = await run(env, 'open', '--level', '2', '--summary', summary, '-o', 'json');
        assert.equal(o.code, 0, o.stderr);
        return parseJsonOutput<Outcome>(o).incident.id;
      };
      const stagingId = await opened('staging', 'staging renders fail');
      const productionId = await opened('production', 'production renders fail');
      const list = await run('production', 'list', '--open', '-o', 'json');
      assert.equal(list.code, 0, list.stderr);
      const json = parseJsonOutput<ListJson & { namespace: string; environment: string | null }>(list);
      assert.equal(json.namespace, 'production');
      assert.equal(json.environment, 'production', 'the JSON names the scope it lists');
      assert.deepEqual(
        json.incidents.map((i) => i.id),
        [productionId],
      );
      const other = await run('production', 'show', stagingId, '--no-events');
      assert.equal(other.code, 2);
      assert.match(
        other.stderr,
        /belongs to namespace staging \(environment staging\), not namespace production/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a production deploy that cannot be restored opens a level-2 incident', () => {
  let c: DeployTestCluster;
  const FAST = ['--grace-period', '500ms', '--poll-interval', '50', '--timeout', '20s'];
  before(async () => {
    ensureBuilt();
    c = await startDeployTestCluster(NS);
  });
  after(() => c.close());

  it('deploy exits 4, the incident links the deploy record, and show draws the timeline from the ledger', async () => {
    const deploy = (tag: string) =>
      runCli(['deploy', '-e', 'production', '--image-tag', tag, ...FAST], {
        kubeconfig: c.sim.kubeconfigPath,
        env: { GITHUB_ACTOR: 'octocat' },
      });
    assert.equal((await deploy('1.0.0')).code, 0);
    // The new version crash-loops, and the restored one fails verification too (its /readyz is 503).
    c.sim.setImageBehavior(`${REPO}:1.1.0`, 'crashloop');
    c.unhealthyImages.add(`${REPO}:1.0.0`);
    const r = await deploy('1.1.0');
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /automatic rollback to revision \d+ .* failed too/);
    assert.match(
      r.stderr,
      /a level 2 incident (inc-\S+) was opened for this failure: node cli\/mobius-deploy\.js incident show inc-\S+ -n production/,
    );
    const failed = ledgerRecords(c.sim, NS).find((rec) => rec.kind === 'deploy' && rec.result === 'failed');
    assert.ok(failed);
    const list = await runCli(['incident', 'list', '-n', NS, '-o', 'json'], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    const incidents = parseJsonOutput<{
      incidents: { id: string; level: number; relatedDeployId: string }[];
    }>(list).incidents;
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0].level, 2);
    assert.equal(incidents[0].relatedDeployId, failed.id);
    const show = await runCli(['incident', 'show', incidents[0].id, '-n', NS], {
      kubeconfig: c.sim.kubeconfigPath,
    });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /opened automatically by a failed deploy/);
    assert.match(
      show.stdout,
      new RegExp(
        `\\*\\*Related deploy:\\*\\* ${failed.id}: ${REPO.replace(/\./g, '\\.')}:1\\.1\\.0 by octocat, result failed \\(CrashLoopBackOff\\)`,
      ),
    );
    assert.match(show.stdout, /\| ledger \| deploy failure detected: CrashLoopBackOff/);
    assert.match(
      show.stdout,
      /## Suggested rollback\n\n```sh\nnode cli\/mobius-deploy\.js rollback -n production/,
    );
  });
});
