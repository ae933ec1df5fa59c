/**
 * The worker's own objects: Namespace, ServiceAccount, ConfigMap, PVC, Service, Deployment, HPA, PDB,
 * NetworkPolicy, ServiceMonitor and PrometheusRule. Core types come from @kubernetes/client-node; the
 * Prometheus Operator kinds are typed here (their CRDs are not in that package).
 */
import { createHash } from 'node:crypto';
import type {
  V1ConfigMap,
  V1Deployment,
  V1Namespace,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1Service,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { WORKER_PATH } from '../../contract/http.js';
import { type AlertRuleGroup, buildAlertRuleGroups } from './alerts.js';
import type { Environment } from './environment.js';
import {
  APP_NAME,
  CONFIG_CHECKSUM_ANNOTATION,
  CONFIGMAP_NAME,
  CONTAINER_NAME,
  DATA_MOUNT_PATH,
  HTTP_PORT,
  HTTP_PORT_NAME,
  PROMETHEUS_RULE_NAME,
  PVC_NAME,
  RUN_AS_GROUP,
  RUN_AS_USER,
  selectorLabels,
} from './labels.js';

/** Seconds the pod gets beyond the worker's SHUTDOWN_TIMEOUT_SECONDS before Kubernetes kills it. */
export const TERMINATION_GRACE_MARGIN_SECONDS = 10;
/** Size limit of the /tmp emptyDir (ffmpeg and render scratch files; artifacts go to DATA_DIR). */
export const TMP_SIZE_LIMIT = '512Mi';

interface ObjectMetaInput {
  name: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

function meta(env: Environment, m: ObjectMetaInput) {
  return { name: m.name, namespace: env.namespace, labels: m.labels, annotations: m.annotations };
}

export function buildNamespace(env: Environment, labels: Record<string, string>): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: env.namespace,
      labels: {
        ...labels,
        // Pod Security Admission: the worker meets the "restricted" profile; enforce it.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
}

export function buildWorkerServiceAccount(
  env: Environment,
  labels: Record<string, string>,
): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(env, { name: APP_NAME, labels }),
    // The worker never talks to the Kubernetes API: no token in its pods.
    automountServiceAccountToken: false,
  };
}

/** The worker's non-secret environment (DESIGN.md "Configuration"). Secrets come from secretKeyRef. */
export function workerConfigData(env: Environment): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PREVIEW_QUEUE_NAME: env.worker.queueName,
    PREVIEW_WORKER_CONCURRENCY: String(env.worker.concurrency),
    PREVIEW_QUEUE_MAX: String(env.worker.queueMax),
    DATA_DIR: DATA_MOUNT_PATH,
    PORT: String(HTTP_PORT),
    HOST: '0.0.0.0',
    LOG_LEVEL: env.worker.logLevel,
    SHUTDOWN_TIMEOUT_SECONDS: String(env.worker.shutdownTimeoutSeconds),
  };
}

export function buildConfigMap(env: Environment, labels: Record<string, string>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(env, { name: CONFIGMAP_NAME, labels }),
    data: workerConfigData(env),
  };
}

/** sha256 of the ConfigMap data (keys sorted): the pod annotation that rolls pods on a config change. */
export function configChecksum(data: Record<string, string>): string {
  const sorted = Object.fromEntries(
    Object.keys(data)
      .sort()
      .map((k) => [k, data[k]]),
  );
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export function buildPersistentVolumeClaim(
  env: Environment,
  labels: Record<string, string>,
): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(env, { name: PVC_NAME, labels }),
    spec: {
      accessModes: ['ReadWriteMany'],
      storageClassName: env.storage.storageClassName,
      resources: { requests: { storage: env.storage.size } },
    },
  };
}

