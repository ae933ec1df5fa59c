/** RBAC as a test sets it: deny rules give 403 Forbidden, and SelfSubjectAccessReview agrees. */
import type { ServerResponse } from 'node:http';
import { decodeSelfSubjectAccessReview, isProtobufEnvelope } from '../protobuf.js';
import type { ResourceDef } from '../resources.js';
import { badRequest, forbidden, type KObj, methodNotAllowed, StatusError } from '../status.js';
import { send } from './context.js';
import type { ServerState } from './types.js';

/** True when a deny rule matches. */
export function denied(
  state: ServerState,
  verb: string,
  group: string,
  plural: string,
  sub: string | undefined,
  namespace?: string,
  name?: string,
): boolean {
  const resource = sub ? `${plural}/${sub}` : plural;
  return state.denyRules.some((rule) => {
    const verbs = rule.verb === undefined ? undefined : Array.isArray(rule.verb) ? rule.verb : [rule.verb];
    if (verbs && !verbs.includes('*') && !verbs.includes(verb)) return false;
    if (rule.resource !== '*' && rule.resource !== resource) return false;
    if (rule.group !== undefined && rule.group !== '*' && rule.group !== group) return false;
    if (rule.namespace !== undefined && rule.namespace !== namespace) return false;
    if (rule.name !== undefined && rule.name !== name) return false;
    return true;
  });
}

/** Throws 403 Forbidden (with the API server's message) when a deny rule matches. */
export function checkAccess(
  state: ServerState,
  verb: string,
  p: { r: ResourceDef; sub?: string; namespace?: string; name?: string },
): void {
  if (denied(state, verb, p.r.group, p.r.plural, p.sub, p.namespace, p.name)) {
    throw forbidden(state.user, verb, p.r, p.sub, p.namespace, p.name);
  }
}

/** POST selfsubjectaccessreviews (JSON or protobuf). */
export function serveAccessReview(
  state: ServerState,
  res: ServerResponse,
  method: string,
  body: Buffer,
): void {
  if (method !== 'POST') throw methodNotAllowed();
  let review: KObj;
  try {
    review = isProtobufEnvelope(body)
      ? decodeSelfSubjectAccessReview(body)
      : JSON.parse(body.toString('utf8') || '{}');
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
  const ra = review.spec?.resourceAttributes;
  const nra = review.spec?.nonResourceAttributes;
  if (!ra && !nra) {
    throw new StatusError(
      422,
      'Invalid',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  let allowed = true;
  if (ra) {
    allowed = !denied(
      state,
      ra.verb ?? '',
      ra.group ?? '',
      ra.resource ?? '',
      ra.subresource || undefined,
      ra.namespace || undefined,
      ra.name || undefined,
    );
  }
  send(res, 201, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: review.spec,
    status: allowed ? { allowed: true, reason: 'kube-sim: allowed' } : { allowed: false },
  });
}
