/**
 * Names and labels shared by every object built from an environment.
 */
import type { Environment } from './environment.js';

/** app.kubernetes.io/name of the worker and the name of its Deployment, Service, HPA, PDB, ... */
export const APP_NAME = 'preview-worker';
/** The container's name inside the pod (kube-state-metrics and cAdvisor label `container`). */
export const CONTAINER_NAME = 'preview-worker';
export const CONFIGMAP_NAME = 'preview-worker-config';
export const PVC_NAME = 'preview-worker-data';
export const PROMETHEUS_RULE_NAME = 'preview-worker-alerts';
/** The Secret holding the worker's API token, unless the environment names another. */
export const API_TOKEN_SECRET_NAME = 'preview-worker-api-token';
/** The ServiceAccount, Role and RoleBinding that CI's `mobius-deploy` runs as. */
export const DEPLOYER_NAME = 'mobius-deployer';
export const MANAGED_BY = 'mobius-deploy';
/** The worker's single port (HTTP API, probes and /metrics). */
export const HTTP_PORT = 3000;
export const HTTP_PORT_NAME = 'http';
/** Where the shared artifact volume is mounted; the worker's DATA_DIR. */
export const DATA_MOUNT_PATH = '/data';
/** Pod annotation holding the checksum of the worker's ConfigMap, so a config change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'mobius-deploy/config-checksum';
/** Numeric user and group the container runs as (matches the Dockerfile's USER 10001:10001). */
export const RUN_AS_USER = 10001;
export const RUN_AS_GROUP = 10001;

/**
 * A string made safe for a label value: at most 63 characters of [A-Za-z0-9._-], starting and ending
 * with an alphanumeric character (image tags may be longer or contain other characters).
 */
export function toLabelValue(value: string): string {
  let v = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63);
  v = v.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return v;
}

/** app.kubernetes.io/instance: one installation of the worker. */
export function instanceName(env: Environment): string {
  return `${APP_NAME}-${env.name}`;
}

/** Labels that select the worker's pods. Immutable in a Deployment, so no version here. */
export function selectorLabels(env: Environment): Record<string, string> {
  return {
    'app.kubernetes.io/instance': instanceName(env),
    'app.kubernetes.io/name': APP_NAME,
  };
}

/** Labels on every object (and every pod). `version` is the image tag being deployed. */
export function commonLabels(env: Environment, version: string): Record<string, string> {
  return {
    ...selectorLabels(env),
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': env.partOf,
    'app.kubernetes.io/version': toLabelValue(version),
  };
}
