/**
 * bench:cli — how fast the daily `status` check is compared with kubectl, and how fast the CLI starts.
 *
 *   npm run bench:cli [-- --runs 15]
 *
 * Starts the Kubernetes API simulator with a 50-pod Deployment in namespace `production` (pod proxy
 * answering with a fake worker's /metrics), then times, as separate processes, median of N runs
 * after one warm-up each:
 *   A. node cli/mobius-deploy.js status -n production -o json      (everything status shows; the queue
 *      from the first 3 pods that answer /metrics, as by default)
 *   B. ... status -n production -o json --queue-pods all          (the queue from every one of the 50 pods)
 *   C. ... status -n production -o json --no-queue
 *   D. kubectl get deploy,pods -n production                      (the baseline; discovery cache warm)
 *   E. node cli/mobius-deploy.js --help                            (startup)
 *   F. node -e 0                                                   (bare Node startup, for context)
 * in interleaved rounds, and prints the ratios: A/D (the target, ≤ 1.5), B/D and C/D, and E (target
 * < 300 ms). The CLI runs as `npm run build` leaves it: the bundle in dist/cli-bundle when it is
 * current (the first line says which entry ran).
 * Needs a built CLI (npm run build) and kubectl on PATH (the kubectl rows are skipped, saying so, without it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeWorker } from '../test/support/cli.js';
import { startKubeSim } from '../test/support/kube-sim/index.js';
import { median } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'cli', 'mobius-deploy.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 11;

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, out }));
  });
}

/** Which file cli/mobius-deploy.js loads: the bundle when it is not older than the tsc output. */
function cliEntry(): string {
  const compiled = join(ROOT, 'dist', 'deploy', 'cli', 'main.js');
  const bundle = join(ROOT, 'dist', 'cli-bundle', 'main.cjs');
  if (process.env.MOBIUS_DEPLOY_NO_BUNDLE !== '1' && existsSync(bundle)) {
    if (statSync(bundle).mtimeMs >= statSync(compiled).mtimeMs)
      return 'dist/cli-bundle/main.cjs (bundled, with its code cache)';
    return 'dist/deploy/cli/main.js (the bundle is older than the tsc output: run npm run build)';
  }
  return 'dist/deploy/cli/main.js (unbundled)';
}

interface Case {
  label: string;
  cmd: string;
  args: string[];
  samples: number[];
}

/**
 * One warm-up run per case (file cache, kubectl's discovery cache), then RUNS rounds in which every
 * case runs once, interleaved, so changes in machine load hit all cases alike.
 */
async function measure(cases: Case[], env: NodeJS.ProcessEnv): Promise<void> {
  for (const c of cases) {
    const first = await run(c.cmd, c.args, env);
    if (first.code !== 0) throw new Error(`${c.label} exited ${first.code}:\n${first.out.slice(0, 2000)}`);
  }
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) c.samples.push((await run(c.cmd, c.args, env)).ms);
  }
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'deploy', 'cli', 'main.js'))) {
    console.error('Build first: npm run build');
    process.exit(2);
  }
  const home = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  const sim = await startKubeSim({ readyDelayMs: 20 });
  const worker = await startFakeWorker({ queue: { waiting: 3, active: 2 } });
  try {
    await sim.seedPods(50, { namespace: 'production' });
    sim.setProxyTarget('production', '*', worker.url);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      KUBECONFIG: sim.kubeconfigPath,
      NO_COLOR: '1',
      // MOBIUS_DEPLOY_NO_BUNDLE=1 npm run bench:cli measures the unbundled CLI, for comparison.
      MOBIUS_DEPLOY_NO_BUNDLE: process.env.MOBIUS_DEPLOY_NO_BUNDLE,
    };
    const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

    const node = process.execPath;
    const full: Case = {
      label: 'mobius-deploy status -n production -o json',
      cmd: node,
      args: [CLI, 'status', '-n', 'production', '-o', 'json'],
      samples: [],
    };
    const everyPod: Case = {
      label: 'mobius-deploy status -n production -o json --queue-pods all',
      cmd: node,
      args: [...full.args, '--queue-pods', 'all'],
      samples: [],
    };
    const lean: Case = {
      label: 'mobius-deploy status -n production -o json --no-queue',
      cmd: node,
      args: [...full.args, '--no-queue'],
      samples: [],
    };
    const kubectl: Case = {
      label: 'kubectl get deploy,pods -n production',
      cmd: 'kubectl',
      args: ['get', 'deploy,pods', '-n', 'production', '--cache-dir', join(home, 'kcache')],
      samples: [],
    };
    const help: Case = { label: 'mobius-deploy --help', cmd: node, args: [CLI, '--help'], samples: [] };
    const bare: Case = { label: 'node -e 0 (bare Node startup)', cmd: node, args: ['-e', '0'], samples: [] };
    const cases = hasKubectl
      ? [full, everyPod, lean, kubectl, help, bare]
      : [full, everyPod, lean, help, bare];
    await measure(cases, env);
    const rows = cases.map((c) => ({
      label: c.label,
      median: median(c.samples),
      min: Math.min(...c.samples),
      max: Math.max(...c.samples),
    }));
    const med = (c: Case) => median(c.samples);

    const pods = JSON.parse(
      (await run(process.execPath, [CLI, 'status', '-n', 'production', '-o', 'json'], env)).out,
    ).pods.length;
    const bundled = cliEntry();
    console.log(
      `\nbench:cli: ${pods} pods in the simulator, median of ${RUNS} runs after a warm-up (load average ${(await import('node:os')).loadavg()[0].toFixed(2)}); CLI entry: ${bundled}\n`,
    );
    const w = Math.max(...rows.map((r) => r.label.length));
    console.log(`${'command'.padEnd(w)}   median ms     min     max`);
    for (const r of rows)
      console.log(
        `${r.label.padEnd(w)}   ${r.median.toFixed(0).padStart(9)}   ${r.min.toFixed(0).padStart(5)}   ${r.max.toFixed(0).padStart(5)}`,
      );
    console.log('');
    if (hasKubectl) {
      const ratio = med(full) / med(kubectl);
      const everyRatio = med(everyPod) / med(kubectl);
      const leanRatio = med(lean) / med(kubectl);
      console.log(
        `status (all sections, queue from 3 pods) / kubectl get deploy,pods: ${ratio.toFixed(2)}x  (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})`,
      );
      console.log(
        `status --queue-pods all (50 pod proxy reads) / kubectl:             ${everyRatio.toFixed(2)}x  (for comparison)`,
      );
      console.log(
        `status --no-queue / kubectl get deploy,pods:                        ${leanRatio.toFixed(2)}x`,
      );
    } else {
      console.log('kubectl is not on PATH: the status/kubectl ratio was not measured.');
    }
    console.log(
      `--help startup: ${med(help).toFixed(0)} ms (target < 300 ms: ${med(help) < 300 ? 'met' : 'NOT met'}); bare node: ${med(bare).toFixed(0)} ms, so the CLI adds ${(med(help) - med(bare)).toFixed(0)} ms`,
    );
    console.log(
      `Node startup alone is ${(med(bare) / (hasKubectl ? med(kubectl) : 1)).toFixed(2)}x kubectl's whole command${hasKubectl ? '' : ' (n/a)'}.`,
    );
  } finally {
    await worker.close();
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
