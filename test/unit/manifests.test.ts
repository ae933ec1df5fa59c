import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  V1ConfigMap,
  V1Deployment,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1Role,
  V1Service,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { ALERT_NAMES, backlogThreshold, buildAlertRuleGroups } from '../../src/deploy/manifests/alerts.js';
import { type Environment, loadEnvironment } from '../../src/deploy/manifests/environment.js';
import {
  APPLY_ORDER,
  buildApplicationManifests,
  buildManifests,
  findObject,
  isBootstrapObject,
  type ManifestObject,
  resolveImage,
  toYamlStream,
} from '../../src/deploy/manifests/index.js';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../src/deploy/manifests/labels.js';
import { DEPLOYER_PERMISSIONS } from '../../src/deploy/manifests/rbac.js';

const production = loadEnvironment('production');
const staging = loadEnvironment('staging');

function get<T>(objects: ManifestObject[], kind: string, name?: string): T {
  const o = findObject(objects, kind, name);
  assert.ok(o, `no ${kind}${name ? ` ${name}` : ''} rendered`);
  return o as unknown as T;
}

function withEnv(base: Environment, patch: (e: Environment) => void): Environment {
  const copy = structuredClone(base);
  patch(copy);
  return copy;
}

describe('buildManifests', () => {
  const objects = buildManifests(production);

  it('renders every kind in apply order', () => {
    const kinds = objects.map((o) => o.kind);
    assert.deepEqual([...new Set(kinds)], [...APPLY_ORDER]);
    const ranks = kinds.map((k) => APPLY_ORDER.indexOf(k as (typeof APPLY_ORDER)[number]));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
  });

  it('puts the namespace and the common labels on every object', () => {
    for (const o of objects) {
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'production', `${o.kind} namespace`);
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(o.metadata.labels).filter(([k]) => k.startsWith('app.kubernetes.io/')),
        ),
        {
          'app.kubernetes.io/instance': 'preview-worker-production',
          'app.kubernetes.io/managed-by': 'mobius-deploy',
          'app.kubernetes.io/name': 'preview-worker',
          'app.kubernetes.io/part-of': 'mobius',
          'app.kubernetes.io/version': production.image.tag,
        },
        `${o.kind} labels`,
      );
    }
    assert.equal(get<ManifestObject>(objects, 'Namespace').metadata.name, 'production');
  });

  it('is deterministic, key order included', () => {
    assert.equal(toYamlStream(buildManifests(production)), toYamlStream(buildManifests(production)));
    for (const o of objects) assert.deepEqual(Object.keys(o).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
    const labels = Object.keys(objects[1]!.metadata.labels);
    assert.deepEqual(labels, [...labels].sort());
  });

  it('never renders a Secret or a secret value', () => {
    assert.ok(!objects.some((o) => o.kind === 'Secret'));
    const text = JSON.stringify(objects);
    assert.ok(!/redis:\/\//.test(text), 'no Redis URL in any object');
    const d = get<V1Deployment>(objects, 'Deployment');
    const env = d.spec!.template.spec!.containers[0]!.env!;
    assert.deepEqual(
      env.map((e) => [e.name, e.value, e.valueFrom?.secretKeyRef]),
      [
        ['REDIS_URL', undefined, { name: 'preview-worker-redis', key: 'REDIS_URL' }],
        ['PREVIEW_API_TOKEN', undefined, { name: 'preview-worker-api-token', key: 'PREVIEW_API_TOKEN' }],
      ],
    );
  });
});

