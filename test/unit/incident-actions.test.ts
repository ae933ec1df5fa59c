import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  guidanceFor,
  IncidentAlreadyResolvedError,
  type IncidentContext,
  IncidentNotFoundError,
  listIncidentEntries,
  openIncident,
  parseIncidentLevel,
  resolveIncident,
  updateIncident,
} from '../../src/deploy/commands/incident/run.js';
import { buildIncidentReport } from '../../src/deploy/commands/incident/show.js';
import { UsageError } from '../../src/deploy/errors.js';
import { isProductionTarget, openIncidentForFailedDeploy } from '../../src/deploy/incidents/auto.js';
import { listIncidents } from '../../src/deploy/incidents/record.js';
import { Ledger, MemoryLedgerDriver, newDeploymentRecord } from '../../src/deploy/ledger/index.js';

const T0 = Date.parse('2026-11-02T09:00:00.000Z');
const MIN = 60_000;

function setup(start = T0) {
  const clock = { t: start };
  const driver = new MemoryLedgerDriver();
  const ledger = new Ledger(driver, { sleep: async () => {} });
  const ctx: IncidentContext = {
    ledger,
    namespace: 'production',
    environment: 'production',
    actor: 'alice',
    now: () => clock.t,
  };
  return { clock, driver, ledger, ctx };
}

