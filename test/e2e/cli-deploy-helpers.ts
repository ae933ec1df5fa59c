/**
 * Shared by the deploy/rollback/history tests (e2e, and the actions in
 * test/integration/ledger-deploy-actions): a simulator with a fake worker behind the pod proxy
 * (healthy, or answering /readyz 503 for the pods of chosen images), and small readers of the
 * ledger ConfigMaps and the deploy Lease.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type KubeSim, startKubeSim } from '../support/kube-sim/index.js';

export const REPO = 'ghcr.io/mobius-org/mobius-preview-worker';

const METRICS = [
  '# TYPE preview_worker_jobs_total counter',
  'preview_worker_jobs_total{outcome="completed"} 3',
  '# TYPE preview_worker_job_duration_seconds histogram',
  'preview_worker_job_duration_seconds_bucket{outcome="completed",le="+Inf"} 3',
  'preview_worker_job_duration_seconds_sum{outcome="completed"} 1.5',
  'preview_worker_job_duration_seconds_count{outcome="completed"} 3',
  '# TYPE preview_worker_queue_jobs gauge',
  'preview_worker_queue_jobs{state="waiting"} 0',
  '# TYPE preview_worker_active_jobs gauge',
  'preview_worker_active_jobs 0',
  '# TYPE preview_worker_stalled_jobs_total counter',
  'preview_worker_stalled_jobs_total 0',
  '# TYPE preview_worker_build_info gauge',
  'preview_worker_build_info{version="1",revision="abc"} 1',
  '',
].join('\n');

/** A fake worker: healthy, or answering /readyz with 503. */
export async function startFakeWorker(healthy: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/livez')) return res.writeHead(200).end('ok');
    if (req.url?.startsWith('/readyz')) {
      if (healthy)
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
      return res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"status":"not ready","reasons":["redis: connection refused"]}');
    }
    if (req.url?.startsWith('/metrics'))
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(METRICS);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

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
  const [good, bad] = await Promise.all([startFakeWorker(true), startFakeWorker(false)]);
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
