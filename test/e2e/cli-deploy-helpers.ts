/**
 * Shared by the deploy/rollback/history tests (e2e, and the actions in
 * test/integration/ledger-deploy-actions): a simulator with a fake worker behind the pod proxy
 * (healthy, or answering /readyz 503 for the pods of chosen images), and small readers of the
 * ledger ConfigMaps and the deploy Lease.
 */
import { startFakeWorker } from '../support/cli.js';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

export const REPO = 'ghcr.io/mobius-org/mobius-preview-worker';

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
