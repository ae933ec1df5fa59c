/**
 * `doctor`'s checks of the way to the cluster: the kubeconfig and its context, the API server
 * answering /version, the namespace, and the metrics API in API discovery.
 */
import type { KubeClients } from '../../kube/client.js';
import { getServerVersion, listApiGroups } from '../../kube/resources/cluster.js';
import { getNamespace } from '../../kube/resources/core.js';
import { errText, failureStatus } from './failure.js';
import type { DoctorCheck } from './types.js';

export type Connection =
  | { kube: KubeClients; context: string; server: string; check: DoctorCheck }
  | { kube?: undefined; context?: string; server?: string; check: DoctorCheck };

/** Creates the clients; a kubeconfig error becomes the check's failure. */
export async function checkKubeconfig(createKube: () => Promise<KubeClients>): Promise<Connection> {
  let context: string | undefined;
  let server: string | undefined;
  try {
    const kube = await createKube();
    const cfg = kube.config;
    context = cfg.currentContext;
    server = kube.target.server;
    return {
      kube,
      context,
      server,
      check: {
        name: 'kubeconfig',
        status: 'pass',
        evidence: `${cfg.inCluster ? 'in-cluster service account' : cfg.files.join(', ')}; context ${cfg.currentContext} (cluster ${cfg.cluster.name} at ${kube.target.server}, user ${cfg.user.name})`,
      },
    };
  } catch (err) {
    return {
      context,
      server,
      check: {
        name: 'kubeconfig',
        status: 'fail',
        evidence: errText(err),
        fix:
          (err as { hint?: string }).hint ??
          'Pass --kubeconfig FILE and --context NAME, or set KUBECONFIG; `kubectl config get-contexts` lists the contexts.',
      },
    };
  }
}

export async function checkClusterReachable(kube: KubeClients): Promise<DoctorCheck> {
  try {
    const v = await getServerVersion(kube, { attempts: 2, timeoutMs: 10_000 });
    return {
      name: 'cluster reachable',
      status: 'pass',
      evidence: `${kube.target.server} answers /version: Kubernetes ${v?.gitVersion ?? '?'}`,
    };
  } catch (err) {
    const code = failureStatus(err);
    return {
      name: 'cluster reachable',
      status: 'fail',
      evidence: errText(err),
      fix:
        code === 401
          ? 'Your credentials were rejected: log in again or refresh the token in the kubeconfig.'
          : `Check the network/VPN to ${kube.target.server} and the context (--context); \`kubectl cluster-info\` should answer.`,
    };
  }
}

/**
 * The namespace check, and whether the namespace exists (a denied read counts as existing).
 * `chosen` says which rule picked it (cli/global-options.ts describeNamespace), e.g.
 * "namespace production (from the kubeconfig context kind-prod)"; it leads the evidence.
 */
export async function checkNamespace(
  kube: KubeClients,
  ns: string,
  chosen = `namespace ${ns}`,
): Promise<{ check: DoctorCheck; exists: boolean }> {
  try {
    const nsObj = await getNamespace(kube, ns);
    return {
      exists: true,
      check: {
        name: 'namespace',
        status: 'pass',
        evidence: `${chosen} exists (${nsObj?.status?.phase ?? 'Active'})`,
      },
    };
  } catch (err) {
    const code = failureStatus(err);
    if (code === 404) {
      return {
        exists: false,
        check: {
          name: 'namespace',
          status: 'fail',
          evidence: `${chosen} does not exist`,
          fix: `Check -n/-e; a cluster admin creates it with the bootstrap manifests: kubectl apply -f k8s/<env>/ (namespace ${ns}).`,
        },
      };
    }
    if (code === 403) {
      return {
        exists: true,
        check: {
          name: 'namespace',
          status: 'warn',
          evidence: `cannot read ${chosen}: ${errText(err)}`,
          fix: 'The deployer Role grants get on its own namespace; apply the RBAC from k8s/<env>/ as a cluster admin.',
        },
      };
    }
    throw err;
  }
}

export async function checkMetricsApi(kube: KubeClients): Promise<DoctorCheck> {
  try {
    const apis = await listApiGroups(kube);
    const group = (apis?.groups ?? []).find((g) => g?.name === 'metrics.k8s.io');
    return group
      ? {
          name: 'metrics API',
          status: 'pass',
          evidence: `metrics.k8s.io ${group.preferredVersion?.version ?? ''} is served`.trim(),
        }
      : {
          name: 'metrics API',
          status: 'fail',
          evidence:
            'metrics.k8s.io is not in API discovery: the HPA cannot scale and status shows no CPU/memory',
          fix: "Install metrics-server (kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml) or your provider's add-on.",
        };
  } catch (err) {
    return { name: 'metrics API', status: 'warn', evidence: `API discovery failed: ${errText(err)}` };
  }
}