describe('incident actions', () => {
  it('parses levels by number or name and refuses anything else with the allowed values', () => {
    assert.equal(parseIncidentLevel('1'), 1);
    assert.equal(parseIncidentLevel(' major '), 2);
    assert.equal(parseIncidentLevel('critical'), 3);
    for (const bad of ['0', '4', '2.5', 'x', '']) {
      assert.throws(
        () => parseIncidentLevel(bad),
        (e: unknown) => e instanceof UsageError && /must be 1, 2 or 3/.test((e as Error).message),
      );
    }
  });

  it('level 1 escalates strictly after 30 minutes (injected clock); level 2 suggests a rollback; level 3 lists escalation steps', async () => {
    const { clock, ctx } = setup();
    const minor = await openIncident(ctx, { level: 1, summary: 'thumbnails slow' });
    assert.equal(minor.guidance.escalateAt, '2026-11-02T09:30:00.000Z');
    assert.equal(minor.guidance.escalate, false);
    clock.t = T0 + 30 * MIN;
    assert.deepEqual((await listIncidentEntries(ctx, {})).escalate, []);
    clock.t = T0 + 31 * MIN;
    const list = await listIncidentEntries(ctx, {});
    assert.deepEqual(list.escalate, [minor.incident.id]);
    assert.equal(list.incidents[0].durationMs, 31 * MIN);
    const major = guidanceFor(
      { id: 'inc-x', level: 2, openedAt: new Date(T0).toISOString(), status: 'open' },
      'staging',
      T0,
    );
    assert.equal(major.rollbackCommand, 'mobius-deploy rollback -n staging --reason "incident inc-x"');
    const critical = guidanceFor(
      { level: 3, openedAt: new Date(T0).toISOString(), status: 'open' },
      'production',
      T0,
    );
    assert.ok(critical.escalationSteps?.some((s) => /Page the on-call lead/.test(s)));
    // Raising the level stops the level-1 escalation flag.
    await updateIncident(ctx, minor.incident.id, { level: 2 });
    assert.deepEqual((await listIncidentEntries(ctx, {})).escalate, []);
  });

  it('update adds notes and level changes to the timeline; resolve sets cause and time to restore; twice is refused', async () => {
    const { clock, ctx, ledger } = setup();
    const o = await openIncident(ctx, { level: 2, summary: 'renders fail', impact: 'all users' });
    clock.t += 5 * MIN;
    const u = await updateIncident(ctx, o.incident.id, {
      note: 'rolled back',
      level: 1,
      action: ['add a font check'],
    });
    assert.deepEqual(
      u.incident.timeline.map((t) => [t.type, t.text]),
      [
        ['opened', 'Opened at level 2 (major): renders fail'],
        ['level', 'Level changed from 2 (major) to 1 (minor)'],
        ['note', 'rolled back'],
      ],
    );
    assert.deepEqual(u.incident.actions, ['add a font check']);
    await assert.rejects(updateIncident(ctx, o.incident.id, {}), /Nothing to update/);
    clock.t += 7 * MIN;
    const r = await resolveIncident(ctx, o.incident.id, { cause: 'font missing' });
    assert.equal(r.incident.status, 'resolved');
    assert.equal(r.incident.resolvedAt, new Date(T0 + 12 * MIN).toISOString());
    assert.match(r.message, /after 12m/);
    await assert.rejects(
      resolveIncident(ctx, o.incident.id, { cause: 'again' }),
      IncidentAlreadyResolvedError,
    );
    await assert.rejects(resolveIncident(ctx, 'inc-nope-0000', { cause: 'x' }), IncidentNotFoundError);
    await assert.rejects(
      resolveIncident(ctx, o.incident.id, { cause: '  ' }),
      /--cause must name the root cause/,
    );
    // Unique suffix matches; the stored record is what listIncidents returns.
    const found = await updateIncident(ctx, o.incident.id.slice(-4), { note: 'post-mortem scheduled' });
    assert.equal(found.incident.id, o.incident.id);
    assert.equal((await listIncidents(ledger))[0].timeline.length, 5);
  });

  it('a conflicting writer in between is re-read, so its note is kept, and resolve re-checks the status it finds', async () => {
    const { ctx, driver } = setup();
    const o = await openIncident(ctx, { level: 1, summary: 's' });
    const realUpdate = driver.update.bind(driver);
    let sneak = true;
    driver.update = async (record, version) => {
      if (sneak) {
        sneak = false;
        const current = await driver.get('incident', o.incident.id);
        const other = structuredClone(current.record) as typeof o.incident;
        other.timeline.push({ at: other.openedAt, by: 'bob', text: 'bob was here' });
        other.status = 'resolved';
        other.resolvedAt = other.openedAt;
        await realUpdate(other, current.version);
        return realUpdate(record, version); // stale version: conflict
      }
      return realUpdate(record, version);
    };
    await assert.rejects(
      resolveIncident(ctx, o.incident.id, { cause: 'mine' }),
      IncidentAlreadyResolvedError,
    );
    const stored = (await driver.get('incident', o.incident.id)).record as typeof o.incident;
    assert.ok(stored.timeline.some((t) => t.text === 'bob was here'));
  });

  it('the report merges notes, ledger records in the window and Warning events in time order', async () => {
    const { clock, ctx, ledger } = setup();
    const deploy = newDeploymentRecord(
      {
        kind: 'deploy',
        namespace: 'production',
        environment: 'production',
        deployment: 'preview-worker',
        actor: 'octocat',
        startedAt: new Date(T0 - 10 * MIN).toISOString(),
        image: 'repo:1.5.0',
        result: 'failed',
        failureClass: 'CrashLoopBackOff',
        failureDetectedAt: new Date(T0 - 5 * MIN).toISOString(),
        finishedAt: new Date(T0 - 2 * MIN).toISOString(),
      },
      new Date(T0 - 10 * MIN),
    );
    await ledger.create(deploy);
    const old = newDeploymentRecord(
      {
        kind: 'deploy',
        namespace: 'production',
        deployment: 'preview-worker',
        actor: 'x',
        startedAt: new Date(T0 - 5 * 3_600_000).toISOString(),
        result: 'succeeded',
      },
      new Date(T0 - 5 * 3_600_000),
    );
    await ledger.create(old);
    const o = await openIncident(ctx, { level: 2, summary: 'down', deployId: deploy.id });
    clock.t = T0 + 20 * MIN;
    await resolveIncident(ctx, o.incident.id, { cause: 'bad image' });
    const report = await buildIncidentReport(ctx, o.incident.id, {
      events: [
        {
          at: new Date(T0 - 4 * MIN).toISOString(),
          object: 'pod/p1',
          reason: 'BackOff',
          message: 'restarting',
          count: 7,
        },
        {
          at: new Date(T0 - 10 * 3_600_000).toISOString(),
          object: 'pod/p0',
          reason: 'Old',
          message: 'outside the window',
          count: 1,
        },
      ],
    });
    assert.deepEqual(
      report.timeline.map((t) => [t.source, t.text.slice(0, 30)]),
      [
        ['ledger', 'deploy repo:1.5.0 started (rec'],
        ['ledger', 'deploy failure detected: Crash'],
        ['event', 'Warning BackOff on pod/p1: res'],
        ['ledger', 'deploy finished: failed'],
        ['incident', 'Opened at level 2 (major): dow'],
        ['incident', 'Resolved. Root cause: bad imag'],
      ],
    );
    assert.equal(report.timeToRestoreMs, 20 * MIN);
    assert.deepEqual(
      report.changes.map((c) => c.id),
      [deploy.id],
    );
    assert.match(report.markdown, /\*\*Time to restore:\*\* 20m/);
    assert.match(report.markdown, /\(x7\)/);
    assert.doesNotMatch(report.markdown, /outside the window/);
    assert.match(
      report.markdown,
      /\*\*Related deploy:\*\* .*repo:1\.5\.0 by octocat, result failed \(CrashLoopBackOff\)/,
    );
  });

  it('the automatic incident: only for failed production deploys, once per deploy, and never throws', async () => {
    const { ledger } = setup();
    const failed = newDeploymentRecord(
      {
        kind: 'deploy',
        namespace: 'production',
        environment: 'production',
        deployment: 'preview-worker',
        actor: 'ci',
        startedAt: new Date(T0).toISOString(),
        result: 'failed',
        failureClass: 'CrashLoopBackOff',
        image: 'repo:2',
        rollback: { result: 'failed', failureMessage: 'verify failed' },
      },
      new Date(T0),
    );
    assert.equal(isProductionTarget({ environment: 'staging', namespace: 'production' }), false);
    assert.equal(isProductionTarget({ environment: null, namespace: 'production' }), true);
    assert.deepEqual(
      await openIncidentForFailedDeploy(ledger, { ...failed, environment: 'staging' }, T0),
      {},
    );
    assert.deepEqual(await openIncidentForFailedDeploy(ledger, { ...failed, result: 'rolled_back' }, T0), {});
    const first = await openIncidentForFailedDeploy(ledger, failed, T0 + 1000);
    assert.match(first.incidentId ?? '', /^inc-/);
    const second = await openIncidentForFailedDeploy(ledger, failed, T0 + 2000);
    assert.equal(second.incidentId, first.incidentId);
    const all = await listIncidents(ledger);
    assert.equal(all.length, 1);
    assert.equal(all[0].level, 2);
    assert.equal(all[0].relatedDeployId, failed.id);
    assert.match(
      all[0].summary,
      /repo:2 failed and could not be restored \(CrashLoopBackOff\); the automatic rollback failed too \(verify failed\)/,
    );
    const broken = {
      list: ledger.list.bind(ledger),
      create: async () => {
        throw new Error('configmaps is forbidden');
      },
    };
    const res = await openIncidentForFailedDeploy(broken, { ...failed, id: 'other' }, T0);
    assert.equal(res.incidentId, undefined);
    assert.match(
      res.note ?? '',
      /could not be recorded \(configmaps is forbidden\); open it by hand: mobius-deploy incident open -n production --level 2 --deploy other/,
    );
  });
});

