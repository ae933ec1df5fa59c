// Benchmark: how much time `mobius-deploy deploy` adds on top of the rollout itself and the
// verification checks, against the Kubernetes API simulator.
//   npm run bench:deploy                      (5 rounds, 3 replicas, 300 ms pod start)
//   npm run bench:deploy -- --rounds 10 --replicas 5 --ready-ms 500
//
// Each round deploys a new image tag three ways, in the same simulator:
//   baseline  a bare loop: one server-side apply of the Deployment, poll its status every 25 ms
//             until `kubectl rollout status` would say done, then the same verify checklist
//             (actions/verify.ts runVerify) that deploy runs
//   action    runDeploy in-process: lock, ledger record, render + server-side apply of every object,
//             rollout watch with fail-fast classification (250 ms polls), verify, record, prune,
//             unlock
//   cli       `node cli/mobius-deploy.js deploy -e production --image-tag T` as a process (adds
//             Node start-up and module loading)
// and prints the medians: total time, overhead against the baseline measured in the same run,
// and overhead = total - (rollout + verify phases) as the record itself measures it.
// Target: under 2 s of overhead beyond the rollout and verification checks.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { runDeploy } from '../src/deploy/commands/deploy/run.js';
import { runVerify } from '../src/deploy/health/verify.js';
import { serverSideApply } from '../src/deploy/kube/apply.js';
import { createKubeClients } from '../src/deploy/kube/client.js';
import { deploymentRolloutStatus } from '../src/deploy/kube/rollout.js';
import { buildApplicationManifests, loadEnvironment } from '../src/deploy/manifests/index.js';
import { createDeployEnvironment } from '../src/deploy/release/environment.js';
import { startKubeSim } from '../test/support/kube-sim/index.js';
import { argNumber, median } from './stats.js';

const ROUNDS = argNumber('--rounds', 5);
const REPLICAS = argNumber('--replicas', 3);
const READY_MS = argNumber('--ready-ms', 300);
const NS = 'production';
const REPO = 'ghcr.io/mobius-org/mobius-preview-worker';

const METRICS = [
  'preview_worker_jobs_total{outcome="completed"} 1',
  'preview_worker_job_duration_seconds_bucket{outcome="completed",le="+Inf"} 1',
  'preview_worker_job_duration_seconds_sum{outcome="completed"} 1',
  'preview_worker_job_duration_seconds_count{outcome="completed"} 1',
  'preview_worker_queue_jobs{state="waiting"} 0',
  'preview_worker_active_jobs 0',
  'preview_worker_stalled_jobs_total 0',
  'preview_worker_build_info{version="1",revision="x"} 1',
  '',
].join('\n');

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const worker = createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) return res.writeHead(200).end(METRICS);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  await new Promise<void>((r) => worker.listen(0, '127.0.0.1', () => r()));
  const sim = await startKubeSim({ readyDelayMs: READY_MS });
  sim.createNamespace(NS);
  sim.setProxyTarget('*', '*', `http://127.0.0.1:${(worker.address() as AddressInfo).port}`);
  const kube = await createKubeClients({ kubeconfig: sim.kubeconfigPath });
  const envConfig = { ...loadEnvironment('production'), replicas: REPLICAS };
  envConfig.autoscaling = { ...envConfig.autoscaling, minReplicas: REPLICAS };
  const env = await createDeployEnvironment(kube, { namespace: NS, provenance: { actor: 'bench' } });
  const verify = () =>
    runVerify(kube, {
      namespace: NS,
      deployment: 'preview-worker',
      timeoutMs: 5000,
      restartWindowMs: 600_000,
    });

  // Install once so every measured round is an upgrade.
  let n = 0;
  const tag = () => `0.0.${++n}`;
  const first = await runDeploy(env, {
    namespace: NS,
    objects: buildApplicationManifests(envConfig, { imageTag: tag() }) as never,
    image: `${REPO}:0.0.${n}`,
  });
  if (first.record?.result !== 'succeeded') throw new Error(`install failed: ${first.message}`);

  const rows: {
    baseline: number;
    baseRollout: number;
    baseVerify: number;
    action: number;
    phases: number;
    cli: number;
  }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // baseline: bare apply + wait + verify
    const deployment = buildApplicationManifests(envConfig, { imageTag: tag() }).find(
      (o) => o.kind === 'Deployment',
    )!;
    const b0 = performance.now();
    await serverSideApply(kube, deployment as never, { force: true, fieldManager: 'bench-bare' });
    for (;;) {
      const d = await kube.getJson<Parameters<typeof deploymentRolloutStatus>[0]>(
        `/apis/apps/v1/namespaces/${NS}/deployments/preview-worker`,
      );
      if (deploymentRolloutStatus(d).done) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const b1 = performance.now();
    const v = await verify();
    if (!v.passed) throw new Error('baseline verify failed');
    const b2 = performance.now();

    // our action, in-process
    const t = tag();
    const a0 = performance.now();
    const result = await runDeploy(env, {
      namespace: NS,
      environment: 'production',
      objects: buildApplicationManifests(envConfig, { imageTag: t }) as never,
      image: `${REPO}:${t}`,
    });
    const a1 = performance.now();
    if (result.record?.result !== 'succeeded') throw new Error(`deploy failed: ${result.message}`);
    const phases = (result.record.phases.rollout ?? 0) + (result.record.phases.verify ?? 0);

    // the CLI as a process
    const ct = tag();
    const c0 = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          'cli/mobius-deploy.js',
          'deploy',
          '-e',
          'production',
          '--image-tag',
          ct,
          '--kubeconfig',
          sim.kubeconfigPath,
          '-q',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      child.on('close', resolve);
    });
    const c1 = performance.now();
    if (code !== 0) throw new Error(`cli deploy exited ${code}`);
    rows.push({
      baseline: b2 - b0,
      baseRollout: b1 - b0,
      baseVerify: b2 - b1,
      action: a1 - a0,
      phases: a1 - a0 - phases,
      cli: c1 - c0,
    });
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }
  kube.close();
  await sim.close();
  worker.close();

  const base = median(rows.map((r) => r.baseline));
  const action = median(rows.map((r) => r.action));
  const cli = median(rows.map((r) => r.cli));
  const phaseOverhead = median(rows.map((r) => r.phases));
  console.log(
    `\nmobius-deploy deploy overhead against the simulator (${ROUNDS} rounds, ${REPLICAS} replicas, pods ready after ${READY_MS} ms; medians)\n`,
  );
  const table = [
    ['path', 'total', 'vs baseline', 'ratio', 'overhead (total - rollout - verify phases)'],
    [
      'baseline: bare apply + wait + verify',
      fmt(base),
      '-',
      '1.00x',
      `rollout ${fmt(median(rows.map((r) => r.baseRollout)))}, verify ${fmt(median(rows.map((r) => r.baseVerify)))}`,
    ],
    [
      'deploy action (in-process)',
      fmt(action),
      `+${fmt(action - base)}`,
      `${(action / base).toFixed(2)}x`,
      fmt(phaseOverhead),
    ],
    ['deploy CLI (node process)', fmt(cli), `+${fmt(cli - base)}`, `${(cli / base).toFixed(2)}x`, '-'],
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('   ')
        .trimEnd(),
    );
  const worst = Math.max(cli - base, action - base);
  console.log(
    `\ntarget: under 2 s of overhead; measured ${fmt(worst)} (${worst < 2000 ? 'met' : 'NOT met'})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
