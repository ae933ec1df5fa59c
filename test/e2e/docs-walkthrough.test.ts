/**
 * The documents' step-by-step commands really work: every `node cli/mobius-deploy.js …` command of
 * docs/TEAM_ONBOARDING_GUIDE.md's "first deployment to staging" section, and of
 * docs/MAINTENANCE_PLAYBOOK.md's daily routine, is run in order with the BUILT CLI against the
 * Kubernetes API simulator (a fake worker behind the pod proxy), and must exit 0 — the outcome the
 * documents promise. The commands are read from the documents, so editing a step changes the test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, REPO_ROOT, runCli, startFakeWorker } from '../support/cli.js';
import { findCommands } from '../support/docs-commands.js';
import { startKubeSim } from '../support/kube-sim/index.js';

/** The text of a markdown section: from the heading that starts with `heading` to the next heading of the same level. */
function section(file: string, heading: string): { text: string; firstLine: number } {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `${file} has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^#+ /.exec(lines[i] as string);
    if (m && m[0].trim().length <= level.length) {
      end = i;
      break;
    }
  }
  return { text: lines.slice(start, end).join('\n'), firstLine: start + 1 };
}

function documentedCommands(file: string, heading: string) {
  const { text, firstLine } = section(file, heading);
  return findCommands(file, text)
    .filter((c) => c.args.length > 0)
    .map((c) => ({ ...c, line: c.line + firstLine - 1 }));
}

describe('documented walk-throughs against the simulator', () => {
  let sim: Awaited<ReturnType<typeof startKubeSim>>;
  let worker: Awaited<ReturnType<typeof startFakeWorker>>;

  before(async () => {
    ensureBuilt();
    worker = await startFakeWorker();
    sim = await startKubeSim({ readyDelayMs: 40 });
    sim.setProxyTarget('*', '*', worker.url);
  });

  after(async () => {
    await sim?.close();
    await worker?.close();
  });

  async function runAll(commands: ReturnType<typeof documentedCommands>): Promise<void> {
    for (const c of commands) {
      const r = await runCli(c.args, { kubeconfig: sim.kubeconfigPath, timeoutMs: 90_000 });
      assert.equal(
        r.code,
        0,
        `${c.file}:${c.line}: \`${c.text}\` exited ${r.code}${r.timedOut ? ' (timed out)' : ''}\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`,
      );
    }
  }

  it('onboarding: the first deployment to staging, step by step', async () => {
    const commands = documentedCommands(
      'docs/TEAM_ONBOARDING_GUIDE.md',
      '## 3. Your first deployment to staging',
    );
    const names = commands.map((c) => c.args[0]);
    // The section rehearses the admin's bootstrap, then render, dry run, deploy, verify, history, rollback.
    for (const step of ['apply-manifests', 'render', 'deploy', 'verify', 'status', 'history', 'rollback']) {
      assert.ok(names.includes(step), `the walk-through no longer has a ${step} step`);
    }
    await runAll(commands);
    const history = await runCli(['history', '--env', 'staging', '-o', 'json'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(history.code, 0, history.stderr);
    const records = (JSON.parse(history.stdout) as { records: Array<{ kind: string; result: string }> })
      .records;
    assert.deepEqual(
      records.map((r) => `${r.kind}:${r.result}`),
      ['rollback:succeeded', 'deploy:succeeded'],
    );
  });

  it('playbook: the daily routine on a healthy production', async () => {
    const bootstrap = await runCli(['apply-manifests', '--env', 'production'], {
      kubeconfig: sim.kubeconfigPath,
    });
    assert.equal(bootstrap.code, 0, bootstrap.stderr);
    await sim.waitForRollout('production', 'preview-worker');
    const commands = documentedCommands('docs/MAINTENANCE_PLAYBOOK.md', '## Daily');
    assert.deepEqual(
      [...new Set(commands.map((c) => c.args[0]))],
      ['status', 'logs', 'verify', 'incident'],
      'the daily routine changed: update this test with it',
    );
    await runAll(commands);
  });
});
