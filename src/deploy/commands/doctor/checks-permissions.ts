/**
 * `doctor`'s permissions check: one SelfSubjectAccessReview per verb and resource of
 * permissionsToCheck (the same list the deployer Role is built from), a few at a time.
 */
import type { KubeClients } from '../../kube/client.js';
import { createSelfSubjectAccessReview } from '../../kube/resources/cluster.js';
import type { Environment } from '../../manifests/environment.js';
import { permissionsToCheck } from '../../manifests/rbac.js';
import { errText } from './failure.js';
import type { DoctorCheck, PermissionResult } from './types.js';

/** Runs tasks with at most `n` in flight, keeping result order. */
async function mapLimit<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

/** One SelfSubjectAccessReview. */
export async function accessReview(
  kube: KubeClients,
  namespace: string,
  p: { apiGroup: string; resource: string; verb: string; resourceName?: string },
): Promise<{ allowed: boolean; reason?: string }> {
  const [resource, subresource] = p.resource.split('/');
  const review = await createSelfSubjectAccessReview(kube, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        namespace,
        verb: p.verb,
        group: p.apiGroup,
        resource,
        ...(subresource ? { subresource } : {}),
        ...(p.resourceName ? { name: p.resourceName } : {}),
      },
    },
  });
  const s: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } =
    review?.status ?? {};
  return {
    allowed: s.allowed === true && s.denied !== true,
    reason: s.reason || s.evaluationError || undefined,
  };
}

export interface PermissionsOptions {
  environment?: Environment;
  apiTokenSecret?: string;
  /** Concurrent access reviews (default 8). */
  concurrency?: number;
}

/** The permissions check, and every review's answer. */
export async function checkPermissions(
  kube: KubeClients,
  ns: string,
  opts: PermissionsOptions,
): Promise<{ check: DoctorCheck; permissions: PermissionResult[] }> {
  const permissions: PermissionResult[] = [];
  const wanted = permissionsToCheck(ns, opts.environment, opts.apiTokenSecret);
  const reviews = wanted.flatMap((p) =>
    p.verbs.map((verb) => ({ p, verb, resourceName: p.resourceNames?.[0] })),
  );
  let reviewError: string | undefined;
  const answers = await mapLimit(reviews, opts.concurrency ?? 8, async (r) => {
    try {
      return await accessReview(kube, ns, {
        apiGroup: r.p.apiGroup,
        resource: r.p.resource,
        verb: r.verb,
        resourceName: r.resourceName,
      });
    } catch (err) {
      reviewError ??= errText(err);
      return undefined;
    }
  });
  if (reviewError && answers.every((a) => a === undefined)) {
    return {
      permissions,
      check: {
        name: 'permissions',
        status: 'fail',
        evidence: `SelfSubjectAccessReview failed: ${reviewError}`,
        fix: 'Every authenticated user may create SelfSubjectAccessReviews (ClusterRole system:basic-user); check the API server and your credentials.',
      },
    };
  }
  reviews.forEach((r, i) => {
    const a = answers[i];
    permissions.push({
      apiGroup: r.p.apiGroup,
      resource: r.p.resource,
      verb: r.verb,
      ...(r.resourceName ? { resourceName: r.resourceName } : {}),
      allowed: a?.allowed ?? false,
      ...(a?.reason ? { reason: a.reason } : a ? {} : { reason: `review failed: ${reviewError}` }),
      why: r.p.why,
    });
  });
  const denied = permissions.filter((p) => !p.allowed);
  const label = (p: PermissionResult) =>
    `${p.verb} ${p.resource}${p.apiGroup ? `.${p.apiGroup}` : ''}${p.resourceName ? `/${p.resourceName}` : ''}`;
  return {
    permissions,
    check: {
      name: 'permissions',
      status: denied.length === 0 ? 'pass' : 'fail',
      evidence:
        denied.length === 0
          ? `all ${permissions.length} permissions the CLI needs are allowed in ${ns}`
          : `${denied.length} of ${permissions.length} denied in ${ns}: ${denied.map(label).join(', ')}`,
      ...(denied.length
        ? {
            fix: `Ask a cluster admin to apply the deployer Role (kubectl apply -f k8s/<env>/ as admin: Role/RoleBinding mobius-deployer), or grant: ${denied.map(label).join(', ')}.`,
          }
        : {}),
    },
  };
}