export function buildService(env: Environment, labels: Record<string, string>): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(env, { name: APP_NAME, labels }),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(env),
      ports: [{ name: HTTP_PORT_NAME, port: HTTP_PORT, targetPort: HTTP_PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/** The image reference: repository:tag, with @digest when the environment pins one. */
export function imageReference(env: Environment): string {
  const ref = `${env.image.repository}:${env.image.tag}`;
  return env.image.digest ? `${ref}@${env.image.digest}` : ref;
}

export function buildDeployment(
  env: Environment,
  labels: Record<string, string>,
  image: string,
  configData: Record<string, string>,
): V1Deployment {
  const selector = selectorLabels(env);
  const containerSecurity = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_GROUP,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(env, { name: APP_NAME, labels }),
    spec: {
      replicas: env.replicas,
      revisionHistoryLimit: env.rollout.revisionHistoryLimit,
      progressDeadlineSeconds: env.rollout.progressDeadlineSeconds,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels,
          annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(configData) },
        },
        spec: {
          serviceAccountName: APP_NAME,
          automountServiceAccountToken: false,
          ...(env.image.pullSecret ? { imagePullSecrets: [{ name: env.image.pullSecret }] } : {}),
          enableServiceLinks: false,
          terminationGracePeriodSeconds: env.worker.shutdownTimeoutSeconds + TERMINATION_GRACE_MARGIN_SECONDS,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_GROUP,
            fsGroup: RUN_AS_GROUP,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              // Spread when nodes allow it, but never leave a pod Pending because of it (small clusters,
              // and the surge pod during a rollout).
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
              matchLabelKeys: ['pod-template-hash'],
            },
          ],
          containers: [
            {
              name: CONTAINER_NAME,
              image,
              imagePullPolicy: env.image.pullPolicy,
              ports: [{ name: HTTP_PORT_NAME, containerPort: HTTP_PORT, protocol: 'TCP' }],
              envFrom: [{ configMapRef: { name: CONFIGMAP_NAME } }],
              env: [
                {
                  name: 'REDIS_URL',
                  valueFrom: { secretKeyRef: { name: env.redis.secretName, key: env.redis.secretKey } },
                },
                {
                  name: 'PREVIEW_API_TOKEN',
                  valueFrom: { secretKeyRef: { name: env.apiToken.secretName, key: env.apiToken.secretKey } },
                },
              ],
              resources: {
                requests: { cpu: env.resources.requests.cpu, memory: env.resources.requests.memory },
                limits: { cpu: env.resources.limits.cpu, memory: env.resources.limits.memory },
              },
              // Up to 60s to start (Redis connection, fonts); liveness only takes over afterwards.
              startupProbe: {
                httpGet: { path: WORKER_PATH.livez, port: HTTP_PORT_NAME },
                periodSeconds: 2,
                timeoutSeconds: 2,
                failureThreshold: 30,
              },
              livenessProbe: {
                httpGet: { path: WORKER_PATH.livez, port: HTTP_PORT_NAME },
                periodSeconds: 10,
                timeoutSeconds: 3,
                failureThreshold: 3,
              },
              readinessProbe: {
                httpGet: { path: WORKER_PATH.readyz, port: HTTP_PORT_NAME },
                periodSeconds: 5,
                timeoutSeconds: 3,
                failureThreshold: 2,
                successThreshold: 1,
              },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: DATA_MOUNT_PATH },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE_LIMIT } },
            { name: 'data', persistentVolumeClaim: { claimName: PVC_NAME } },
          ],
        },
      },
    },
  };
}

export function buildHorizontalPodAutoscaler(
  env: Environment,
  labels: Record<string, string>,
): V2HorizontalPodAutoscaler {
  const utilization = (name: string, averageUtilization: number) => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(env, { name: APP_NAME, labels }),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP_NAME },
      minReplicas: env.autoscaling.minReplicas,
      maxReplicas: env.autoscaling.maxReplicas,
      metrics: [
        utilization('cpu', env.autoscaling.targetCPUUtilizationPercentage),
        utilization('memory', env.autoscaling.targetMemoryUtilizationPercentage),
      ],
      behavior: {
        // Renders are minutes long: scale down slowly so running jobs are not cut short needlessly.
        scaleDown: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
}

export function buildPodDisruptionBudget(
  env: Environment,
  labels: Record<string, string>,
): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(env, { name: APP_NAME, labels }),
    spec: {
      maxUnavailable: env.podDisruptionBudget.maxUnavailable,
      selector: { matchLabels: selectorLabels(env) },
      // A crash-looping pod must not block node drains.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

export function buildNetworkPolicy(env: Environment, labels: Record<string, string>): V1NetworkPolicy {
  const egress = env.redis.egress;
  const redisPeer: V1NetworkPolicyPeer = egress.cidr
    ? { ipBlock: { cidr: egress.cidr } }
    : {
        namespaceSelector: egress.namespaceSelector ? { matchLabels: egress.namespaceSelector } : undefined,
        podSelector: egress.podSelector ? { matchLabels: egress.podSelector } : undefined,
      };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(env, { name: APP_NAME, labels }),
    spec: {
      podSelector: { matchLabels: selectorLabels(env) },
      policyTypes: ['Ingress', 'Egress'],
      // API clients, the kubelet's probes, Prometheus and the API server's pod proxy: port 3000 only.
      ingress: [{ ports: [{ protocol: 'TCP', port: HTTP_PORT }] }],
      egress: [
        { to: [redisPeer], ports: [{ protocol: 'TCP', port: egress.port }] },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
}

/** monitoring.coreos.com/v1 ServiceMonitor (the fields we use). */
export interface ServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string; scrapeTimeout: string }[];
  };
}

/** monitoring.coreos.com/v1 PrometheusRule (the fields we use). */
export interface PrometheusRule {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'PrometheusRule';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: AlertRuleGroup[] };
}

/** The labels of the Prometheus Operator objects: the environment's selector labels, then the common ones. */
function monitoringLabels(env: Environment, labels: Record<string, string>): Record<string, string> {
  return { ...env.monitoring.labels, ...labels };
}

export function buildServiceMonitor(env: Environment, labels: Record<string, string>): ServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: APP_NAME, namespace: env.namespace, labels: monitoringLabels(env, labels) },
    spec: {
      selector: { matchLabels: selectorLabels(env) },
      namespaceSelector: { matchNames: [env.namespace] },
      endpoints: [{ port: HTTP_PORT_NAME, path: WORKER_PATH.metrics, interval: '30s', scrapeTimeout: '10s' }],
    },
  };
}

export function buildPrometheusRule(env: Environment, labels: Record<string, string>): PrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: PROMETHEUS_RULE_NAME, namespace: env.namespace, labels: monitoringLabels(env, labels) },
    spec: { groups: buildAlertRuleGroups(env) },
  };
}
