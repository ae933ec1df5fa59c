/**
 * Standalone simulator: `npm run kube-sim -- --scenario healthy [--port N] [--proxy-target URL]`.
 * Seeds namespace `production` with Deployment `preview-worker`, prints the kubeconfig path and
 * example commands, and runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { type BehaviorKind, type KubeSim, startKubeSim } from './index.js';

const SCENARIOS = [
  'healthy',
  'crashloop',
  'imagepull',
  'oomkilled',
  'pending',
  'createconfigerror',
  'readiness-failing',
  'no-metrics',
  'fifty-pods',
  'progress-deadline',
  'empty',
] as const;
type Scenario = (typeof SCENARIOS)[number];

const HELP = `kube-sim: a Kubernetes API simulator for trying mobius-deploy without a cluster

Usage: npm run kube-sim -- [--scenario NAME] [--port N] [--proxy-target URL] [--replicas N] [--ready-delay MS]

Scenarios (namespace "production", Deployment "preview-worker", label app.kubernetes.io/name=preview-worker):
  healthy            3 ready pods (default)
  crashloop          revision 1 healthy, revision 2 (image :2.0.0-bad) crash-looping (CrashLoopBackOff)
  imagepull          revision 2 cannot pull its image (ImagePullBackOff)
  oomkilled          revision 2 is OOMKilled and restarting
  pending            revision 2 stays Pending (Unschedulable: Insufficient memory)
  createconfigerror  revision 2 references a missing secret (CreateContainerConfigError)
  readiness-failing  revision 2 runs but never becomes ready
  progress-deadline  like crashloop, with progressDeadlineSeconds 10: the rollout fails after 10 s
  no-metrics         healthy, but metrics.k8s.io is absent
  fifty-pods         50 ready pods
  empty              namespace "production" only (try a first deploy)

Options:
  --proxy-target URL  forward the pod proxy of every pod to URL (e.g. a local worker: http://127.0.0.1:3000)
  --port N            listen on port N (default: a free port)
  --replicas N        replicas of the deployment (default 3; fifty-pods: 50)
  --ready-delay MS    pod creation to Ready (default 800, so rollouts are visible)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'healthy' },
      port: { type: 'string' },
      'proxy-target': { type: 'string' },
      replicas: { type: 'string' },
      'ready-delay': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const scenario = values.scenario as Scenario;
  if (!SCENARIOS.includes(scenario)) {
    process.stderr.write(`Unknown scenario "${values.scenario}". Choose one of: ${SCENARIOS.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const port = values.port ? Number(values.port) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a port number (0-65535), got "${values.port}"\n`);
    process.exitCode = 2;
    return;
  }
  const readyDelayMs = values['ready-delay'] ? Number(values['ready-delay']) : 800;
  const sim: KubeSim = await startKubeSim({
    port,
    readyDelayMs,
    contextNamespace: 'production',
    podTerminationMs: 1500,
  });
  const stop = async () => {
    await sim.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const ns = 'production';
  const name = 'preview-worker';
  const good = 'ghcr.io/mobius/preview-worker:1.0.0';
  const replicas = values.replicas ? Number(values.replicas) : scenario === 'fifty-pods' ? 50 : 3;
  if (values['proxy-target']) sim.setProxyTarget('*', '*', values['proxy-target']);
  if (scenario === 'no-metrics') sim.disableMetricsApi();
  sim.createNamespace(ns);
  if (scenario !== 'empty') {
    await sim.seedDeployment({
      namespace: ns,
      name,
      image: good,
      replicas,
      // The selector the rendered manifests use (src/deploy/manifests/labels.ts), so that
      // `mobius-deploy deploy -e production` upgrades this Deployment instead of hitting an immutable selector.
      selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-${ns}` },
      // and the container name they use, so a deploy replaces the image instead of adding a container
      containerName: 'preview-worker',
      progressDeadlineSeconds: scenario === 'progress-deadline' ? 10 : undefined,
    });
    const bad: Record<string, string> = {
      crashloop: 'crashloop',
      'progress-deadline': 'crashloop',
      imagepull: 'imagepull',
      oomkilled: 'oomkilled',
      pending: 'pending',
      createconfigerror: 'createconfigerror',
      'readiness-failing': 'readiness-failing',
    };
    const behavior = bad[scenario];
    if (behavior) {
      const image = `ghcr.io/mobius/preview-worker:2.0.0-${behavior}`;
      // Slow enough to watch: a restart (or probe failure, or pull retry) every 5 s.
      sim.setImageBehavior(image, { kind: behavior as BehaviorKind, restartIntervalMs: 5000 });
      sim.setDeploymentImage(ns, name, image);
    }
  }
  const cfg = sim.kubeconfigPath;
  process.stdout.write(`kube-sim is serving ${sim.url} (scenario: ${scenario})

  kubeconfig: ${cfg}

Try:
  export KUBECONFIG=${cfg}
  node cli/mobius-deploy.js status -n production
  node cli/mobius-deploy.js logs -n production --tail 100
  node cli/mobius-deploy.js verify -n production
  kubectl get deploy,rs,pods -n production
  kubectl rollout status deployment/preview-worker -n production

Press Ctrl-C to stop.
`);
}

main().catch((err) => {
  process.stderr.write(`kube-sim failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