describe('Deployment', () => {
  const d = get<V1Deployment>(buildManifests(production), 'Deployment');
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0]!;

  it('runs as a numeric non-root user with a read-only root filesystem and no privileges', () => {
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 10001);
    assert.equal(pod.securityContext?.runAsGroup, 10001);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    const sc = c.securityContext!;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities?.drop, ['ALL']);
    assert.equal(sc.capabilities?.add, undefined);
    assert.equal(sc.runAsUser, 10001);
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it('has an emptyDir for /tmp only and the shared PVC at DATA_DIR', () => {
    assert.deepEqual(
      c.volumeMounts!.map((m) => [m.name, m.mountPath]),
      [
        ['tmp', '/tmp'],
        ['data', '/data'],
      ],
    );
    const emptyDirs = pod.volumes!.filter((v) => v.emptyDir);
    assert.deepEqual(
      emptyDirs.map((v) => v.name),
      ['tmp'],
    );
    assert.equal(
      pod.volumes!.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName,
      'preview-worker-data',
    );
  });

  it('probes /livez and /readyz on the named http port, with a startup probe', () => {
    assert.equal(c.livenessProbe?.httpGet?.path, '/livez');
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c.startupProbe?.httpGet?.path, '/livez');
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe])
      assert.equal(p?.httpGet?.port, 'http');
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
  });

  it('sets requests and limits from the environment', () => {
    assert.deepEqual(c.resources, {
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { cpu: '2', memory: '1Gi' },
    });
  });

  it('gives the pod more time to stop than the worker needs to shut down', () => {
    const shutdown = Number(
      get<V1ConfigMap>(buildManifests(production), 'ConfigMap').data!.SHUTDOWN_TIMEOUT_SECONDS,
    );
    assert.equal(shutdown, 25);
    assert.ok(pod.terminationGracePeriodSeconds! > shutdown);
    assert.equal(pod.terminationGracePeriodSeconds, 35);
  });

  it('rolls out one surge pod at a time and never below the desired count', () => {
    assert.deepEqual(d.spec!.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    assert.equal(d.spec!.revisionHistoryLimit, 10);
    assert.equal(d.spec!.progressDeadlineSeconds, 300);
    assert.equal(d.spec!.replicas, 3);
  });

  it('spreads pods across nodes and selects them without the version label', () => {
    const spread = pod.topologySpreadConstraints![0]!;
    assert.equal(spread.topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(spread.labelSelector?.matchLabels, d.spec!.selector.matchLabels);
    assert.deepEqual(d.spec!.selector.matchLabels, {
      'app.kubernetes.io/instance': 'preview-worker-production',
      'app.kubernetes.io/name': 'preview-worker',
    });
    for (const [k, v] of Object.entries(d.spec!.selector.matchLabels!)) {
      assert.equal(d.spec!.template.metadata!.labels![k], v);
    }
  });

  it('takes its environment from the ConfigMap, and a config change changes the pod template', () => {
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'preview-worker-config' } }]);
    const checksum = d.spec!.template.metadata!.annotations![CONFIG_CHECKSUM_ANNOTATION]!;
    assert.match(checksum, /^[a-f0-9]{64}$/);
    const changed = withEnv(production, (e) => {
      e.worker.concurrency = 3;
    });
    const d2 = get<V1Deployment>(buildManifests(changed), 'Deployment');
    assert.notEqual(d2.spec!.template.metadata!.annotations![CONFIG_CHECKSUM_ANNOTATION], checksum);
    const cm = get<V1ConfigMap>(buildManifests(changed), 'ConfigMap');
    assert.equal(cm.data!.PREVIEW_WORKER_CONCURRENCY, '3');
    assert.equal(cm.data!.DATA_DIR, '/data');
    assert.equal(cm.data!.NODE_ENV, 'production');
  });

  it('uses the image of the environment, or the one given', () => {
    assert.equal(c.image, 'ghcr.io/mobius-org/mobius-preview-worker:0.1.0');
    const tagged = get<V1Deployment>(buildManifests(production, { imageTag: '1.4.2' }), 'Deployment');
    assert.equal(
      tagged.spec!.template.spec!.containers[0]!.image,
      'ghcr.io/mobius-org/mobius-preview-worker:1.4.2',
    );
    assert.equal(tagged.metadata!.labels!['app.kubernetes.io/version'], '1.4.2');
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.deepEqual(resolveImage(production, { image: `ghcr.io/x/y@${digest}` }), {
      image: `ghcr.io/x/y@${digest}`,
      version: 'b'.repeat(12),
    });
    assert.throws(() => resolveImage(production, { imageTag: 'no spaces' }), /is not a valid tag/);
    assert.throws(() => resolveImage(production, { image: 'ghcr.io/x/y' }), /not a valid image reference/);
    assert.throws(
      () => resolveImage(production, { image: 'a/b:1', imageTag: '1' }),
      /either --image or --image-tag/,
    );
  });
});