describe('incident commands on a shared ledger (one --ledger-dir for staging and production)', () => {
  const deployIn = (namespace: string, id: string, minutesBefore: number) =>
    newDeploymentRecord(
      {
        id,
        kind: 'deploy',
        namespace,
        environment: namespace,
        deployment: 'preview-worker',
        actor: 'x',
        startedAt: new Date(T0 - minutesBefore * MIN).toISOString(),
        finishedAt: new Date(T0 - (minutesBefore - 5) * MIN).toISOString(),
        result: 'succeeded',
      },
      new Date(T0 - minutesBefore * MIN),
    );

  it('list, show, update, resolve and open --deploy see only their namespace and environment, like report', async () => {
    const { ledger, ctx } = setup();
    const staging: IncidentContext = { ...ctx, namespace: 'staging', environment: 'staging' };
    const theirs = await openIncident(staging, { level: 2, summary: 'staging renders fail' });
    const ours = await openIncident(ctx, { level: 2, summary: 'production renders fail' });
    // Written with -n production (no environment): in production's scope, as report reads it.
    const untagged = await openIncident({ ...ctx, environment: null }, { level: 1, summary: 'slow' });

    const list = await listIncidentEntries(ctx, { openOnly: true });
    assert.equal(list.namespace, 'production');
    assert.deepEqual(list.incidents.map((i) => i.id).sort(), [ours.incident.id, untagged.incident.id].sort());
    assert.deepEqual(
      (await listIncidentEntries(staging, { openOnly: true })).incidents.map((i) => i.id),
      [theirs.incident.id],
    );

    const whose =
      /Incident inc-[\w-]+ belongs to namespace staging \(environment staging\), not namespace production \(environment production\)\./;
    for (const act of [
      () => updateIncident(ctx, theirs.incident.id, { note: 'x' }),
      () => resolveIncident(ctx, theirs.incident.id, { cause: 'x' }),
      () => buildIncidentReport(ctx, theirs.incident.id, {}),
    ]) {
      await assert.rejects(act, (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, whose);
        assert.match(e.hint ?? '', /Pass -n staging/);
        return true;
      });
    }
    // A suffix matches only this namespace's incidents.
    await assert.rejects(
      () => updateIncident(ctx, theirs.incident.id.slice(-9), { note: 'x' }),
      IncidentNotFoundError,
    );
    assert.equal((await listIncidents(ledger, { namespace: 'staging' }))[0]?.timeline.length, 1);

    await ledger.create(deployIn('staging', 'stg-deploy', 20));
    await ledger.create(deployIn('production', 'prod-deploy', 30));
    await assert.rejects(
      () => openIncident(ctx, { level: 2, summary: 'x', deployId: 'stg-deploy' }),
      /--deploy stg-deploy: that deploy belongs to namespace staging \(environment staging\), not namespace production/,
    );
    // show's changes in the window are this namespace's only.
    const report = await buildIncidentReport(ctx, ours.incident.id, {});
    assert.deepEqual(
      report.changes.map((c) => c.id),
      ['prod-deploy'],
    );
  });
});
