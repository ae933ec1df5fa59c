/**
 * Our rollout state agrees with `kubectl rollout status` on the same simulated Deployments
 * (healthy, crash-looping new ReplicaSet, progress deadline exceeded). Skipped, saying why, where
 * kubectl is not installed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatusResult } from '../../src/deploy/health/status-types.js';
import { ensureBuilt, parseJsonOutput, runCli } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
let sim: KubeSim;
let home: string;

function kubectlRolloutStatus(ns: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      [
        'rollout',
        'status',
        'deployment/preview-worker',
        '-n',
        ns,
        '--watch=false',
        '--kubeconfig',
        sim.kubeconfigPath,
        '--cache-dir',
        join(home, 'cache'),
      ],
      { env: { PATH: process.env.PATH, HOME: home } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

describe('rollout state agrees with kubectl rollout status', {
  skip: hasKubectl ? false : 'kubectl is not installed on this machine',
}, () => {
  before(async () => {
    ensureBuilt();
    home = mkdtempSync(join(tmpdir(), 'mobius-kubectl-'));
    sim = await startKubeSim({ readyDelayMs: 50 });
    await sim.seedDeployment({ namespace: 'healthy', replicas: 2, hpa: false });
    sim.setImageBehavior('ghcr.io/mobius/preview-worker:crash', 'crashloop');
    for (const ns of ['crash', 'deadline']) {
      // A 2-second progress deadline for 'deadline' only; 'crash' keeps the default 600 s.
      await sim.seedDeployment({
        namespace: ns,
        replicas: 2,
        hpa: false,
        progressDeadlineSeconds: ns === 'deadline' ? 2 : 600,
      });
      sim.setDeploymentImage(ns, 'preview-worker', 'ghcr.io/mobius/preview-worker:crash');
    }
    await sim.waitFor(
      () =>
        sim
          .podsOf('crash', 'preview-worker')
          .some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'),
      { timeoutMs: 15_000 },
    );
    await sim.waitFor(
      () =>
        sim
          .get('deployments', 'deadline', 'preview-worker')
          ?.status?.conditions?.some((c: { reason?: string }) => c.reason === 'ProgressDeadlineExceeded'),
      { timeoutMs: 20_000, message: 'ProgressDeadlineExceeded' },
    );
  });
  after(async () => {
    await sim?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  for (const ns of ['healthy', 'crash', 'deadline']) {
    it(`${ns}: the same message and verdict`, async () => {
      const ours = parseJsonOutput<StatusResult>(
        await runCli(['status', '-n', ns, '-o', 'json', '--no-queue'], { kubeconfig: sim.kubeconfigPath }),
      );
      const theirs = await kubectlRolloutStatus(ns);
      const r = ours.deployment.rollout;
      if (ns === 'deadline') {
        assert.equal(r.phase, 'failed');
        assert.notEqual(theirs.code, 0, theirs.out);
        assert.ok(theirs.out.includes(r.message), `kubectl: ${theirs.out}\nours: ${r.message}`);
      } else {
        assert.equal(theirs.code, 0, theirs.out);
        assert.equal(theirs.out, r.message, `kubectl: ${theirs.out}\nours: ${r.message}`);
        assert.equal(r.done, ns === 'healthy');
      }
    });
  }
});