describe('image pull secret', () => {
  it('the pods pull with the Secret the environment names (the one registry-secret rotate writes)', () => {
    assert.equal(production.image.pullSecret, 'ghcr-pull');
    const d = get<V1Deployment>(buildManifests(production), 'Deployment');
    assert.deepEqual(d.spec?.template.spec?.imagePullSecrets, [{ name: 'ghcr-pull' }]);
  });
  it('a public image (no pullSecret) renders no imagePullSecrets', () => {
    const open = withEnv(production, (e) => {
      delete e.image.pullSecret;
    });
    const d = get<V1Deployment>(buildManifests(open), 'Deployment');
    assert.equal(d.spec?.template.spec?.imagePullSecrets, undefined);
  });
});

describe('the other objects', () => {
  const objects = buildManifests(production);

  it('ServiceAccounts mount no API token', () => {
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount') as unknown as V1ServiceAccount[]) {
      assert.equal(sa.automountServiceAccountToken, false, sa.metadata!.name);
    }
  });

  it('the PVC is ReadWriteMany with the environment size and class', () => {
    const pvc = get<V1PersistentVolumeClaim>(objects, 'PersistentVolumeClaim');
    assert.deepEqual(pvc.spec!.accessModes, ['ReadWriteMany']);
    assert.equal(pvc.spec!.storageClassName, 'nfs-rwx');
    assert.equal(pvc.spec!.resources!.requests!.storage, '100Gi');
    const s = get<V1PersistentVolumeClaim>(buildManifests(staging), 'PersistentVolumeClaim');
    assert.equal(s.spec!.resources!.requests!.storage, '20Gi');
  });

  it('the Service is ClusterIP with the named port http', () => {
    const svc = get<V1Service>(objects, 'Service');
    assert.equal(svc.spec!.type, 'ClusterIP');
    assert.deepEqual(svc.spec!.ports, [{ name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('the HPA scales the Deployment on CPU and memory within the environment bounds', () => {
    const hpa = get<V2HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec!.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'preview-worker',
    });
    assert.equal(hpa.spec!.minReplicas, 3);
    assert.equal(hpa.spec!.maxReplicas, 12);
    assert.deepEqual(
      hpa.spec!.metrics!.map((m) => [m.resource?.name, m.resource?.target.averageUtilization]),
      [
        ['cpu', 70],
        ['memory', 80],
      ],
    );
  });

  it('the PDB allows one pod down at a time', () => {
    const pdb = get<V1PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    assert.equal(pdb.apiVersion, 'policy/v1');
    assert.equal(pdb.spec!.maxUnavailable, 1);
    assert.equal(pdb.spec!.minAvailable, undefined);
  });

  it('the NetworkPolicy lets in TCP 3000 only and out to Redis and DNS only', () => {
    const np = get<V1NetworkPolicy>(objects, 'NetworkPolicy');
    assert.deepEqual(np.spec!.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec!.ingress, [{ ports: [{ protocol: 'TCP', port: 3000 }] }]);
    const [redis, dns] = np.spec!.egress!;
    assert.equal(np.spec!.egress!.length, 2);
    assert.deepEqual(redis!.ports, [{ protocol: 'TCP', port: 6379 }]);
    assert.deepEqual(redis!.to, [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'redis' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } },
      },
    ]);
    assert.deepEqual(dns!.ports, [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    assert.deepEqual(dns!.to![0]!.podSelector?.matchLabels, { 'k8s-app': 'kube-dns' });
    const byCidr = withEnv(production, (e) => {
      e.redis.egress = { port: 6380, cidr: '10.20.0.0/16' };
    });
    const np2 = get<V1NetworkPolicy>(buildManifests(byCidr), 'NetworkPolicy');
    assert.deepEqual(np2.spec!.egress![0], {
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ protocol: 'TCP', port: 6380 }],
    });
  });

  it('the ServiceMonitor scrapes /metrics on port http', () => {
    const sm = get<{ spec: { endpoints: { port: string; path: string }[]; selector: unknown } }>(
      objects,
      'ServiceMonitor',
    );
    assert.deepEqual(
      sm.spec.endpoints.map((e) => [e.port, e.path]),
      [['http', '/metrics']],
    );
    assert.deepEqual(sm.spec.selector, { matchLabels: get<V1Service>(objects, 'Service').spec!.selector });
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      assert.equal(get<ManifestObject>(objects, kind).metadata.labels.release, 'kube-prometheus-stack', kind);
    }
    assert.equal(get<ManifestObject>(objects, 'Deployment').metadata.labels.release, undefined);
  });

  it('the PrometheusRule holds every alert, each with severity, summary, description and a runbook link', () => {
    const rule = get<{ spec: { groups: ReturnType<typeof buildAlertRuleGroups> } }>(
      objects,
      'PrometheusRule',
    );
    assert.deepEqual(rule.spec.groups, JSON.parse(JSON.stringify(buildAlertRuleGroups(production))));
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      [...ALERT_NAMES],
    );
    for (const r of rules) {
      assert.match(r.labels.severity, /^(critical|warning)$/);
      assert.ok(r.annotations.summary.length > 10 && r.annotations.description.length > 20, r.alert);
      assert.equal(
        r.annotations.runbook_url,
        `https://github.com/mobius-org/mobius-preview-worker/blob/main/docs/RUNBOOKS.md#${r.alert.toLowerCase()}`,
      );
      assert.match(r.expr, /namespace="production"/, `${r.alert} is scoped to the namespace`);
      assert.ok(
        !r.annotations.description.includes('$value'),
        'annotations stay predictable for promtool tests',
      );
    }
  });

  it('alert thresholds follow the environment', () => {
    const rules = (env: Environment) =>
      new Map(buildAlertRuleGroups(env).flatMap((g) => g.rules.map((r) => [r.alert, r])));
    assert.equal(backlogThreshold(production), 800);
    assert.match(rules(production).get('PreviewWorkerQueueBacklogHigh')!.expr, /\) > 800$/);
    assert.match(rules(staging).get('PreviewWorkerQueueBacklogHigh')!.expr, /\) > 160$/);
    assert.match(rules(production).get('PreviewWorkerRenderSlow')!.expr, /> 60$/);
    assert.match(rules(production).get('PreviewWorkerJobFailureRatio')!.expr, /> 0\.05\)/);
    assert.match(
      rules(production).get('PreviewWorkerMemoryNearLimit')!.expr,
      /resource="memory"\}\) > 0\.9$/,
    );
    const moved = withEnv(production, (e) => {
      e.alerts.runbookBaseUrl = 'https://github.example/acme/worker/blob/v2/docs/RUNBOOKS.md';
    });
    assert.equal(
      rules(moved).get('PreviewWorkerDown')!.annotations.runbook_url,
      'https://github.example/acme/worker/blob/v2/docs/RUNBOOKS.md#previewworkerdown',
    );
  });
});

