import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { startKubeSim } from './index.js';

const ex = promisify(execFile);
const sim = await startKubeSim({ readyDelayMs: 50, progressDeadlineScale: 0.1 });
const k = async (...a: string[]) => {
  try {
    const r = await ex('kubectl', a, { env: { ...process.env, ...sim.env() } });
    console.log('$ kubectl', a.join(' '), '-> 0');
    console.log(r.stdout.slice(0, 1500), r.stderr.slice(0, 1500));
  } catch (e: any) {
    console.log('$ kubectl', a.join(' '), '->', e.code);
    console.log(String(e.stdout).slice(0, 1500), String(e.stderr).slice(0, 1500));
  }
};
sim.createNamespace('production');
writeFileSync(
  '/tmp/ks/m.yaml',
  `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: production
spec:
  replicas: 2
  progressDeadlineSeconds: 10
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.0
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: production
data:
  a: b
`,
);
await k('apply', '--server-side', '--dry-run=server', '-f', '/tmp/ks/m.yaml');
await k('apply', '--server-side', '-f', '/tmp/ks/m.yaml');
await k('apply', '-f', '/tmp/ks/m.yaml');
await k('rollout', 'status', 'deploy/web', '-n', 'production', '--timeout=20s');
await k('scale', 'deploy/web', '-n', 'production', '--replicas=3');
await k('get', 'deploy', 'web', '-n', 'production');
sim.setImageBehavior('nginx:bad', 'crashloop');
await k('set', 'image', 'deploy/web', '-n', 'production', 'web=nginx:bad');
await k('rollout', 'status', 'deploy/web', '-n', 'production', '--timeout=20s');
await k('get', 'pods', '-n', 'production', '-o', 'wide');
await k('describe', 'pod', '-n', 'production', '-l', 'app=web');
await k('logs', '-n', 'production', '-l', 'app=web', '--previous', '--tail=2');
await k('rollout', 'undo', 'deploy/web', '-n', 'production', '--to-revision=1');
await k('rollout', 'history', 'deploy/web', '-n', 'production');
await k('rollout', 'history', 'deploy/web', '-n', 'production', '--revision=3');
await k('top', 'pods', '-n', 'production');
await k('auth', 'can-i', 'get', 'pods/log', '-n', 'production');
await k('delete', 'ns', 'production');
await k('get', 'all', '-A');
await sim.close();
