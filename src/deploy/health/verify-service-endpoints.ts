/**
 * verify's `service endpoints` check: the worker's Service (by name, else one selecting its pods)
 * has ready endpoints, read from EndpointSlices, else from Endpoints.
 */
import type { V1Service } from '@kubernetes/client-node';
import { isNotFound } from '../kube/errors.js';
import { listEndpointSlices } from '../kube/resources/cluster.js';
import { getEndpoints, getService, listServices } from '../kube/resources/core.js';
import type { KubeReader } from '../kube/resources/reader.js';
import type { VerifyCheck } from './verify-types.js';

/** Does a Service's selector select these labels? */
function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export async function checkServiceEndpoints(
  kube: KubeReader,
  ns: string,
  serviceName: string | undefined,
  depName: string,
  podLabels: Record<string, string> | undefined,
): Promise<VerifyCheck> {
  const name = 'service endpoints';
  let service: V1Service | undefined;
  try {
    service = await getService(kube, ns, serviceName ?? depName);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!service && !serviceName) {
    const list = await listServices(kube, ns);
    service = list.items.find((s) => selects(s.spec?.selector, podLabels));
  }
  if (!service) {
    return {
      name,
      status: 'fail',
      evidence: serviceName
        ? `Service ${serviceName} not found`
        : `no Service named ${depName} or selecting its pods`,
    };
  }
  const svc = service.metadata!.name!;
  try {
    const slices = await listEndpointSlices(kube, ns, { labelSelector: `kubernetes.io/service-name=${svc}` });
    if (slices.items.length > 0) {
      let ready = 0;
      let total = 0;
      for (const s of slices.items) {
        for (const e of s.endpoints ?? []) {
          total++;
          if (e.conditions?.ready !== false) ready++;
        }
      }
      return ready > 0
        ? {
            name,
            status: 'pass',
            evidence: `Service ${svc}: ${ready} of ${total} endpoints ready (EndpointSlices)`,
          }
        : {
            name,
            status: 'fail',
            evidence: `Service ${svc} has no ready endpoints (${total} not ready, EndpointSlices)`,
          };
    }
  } catch (err) {
    if (!isNotFound(err) && (err as Error).name !== 'AccessDeniedError') throw err;
  }
  try {
    const ep = await getEndpoints(kube, ns, svc);
    let ready = 0;
    let notReady = 0;
    for (const s of ep.subsets ?? []) {
      ready += (s.addresses ?? []).length;
      notReady += (s.notReadyAddresses ?? []).length;
    }
    return ready > 0
      ? {
          name,
          status: 'pass',
          evidence: `Service ${svc}: ${ready} ready address${ready === 1 ? '' : 'es'}${notReady ? `, ${notReady} not ready` : ''} (Endpoints)`,
        }
      : {
          name,
          status: 'fail',
          evidence: `Service ${svc} has no ready endpoints${notReady ? ` (${notReady} not ready)` : ''}`,
        };
  } catch (err) {
    if (isNotFound(err))
      return {
        name,
        status: 'fail',
        evidence: `Service ${svc} has no endpoints at all (no EndpointSlices, no Endpoints)`,
      };
    throw err;
  }
}