describe('deployer RBAC', () => {
  const objects = buildManifests(production);

  it('the Role lists exactly DEPLOYER_PERMISSIONS and the binding names the mobius-deployer ServiceAccount', () => {
    const role = get<V1Role>(objects, 'Role', 'mobius-deployer');
    assert.deepEqual(
      role.rules,
      DEPLOYER_PERMISSIONS.map((p) => ({
        apiGroups: [p.apiGroup],
        resources: [p.resource],
        ...(p.only === 'namespace' ? { resourceNames: ['production'] } : {}),
        ...(p.only === 'apiTokenSecret' ? { resourceNames: ['preview-worker-api-token'] } : {}),
        verbs: [...p.verbs],
      })),
    );
    const binding = get<{ roleRef: unknown; subjects: unknown }>(objects, 'RoleBinding', 'mobius-deployer');
    assert.deepEqual(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'mobius-deployer',
    });
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'mobius-deployer', namespace: 'production' },
    ]);
    assert.ok(findObject(objects, 'ServiceAccount', 'mobius-deployer'));
  });

  it('grants no wildcard, one named Secret, no RBAC writes, and no delete outside the ledger and the lock', () => {
    for (const p of DEPLOYER_PERMISSIONS) {
      assert.ok(!p.verbs.includes('*' as never) && p.resource !== '*' && p.apiGroup !== '*', p.resource);
      if (p.resource === 'secrets') {
        assert.deepEqual(
          [p.only, p.verbs],
          ['apiTokenSecret', ['get']],
          'only the API token Secret, by name',
        );
      }
      if (p.resource === 'namespaces') assert.deepEqual([p.only, p.verbs], ['namespace', ['get']]);
      assert.ok(!p.apiGroup.startsWith('rbac.'), 'RBAC is bootstrap, applied by an admin');
      if (p.verbs.includes('delete')) assert.ok(['configmaps', 'leases'].includes(p.resource), p.resource);
    }
  });

  it('covers what mobius-deploy calls', () => {
    const can = (group: string, resource: string, verb: string) =>
      DEPLOYER_PERMISSIONS.some(
        (p) => p.apiGroup === group && p.resource === resource && p.verbs.includes(verb as never),
      );
    const calls: [string, string, string][] = [
      ['', 'namespaces', 'get'],
      ['', 'secrets', 'get'],
      ['apps', 'deployments', 'patch'],
      ['apps', 'deployments', 'watch'],
      ['apps', 'replicasets', 'list'],
      ['', 'pods', 'list'],
      ['', 'pods/log', 'get'],
      ['', 'pods/proxy', 'get'],
      ['', 'pods/proxy', 'create'],
      ['', 'events', 'list'],
      ['discovery.k8s.io', 'endpointslices', 'list'],
      ['coordination.k8s.io', 'leases', 'create'],
      ['coordination.k8s.io', 'leases', 'update'],
      ['coordination.k8s.io', 'leases', 'delete'],
      ['', 'configmaps', 'list'],
      ['', 'configmaps', 'update'],
      ['', 'configmaps', 'delete'],
      ['metrics.k8s.io', 'pods', 'list'],
      ['monitoring.coreos.com', 'prometheusrules', 'patch'],
      ['', 'persistentvolumeclaims', 'patch'],
    ];
    for (const [g, r, v] of calls) assert.ok(can(g, r, v), `${v} ${g || 'core'}/${r}`);
  });

  it('deploy applies everything but the bootstrap objects', () => {
    const app = buildApplicationManifests(production);
    assert.deepEqual(
      objects.filter((o) => isBootstrapObject(o)).map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Namespace/production',
        'ServiceAccount/mobius-deployer',
        'Role/mobius-deployer',
        'RoleBinding/mobius-deployer',
      ],
    );
    assert.equal(app.length, objects.length - 4);
    // Every kind deploy applies is one the deployer may create and patch.
    const kindToResource: Record<string, [string, string]> = {
      ServiceAccount: ['', 'serviceaccounts'],
      ConfigMap: ['', 'configmaps'],
      PersistentVolumeClaim: ['', 'persistentvolumeclaims'],
      Service: ['', 'services'],
      Deployment: ['apps', 'deployments'],
      HorizontalPodAutoscaler: ['autoscaling', 'horizontalpodautoscalers'],
      PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
      NetworkPolicy: ['networking.k8s.io', 'networkpolicies'],
      ServiceMonitor: ['monitoring.coreos.com', 'servicemonitors'],
      PrometheusRule: ['monitoring.coreos.com', 'prometheusrules'],
    };
    for (const o of app) {
      const [group, resource] = kindToResource[o.kind]!;
      const p = DEPLOYER_PERMISSIONS.find((x) => x.apiGroup === group && x.resource === resource);
      assert.ok(p, `${o.kind} has a permission entry`);
      for (const verb of ['get', 'create', 'patch'] as const)
        assert.ok(p.verbs.includes(verb), `${verb} ${resource}`);
    }
  });
});
