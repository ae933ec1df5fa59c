/**
 * Validation on create and update: names, containers and images of pod specs, Deployment and
 * ReplicaSet selectors (required, matching the template's labels, immutable) and replicas, Service
 * ports, HPA bounds, ConfigMap data; 422 Invalid with every cause.
 */
import { deepEqual, isObj } from './patch.js';
import type { ResourceDef } from './resources.js';
import { labelSelectorObjectMatcher } from './selectors.js';
import { type FieldCause, invalid, type Json, type KObj } from './status.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Throws 422 Invalid listing every problem of o (old: the object it replaces). */
export function validate(r: ResourceDef, o: KObj, old?: KObj): void {
  const name = o.metadata?.name ?? '';
  const causes: FieldCause[] = [];
  if (!name) {
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  }
  for (const [k, v] of Object.entries((o.metadata?.labels ?? {}) as KObj)) {
    if (typeof v !== 'string')
      causes.push({
        field: `metadata.labels`,
        message: `Invalid value: "${k}": label values must be strings`,
      });
  }
  const checkPodSpec = (spec: Json, path: string) => {
    const containers = spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({ field: `${path}.containers`, message: 'Required value', reason: 'FieldValueRequired' });
      return;
    }
    containers.forEach((c: KObj, i: number) => {
      if (!c?.name)
        causes.push({
          field: `${path}.containers[${i}].name`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      if (!c?.image)
        causes.push({
          field: `${path}.containers[${i}].image`,
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
    });
  };
  if (r.group === 'apps' && (r.plural === 'deployments' || r.plural === 'replicasets')) {
    const spec = o.spec ?? {};
    if (!isObj(spec.selector)) {
      causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    } else {
      const labels = spec.template?.metadata?.labels ?? {};
      if (!labelSelectorObjectMatcher(spec.selector)(labels) || Object.keys(spec.selector).length === 0) {
        causes.push({
          field: 'spec.template.metadata.labels',
          message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        });
      }
      if (old && !deepEqual(old.spec?.selector, spec.selector)) {
        causes.push({
          field: 'spec.selector',
          message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`,
        });
      }
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      causes.push({
        field: 'spec.replicas',
        message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      });
    }
    checkPodSpec(spec.template?.spec, 'spec.template.spec');
  }
  if (r.group === '' && r.plural === 'pods') checkPodSpec(o.spec, 'spec');
  if (r.group === '' && r.plural === 'services' && o.spec?.type !== 'ExternalName') {
    if (!Array.isArray(o.spec?.ports) || o.spec.ports.length === 0) {
      causes.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
    }
  }
  if (r.group === 'autoscaling' && r.plural === 'horizontalpodautoscalers') {
    const spec = o.spec ?? {};
    if (!spec.scaleTargetRef?.kind || !spec.scaleTargetRef?.name) {
      causes.push({ field: 'spec.scaleTargetRef', message: 'Required value', reason: 'FieldValueRequired' });
    }
    if (typeof spec.minReplicas === 'number' && spec.minReplicas < 1) {
      causes.push({
        field: 'spec.minReplicas',
        message: `Invalid value: ${spec.minReplicas}: must be greater than or equal to 1`,
      });
    }
    if (typeof spec.maxReplicas !== 'number') {
      causes.push({ field: 'spec.maxReplicas', message: 'Required value', reason: 'FieldValueRequired' });
    } else if (spec.maxReplicas < (spec.minReplicas ?? 1)) {
      causes.push({
        field: 'spec.maxReplicas',
        message: `Invalid value: ${spec.maxReplicas}: must be greater than or equal to \`minReplicas\``,
      });
    }
  }
  if (r.group === '' && r.plural === 'configmaps') {
    for (const [k, v] of Object.entries((o.data ?? {}) as KObj)) {
      if (typeof v !== 'string')
        causes.push({ field: `data[${k}]`, message: 'Invalid value: must be a string' });
    }
  }
  if (causes.length) throw invalid(r, name, causes);
}
