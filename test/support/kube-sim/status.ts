/**
 * Kubernetes `Status` objects and the error type the server turns into them.
 * Messages follow k8s.io/apimachinery/pkg/api/errors exactly, because clients (and kubectl) show them.
 */
import type { ResourceDef } from './resources.js';

/** A JSON value; the simulator stores objects as plain JSON. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are schemaless JSON here.
export type Json = any;
/** A Kubernetes object (or any JSON object). */
export type KObj = { [key: string]: Json };

/** An API error that the HTTP layer renders as a `Status` object. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KObj,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The `Status` body for this error. */
  toStatus(): KObj {
    const s: KObj = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `deployments.apps` or `pods`: the qualified resource as the API server prints it. */
export function qualified(r: ResourceDef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

function groupDetails(r: ResourceDef, name?: string): KObj {
  const d: KObj = {};
  if (name !== undefined) d.name = name;
  if (r.group) d.group = r.group;
  d.kind = r.plural;
  return d;
}

export function notFound(r: ResourceDef, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualified(r)} "${name}" not found`, groupDetails(r, name));
}

export function alreadyExists(r: ResourceDef, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualified(r)} "${name}" already exists`,
    groupDetails(r, name),
  );
}

export function conflict(r: ResourceDef, name: string, why?: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${
      why ?? 'the object has been modified; please apply your changes to the latest version and try again'
    }`,
    groupDetails(r, name),
  );
}

/** A field problem for a 422 Invalid. */
export interface FieldCause {
  field: string;
  message: string;
  reason?: string;
}

export function invalid(r: ResourceDef, name: string, causes: FieldCause[]): StatusError {
  const detail = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const kindName = r.group ? `${r.kind}.${r.group}` : r.kind;
  const msg =
    causes.length === 1
      ? `${kindName} "${name}" is invalid: ${detail}`
      : `${kindName} "${name}" is invalid: [${detail}]`;
  return new StatusError(422, 'Invalid', msg, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind,
    causes: causes.map((c) => ({
      reason: c.reason ?? 'FieldValueInvalid',
      message: c.message,
      field: c.field,
    })),
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

/** 404 for a path the server does not serve at all (like the real "the server could not find the requested resource"). */
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/**
 * 403 with the authorizer's message, e.g.
 * `pods "x" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "ns"`.
 */
export function forbidden(
  user: string,
  verb: string,
  r: ResourceDef,
  subresource: string | undefined,
  namespace: string | undefined,
  name: string | undefined,
): StatusError {
  const resource = subresource ? `${r.plural}/${subresource}` : r.plural;
  const subject = name ? `${qualified(r)} "${name}"` : qualified(r);
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return new StatusError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${r.group}" ${scope}`,
    groupDetails(r, name),
  );
}

export function internalError(
  message = 'an error on the server ("") has prevented the request from succeeding',
): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

export function tooManyRequests(retryAfterSeconds: number): StatusError {
  return new StatusError(
    429,
    'TooManyRequests',
    'Too many requests, please try again later.',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function gone(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

/** A success `Status` (returned by deletes of objects that are gone at once). */
export function successStatus(r: ResourceDef, name: string, uid?: string): KObj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...groupDetails(r, name), ...(uid ? { uid } : {}) },
  };
}
