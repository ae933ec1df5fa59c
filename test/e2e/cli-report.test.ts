/**
 * `mobius-deploy report` as users run it (the built CLI): the hand-computed fixture through
 * --ledger-dir (markdown, JSON, HTML, --out), offline without any kubeconfig; usage errors exit 2;
 * and a monthly report over real deploy records written by `mobius-deploy deploy` on the
 * simulator, with infrastructure health from the current cluster state.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { deployTwiceThenCrashloop, startDeployTestCluster } from './cli-deploy-helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/ledger/basic-week', import.meta.url));
const AT = '2026-03-15T00:00:00Z';
const BASE = ['report', '-n', 'production', '--ledger-dir', FIXTURE, '--at', AT];

interface ReportJson {
  schema: string;
  period: string;
  scope: { namespace: string; environment: string | null };
  current: {
    deployments: { completed: number; succeeded: number; inProgress: { id: string }[] };
    changeFailureRate: { value: number | null; numerator: number; denominator: number };
    successRate: { value: number | null };
    timeToRestore: { p50Ms: number | null; maxMs: number | null };
    rollbacks: { causes: { cause: string; count: number }[] };
    bands: Record<string, { band: string | null }>;
  };
  previous: { changeFailureRate: { numerator: number; denominator: number } };
  clockSkew: { recordId: string }[];
  infrastructure: null | {
    source: string;
    restarts: { value: number | null };
    oomKills: { value: number | null };
    alerts: { available: boolean };
    sourceDetail: string;
  };
  infrastructureNote?: string;
}

describe('mobius-deploy report (built CLI)', () => {
  let dir: string;
  before(async () => {
    ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'mobius-report-e2e-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('markdown by default, offline from --ledger-dir, with the hand-computed numbers', async () => {
    const r = await runCli(BASE);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Deployment report: week ending 2026-03-15 00:00 UTC, production/);
    assert.match(r.stdout, /\| Change failure rate \| 57\.1% \(4 of 7\) \| 25\.0% \(1 of 4\) \| Low \|/);
    assert.match(r.stdout, /\| Time to restore \(median\) \| 32m \| 4m \| Elite \|/);
    assert.match(r.stdout, /\| Deploy duration p95 \| 7m 42s \| 9m 24s \|/);
    assert.match(r.stdout, /\| 1 \| ImagePullBackOff \| 1 \| 1 \| 0 \|/);
    assert.match(r.stdout, /\| c8 \| 2026-03-14 23:50 UTC \|/); // in progress, listed
    assert.match(r.stdout, /clock skew: c5: finishedAt/);
    assert.ok(!/NaN|undefined/.test(r.stdout));
    assert.ok(!r.stdout.includes('<'), 'markdown has no HTML');
    assert.equal(r.stderr, '');
  });

  it('--format json has the documented shape; -o json gives the same', async () => {
    const r = await runCli([...BASE, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = parseJsonOutput<ReportJson>(r);
    assert.equal(j.schema, 'mobius-deploy/report@1');
    assert.deepEqual(j.scope, { namespace: 'production', environment: null });
    assert.equal(j.current.deployments.completed, 7);
    assert.deepEqual(j.current.changeFailureRate, { value: 4 / 7, numerator: 4, denominator: 7 });
    assert.equal(j.current.timeToRestore.p50Ms, 32 * 60_000);
    assert.equal(j.current.timeToRestore.maxMs, (23 * 60 + 59) * 60_000);
    assert.deepEqual(
      j.current.deployments.inProgress.map((d) => d.id),
      ['c8'],
    );
    assert.equal(j.previous.changeFailureRate.numerator, 1);
    assert.equal(j.infrastructure, null);
    const o = await runCli([...BASE, '-o', 'json']);
    assert.deepEqual(parseJsonOutput(o), j);
  });

  it('--out writes a self-contained HTML file and prints one line', async () => {
    const out = join(dir, 'weekly.html');
    const r = await runCli([...BASE, '--format', 'html', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^wrote the weekly html report to .*weekly\.html \(\d+ bytes\)\n$/);
    const html = await readFile(out, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.ok(
      !/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg|dora\.dev)/.test(html),
      'no script, no external URL',
    );
    assert.match(html, /57\.1% \(4 of 7\)/);
  });

  it('--failure-window changes which incidents make a failed change', async () => {
    const r = await runCli([...BASE, '--format', 'json', '--failure-window', '5h']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJsonOutput<ReportJson>(r).current.changeFailureRate.numerator, 3);
  });

  it('no deploys: N/A, never 0% or NaN; monthly without cluster access says why infrastructure is missing', async () => {
    const empty = join(dir, 'empty-ledger');
    const r = await runCli([
      'report',
      '-n',
      'production',
      '--ledger-dir',
      empty,
      '--period',
      'month',
      '--at',
      AT,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| Change failure rate \| N\/A \(no completed deploys\) \|/);
    assert.match(r.stdout, /\| Time to restore \(median\) \| N\/A \| N\/A \| N\/A \|/);
    assert.match(r.stdout, /## Infrastructure health\n\ninfrastructure health not available: /);
    // As of a past --at, today's cluster would be the wrong answer: only Prometheus can say.
    assert.match(r.stdout, /as of --at it needs --prometheus-url/);
    assert.ok(!/NaN|0\.0%/.test(r.stdout));
  });

  it('usage errors exit 2 with a hint, no stack trace', async () => {
    const badAt = await runCli([...BASE, '--at', 'yesterday']);
    assert.equal(badAt.code, 2);
    assert.match(badAt.stderr, /expected an ISO-8601 time/);
    const badPeriod = await runCli([...BASE, '--period', 'year']);
    assert.equal(badPeriod.code, 2);
    assert.match(badPeriod.stderr, /week, month/);
    const badProm = await runCli([...BASE, '--period', 'month', '--prometheus-url', 'not a url']);
    assert.equal(badProm.code, 2);
    assert.match(badProm.stderr, /--prometheus-url "not a url" is not a URL/);
    for (const x of [badAt, badPeriod, badProm]) assert.ok(!/\n\s+at /.test(x.stderr));
  });
});

describe('mobius-deploy report over records written by deploy (simulator)', () => {
  it('monthly: counts the real deploys, ranks the rollback cause, infrastructure from the cluster', async () => {
    ensureBuilt();
    const c = await startDeployTestCluster('production');
    try {
      await deployTwiceThenCrashloop(c);
      const r = await runCli(['report', '-e', 'production', '--period', 'month', '--format', 'json'], {
        kubeconfig: c.sim.kubeconfigPath,
      });
      assert.equal(r.code, 0, r.stderr);
      const j = parseJsonOutput<ReportJson>(r);
      assert.equal(j.scope.environment, 'production');
      assert.equal(j.current.deployments.completed, 3);
      assert.equal(j.current.deployments.succeeded, 2);
      assert.deepEqual(j.current.changeFailureRate, { value: 1 / 3, numerator: 1, denominator: 3 });
      assert.deepEqual(
        j.current.rollbacks.causes.map((x) => [x.cause, x.count]),
        [['CrashLoopBackOff', 1]],
      );
      assert.ok((j.current.timeToRestore.p50Ms ?? -1) >= 0);
      assert.equal(j.infrastructure?.source, 'cluster');
      assert.equal(typeof j.infrastructure?.restarts.value, 'number');
      assert.equal(j.infrastructure?.alerts.available, false);
      assert.match(j.infrastructure?.sourceDetail ?? '', /no --prometheus-url was given/);
    } finally {
      await c.close();
    }
  });
});
