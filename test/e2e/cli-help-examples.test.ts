/**
 * The read-only examples of every command's --help, run as printed (the built CLI against the
 * simulator with production and staging deployed and a worker behind the pod proxy): each must
 * reach the cluster and check (exit 0 or 1), never fail on its own usage (2) or target (5).
 * Examples that write, follow, need a token, a URL or a local ledger are only parsed (the unit test).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt, type FakeWorker, runCli, startFakeWorker } from '../support/cli.js';
import { examplesOf, shellWords } from '../support/help-examples.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

const READ_ONLY = ['status', 'verify', 'logs', 'history', 'access review', 'incident list', 'doctor'];
const NOT_HERE = /^(-f|--follow|--smoke|--url|--ledger-dir|--prometheus-url|--out-dir)$/;

let sim: KubeSim;
let worker: FakeWorker;
before(async () => {
  ensureBuilt();
  sim = await startKubeSim({ readyDelayMs: 20 });
  worker = await startFakeWorker();
  sim.setProxyTarget('*', '*', worker.url);
  await sim.seedDeployment({ namespace: 'production', replicas: 2 });
  await sim.seedDeployment({ namespace: 'staging', replicas: 1 });
});
after(async () => {
  await sim?.close();
  await worker?.close();
});

describe('--help examples run against the simulator', () => {
  it('every read-only example exits 0 or 1', async () => {
    let ran = 0;
    for (const path of READ_ONLY) {
      const help = await runCli([...path.split(' '), '--help']);
      assert.equal(help.code, 0, help.stderr);
      for (const example of examplesOf(help.stdout)) {
        const words = shellWords(example);
        if (words[0] !== 'mobius-deploy') continue;
        const args = words.slice(1);
        if (args.slice(0, path.split(' ').length).join(' ') !== path) continue;
        if (args.some((a) => NOT_HERE.test(a))) continue;
        const r = await runCli(args, { kubeconfig: sim.kubeconfigPath });
        assert.ok(
          r.code === 0 || r.code === 1,
          `${example}: exit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`,
        );
        ran++;
      }
    }
    assert.ok(ran >= 8, `ran ${ran} examples`);
  });
});
