/**
 * The warm-up before the CLI bundle's V8 code cache is written (run by build/bundle-cli.mjs in a
 * process of its own: same Node, same flags as a user's run).
 *
 *   node build/warm-cli-cache.mjs <bundle dir>
 *
 * V8 puts into a code cache the functions compiled so far, so the daily commands are run once
 * first: `--help`, then `status` (table and JSON), `verify` and `logs` against a small stand-in for
 * the API server on 127.0.0.1 that answers just enough for them to run through (a Deployment with
 * one ready pod, its metrics, an event, a worker's /metrics, /livez, /readyz and a few log lines).
 * Output goes nowhere; nothing leaves the machine. Prints the cache's size in bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? '');
const { loadBundle } = await import(pathToFileURL(join(dir, 'loader.cjs')).href);
const bundle = loadBundle(join(dir, 'main.cjs'), { useCache: false });

const NS = 'warm-up';
const NAME = 'preview-worker';
const LABELS = { 'app.kubernetes.io/name': NAME };
const now = new Date().toISOString();
const pod = {
  metadata: { name: `${NAME}-abc-1`, namespace: NS, labels: LABELS, creationTimestamp: now },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: NAME, resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '768Mi' } } }],
  },
  status: {
    phase: 'Running',
    podIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
    containerStatuses: [{ name: NAME, ready: true, restartCount: 0, state: { running: { startedAt: now } } }],
  },
};
const deployment = {
  metadata: { name: NAME, namespace: NS, generation: 1, labels: LABELS, annotations: { 'deployment.kubernetes.io/revision': '1' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: LABELS },
    template: { metadata: { labels: LABELS }, spec: { containers: [{ name: NAME, image: 'ghcr.io/example/preview-worker:1.0.0' }] } },
  },
  status: {
    observedGeneration: 1,
    replicas: 1,
    updatedReplicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastTransitionTime: now },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastTransitionTime: now },
    ],
  },
};
const event = {
  metadata: { name: 'e1', namespace: NS },
  type: 'Warning',
  reason: 'BackOff',
  message: 'warm-up event',
  involvedObject: { kind: 'Pod', name: pod.metadata.name },
  lastTimestamp: now,
  count: 1,
};
const metricsText = [
  '# TYPE preview_worker_queue_jobs gauge',
  ...['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'paused'].map(
    (s) => `preview_worker_queue_jobs{state="${s}"} 1`,
  ),
  '# TYPE preview_worker_active_jobs gauge',
  'preview_worker_active_jobs 0',
  '# TYPE preview_worker_jobs_total counter',
  'preview_worker_jobs_total{outcome="completed"} 1',
  '# TYPE preview_worker_job_duration_seconds histogram',
  'preview_worker_job_duration_seconds_bucket{le="+Inf",outcome="completed"} 1',
  'preview_worker_job_duration_seconds_sum{outcome="completed"} 0.2',
  'preview_worker_job_duration_seconds_count{outcome="completed"} 1',
  '# TYPE preview_worker_stalled_jobs_total counter',
  'preview_worker_stalled_jobs_total 0',
  '# TYPE preview_worker_build_info gauge',
  'preview_worker_build_info{version="1.0.0",revision="warm-up"} 1',
  '',
].join('\n');

function answer(path) {
  if (path.includes('/proxy/metrics')) return [200, 'text/plain', metricsText];
  if (path.includes('/proxy/')) return [200, 'text/plain', 'ok'];
  if (path.endsWith('/log')) return [200, 'text/plain', `${now} {"level":"info","msg":"warm-up","jobId":"j1"}\n`];
  if (path.endsWith(`/deployments/${NAME}`)) return [200, 'application/json', deployment];
  if (path.endsWith(`/namespaces/${NS}`)) return [200, 'application/json', { metadata: { name: NS } }];
  if (path.endsWith(`/pods/${pod.metadata.name}`)) return [200, 'application/json', pod];
  if (path.endsWith('/pods') && path.includes('metrics.k8s.io'))
    return [200, 'application/json', { items: [{ metadata: { name: pod.metadata.name }, containers: [{ name: NAME, usage: { cpu: '12m', memory: '120Mi' } }] }] }];
  if (path.endsWith('/pods')) return [200, 'application/json', { items: [pod] }];
  if (path.endsWith('/events')) return [200, 'application/json', { items: [event] }];
  if (path.endsWith(`/endpoints/${NAME}`))
    return [200, 'application/json', { subsets: [{ addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: pod.metadata.name } }], ports: [{ port: 3000 }] }] }];
  if (path.endsWith(`/services/${NAME}`)) return [200, 'application/json', { metadata: { name: NAME }, spec: { selector: LABELS, ports: [{ port: 3000 }] } }];
  if (/\/(replicasets|horizontalpodautoscalers|endpointslices)$/.test(path)) return [200, 'application/json', { items: [] }];
  return [404, 'application/json', { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }];
}

const server = createServer((req, res) => {
  const [code, type, body] = answer(new URL(req.url ?? '/', 'http://x').pathname);
  res.writeHead(code, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const home = mkdtempSync(join(tmpdir(), 'mobius-warm-up-'));
const kubeconfig = join(home, 'kubeconfig');
writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: warm-up',
    '    cluster:',
    `      server: http://127.0.0.1:${server.address().port}`,
    'users:',
    '  - name: warm-up',
    '    user:',
    '      token: warm-up-token',
    'contexts:',
    '  - name: warm-up',
    '    context: { cluster: warm-up, user: warm-up, namespace: warm-up }',
    'current-context: warm-up',
    '',
  ].join('\n'),
);
// MOBIUS_WARM_UP_VERBOSE=1 shows the runs' output (on stderr), to check the warm-up itself.
const sink = process.env.MOBIUS_WARM_UP_VERBOSE === '1' ? process.stderr : { write: () => true, isTTY: false };
const io = { stdout: sink, stderr: sink, env: { HOME: home, KUBECONFIG: kubeconfig, NO_COLOR: '1' } };
const runs = [
  ['--help'],
  ['status', '--help'],
  ['status', '-n', NS],
  ['status', '-n', NS, '-o', 'json'],
  ['verify', '-n', NS],
  ['logs', '-n', NS, '--tail', '5'],
];
try {
  for (const argv of runs) {
    const code = await bundle.exports.main(argv, { io });
    if (process.env.MOBIUS_WARM_UP_VERBOSE === '1') process.stderr.write(`[${argv.join(' ')}: exit ${code}]\n`);
  }
} finally {
  server.close();
  rmSync(home, { recursive: true, force: true });
}
process.stdout.write(String(bundle.writeCache()));
process.exit(0);
