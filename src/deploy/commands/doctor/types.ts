/**
 * What `doctor` reports: one check per item of its checklist (pass / warn / fail / skip, with
 * evidence and, when not passing, one fix line), every permission it reviewed, and the options the
 * checks read.
 */
import type { KubeClients } from '../../kube/client.js';
import type { Environment } from '../../manifests/environment.js';

export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: DoctorStatus;
  /** What was found. */
  evidence: string;
  /** How to fix it (absent when passing). */
  fix?: string;
}

export interface PermissionResult {
  apiGroup: string;
  resource: string;
  verb: string;
  resourceName?: string;
  allowed: boolean;
  /** The authorizer's reason or the denial reason, when given. */
  reason?: string;
  why: string;
}

export interface DoctorOptions {
  namespace: string;
  /** Which rule chose it, leading the namespace check: "namespace production (from -n/--namespace)". */
  namespaceChosen?: string;
  /** The environment file (-e), when given: names the API token Secret for resolvePermissions. */
  environment?: Environment;
  /** Creates the kube clients (kubeconfig errors become the kubeconfig check's failure). */
  kube: () => Promise<KubeClients>;
  nodeVersion?: string;
  pullSecret?: string;
  /** Days (default 30). */
  maxTokenAgeDays?: number;
  /** ms (default 24 h). */
  maxRdbAgeMs?: number;
  prometheusUrl?: string;
  /** Credentials for --prometheus-url from the flag or the environment (metrics/prometheus-auth.ts). */
  prometheusAuth?: import('../../metrics/prometheus-auth.js').PrometheusAuth;
  /** A local worker's base URL for /v1/queue instead of the pod proxy. */
  workerUrl?: string;
  apiToken?: string;
  apiTokenSecret?: string;
  apiTokenKey?: string;
  deployment?: string;
  pvc?: string;
  now: () => number;
  /** Concurrent access reviews (default 8). */
  concurrency?: number;
  fetch?: typeof fetch;
}
