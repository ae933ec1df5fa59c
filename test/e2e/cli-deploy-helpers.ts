/**
 * Shared by the deploy/rollback/history/report tests (e2e, and the actions in
 * test/integration/ledger-deploy-actions): a simulator with a fake worker behind the pod proxy
 * (healthy, or answering /readyz 503 for the pods of chosen images), the fast deploy flags and a
 * deploy runner, a seeded history, and small readers of the ledger ConfigMaps and the deploy Lease.
 */
import assert from 'node:assert/strict';
import { type CliResult, runCli, startFakeWorker } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

export const REPO = 'ghcr.io/mobius-org/mobius-preview-worker';
/** Deploy flags that keep a rollout against the simulator short (grace period, polling, timeout). */
export const FAST = ['--grace-period', '500ms', '--poll-interval', '50', '--timeout', '30s'];

export interface DeployTestCluster {
  sim: KubeSim;
  /** Pods running these images answer /readyz with 503. */
  unhealthyImages: Set<string>;
  close(): Promise<void>;
}

/** A simulator with the namespace created and every pod proxied to a fake worker. */
export async function startDeployTestCluster(
  namespace: string,
  options: { readyDelayMs?: number; progressDeadlineScale?: number } = {},
): Promise<DeployTestCluster> {
  const [good, bad] = await Promise.all([startFakeWorker(), startFakeWorker({ ready: false })]);
  const sim = await startKubeSim({
    readyDelayMs: options.readyDelayMs ?? 40,
    progressDeadlineScale: options.progressDeadlineScale ?? 1,
  });
  sim.createNamespace(namespace);
  sim.setProxyTarget('*', '*', good.url);
  const unhealthyImages = new Set<string>();
  const proxied = new Set<string>();
  const timer = setInterval(() => {
    for (const pod of sim.list('pods', namespace)) {
      const name = pod.metadata.name as string;
      if (!proxied.has(name) && unhealthyImages.has(pod.spec?.containers?.[0]?.image)) {
        sim.setProxyTarget(namespace, name, bad.url);
        proxied.add(name);
      }
    }
  }, 5);
  return {
    sim,
    unhealthyImages,
    async close() {
      clearInterval(timer);
      await sim.close();
      await Promise.all([good.close(), bad.close()]);
    },
  };
}

/** The deploy and rollback records stored in the namespace (parsed from the ConfigMaps), newest first. */
export function ledgerRecords(sim: KubeSim, namespace: string): Record<string, unknown>[] {
  return sim
    .list('configmaps', namespace, { labelSelector: 'mobius.dev/ledger=true' })
    .map((cm) => JSON.parse(cm.data.record) as Record<string, unknown>)
    .filter((r) => r.kind === 'deploy' || r.kind === 'rollback')
    .sort((a, b) => String(b.id).localeCompare(String(a.id)));
}

/** The image of the Deployment's first container. */
export function liveImage(sim: KubeSim, namespace: string, name = 'preview-worker'): string | undefined {
  return sim.get('deployments', namespace, name)?.spec?.template?.spec?.containers?.[0]?.image;
}

/** `mobius-deploy deploy -e production --image-tag <tag>` with FAST and `extra`, against the cluster. */
export function deployTag(
  c: DeployTestCluster,
  tag: string,
  extra: string[] = [],
  env?: Record<string, string>,
): Promise<CliResult> {
  return runCli(['deploy', '-e', 'production', '--image-tag', tag, ...FAST, ...extra], {
    kubeconfig: c.sim.kubeconfigPath,
    env,
  });
}

/** A short production history: 1.0.0 and 1.1.0 succeed, then 1.2.0 crash-loops and is rolled back (exit 3). */
export async function deployTwiceThenCrashloop(c: DeployTestCluster): Promise<void> {
  for (const tag of ['1.0.0', '1.1.0']) assert.equal((await deployTag(c, tag)).code, 0);
  c.sim.setImageBehavior(`${REPO}:1.2.0`, 'crashloop');
  assert.equal((await deployTag(c, '1.2.0')).code, 3);
}
