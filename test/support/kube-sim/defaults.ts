/**
 * The API server's defaults (applied on every write, so a ReplicaSet's template equals its
 * Deployment's), `null`-dropping, and pod template hashing and comparison.
 */
import { createHash } from 'node:crypto';
import { clone, deepEqual, isObj } from './patch.js';
import type { ResourceDef } from './resources.js';
import type { Json, KObj } from './status.js';

/** A pod template hash like the deployment controller's (10 characters of the safe alphabet). */
export function podTemplateHash(template: KObj, collisionCount = 0): string {
  const t = clone(template);
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  const h = createHash('sha256')
    .update(canonical(t) + String(collisionCount))
    .digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[h[i] % alphabet.length];
  return s;
}

/** JSON with sorted keys, so equal objects give equal strings. */
export function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** True when two pod templates are equal ignoring the pod-template-hash label (EqualIgnoreHash). */
export function templatesEqual(a: KObj | undefined, b: KObj | undefined): boolean {
  const strip = (t: KObj | undefined) => {
    const c = clone(t ?? {});
    if (c.metadata?.labels) {
      delete c.metadata.labels['pod-template-hash'];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
    return c;
  };
  return deepEqual(strip(a), strip(b));
}

function defaultContainer(c: KObj): void {
  if (!c.image) return;
  const tag = String(c.image).split('/').pop() ?? '';
  c.imagePullPolicy ??= !tag.includes(':') || tag.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of (c.ports ?? []) as KObj[]) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!isObj(probe)) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (isObj(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
  }
}

/** Drops null fields, as decoding into the typed object does (`creationTimestamp: null` and friends). */
export function stripNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (!isObj(v)) return v;
  const out: KObj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = stripNulls(x);
  return out;
}

/** Pod spec defaults, as the API server applies them (idempotent). */
export function defaultPodSpec(spec: KObj): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as KObj[]) defaultContainer(c);
}

/** Defaults of Deployments (replicas, revisionHistoryLimit) and HPAs (minReplicas). */
export function defaultObject(r: ResourceDef, o: KObj): void {
  const spec = o.spec;
  switch (`${r.group}/${r.plural}`) {
    case 'apps/deployments':
      if (!isObj(spec)) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate' };
      if (spec.strategy.type === 'RollingUpdate' || spec.strategy.type === undefined) {
        spec.strategy.type = 'RollingUpdate';
        spec.strategy.rollingUpdate ??= {};
        spec.strategy.rollingUpdate.maxSurge ??= '25%';
        spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      }
      if (isObj(spec.template)) {
        spec.template.metadata ??= {};
        if (isObj(spec.template.spec)) defaultPodSpec(spec.template.spec);
      }
      break;
    case 'apps/replicasets':
      if (!isObj(spec)) return;
      spec.replicas ??= 1;
      if (isObj(spec.template?.spec)) defaultPodSpec(spec.template.spec);
      break;
    case '/pods':
      if (isObj(spec)) defaultPodSpec(spec);
      o.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    case '/services':
      if (!isObj(spec)) return;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.clusterIP === undefined) {
        spec.clusterIP = `10.96.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
      }
      spec.clusterIPs ??= [spec.clusterIP];
      for (const p of (spec.ports ?? []) as KObj[]) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      o.status ??= { loadBalancer: {} };
      break;
    case '/namespaces':
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
      o.spec ??= { finalizers: ['kubernetes'] };
      o.status ??= { phase: 'Active' };
      break;
    case '/secrets':
      o.type ??= 'Opaque';
      if (isObj(o.stringData)) {
        o.data = { ...(o.data ?? {}) };
        for (const [k, v] of Object.entries(o.stringData))
          o.data[k] = Buffer.from(String(v)).toString('base64');
        delete o.stringData;
      }
      break;
    case 'autoscaling/horizontalpodautoscalers':
      if (isObj(spec)) spec.minReplicas ??= 1;
      break;
  }
}
