/**
 * The rendered objects against the official Kubernetes schemas, offline, and the committed copies in
 * k8s/<env>/ and deploy/alerts/ against a fresh render.
 *
 * Schemas: kubernetes-models (validators generated from the Kubernetes 1.33 OpenAPI spec) for core kinds,
 * @kubernetes-models/prometheus-operator (generated from the operator's CRD schemas) for ServiceMonitor and
 * PrometheusRule. Those OpenAPI schemas allow unknown fields (the API server rejects them only with
 * strict field validation), so core kinds are also walked against @kubernetes/client-node's type map to
 * catch misspelled fields.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { listEnvironments, loadEnvironment, repositoryRoot } from '../../src/deploy/manifests/environment.js';
import { buildManifests, type ManifestObject } from '../../src/deploy/manifests/index.js';
import {
  RENDER_COMMAND,
  renderAllFiles,
  staleGeneratedFiles,
} from '../../src/deploy/manifests/rendered-files.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** kind -> [schema model, @kubernetes/client-node type for the unknown-field walk]. */
const MODELS: Record<string, [ModelClass, string | undefined]> = {
  Namespace: [Namespace as unknown as ModelClass, 'V1Namespace'],
  ServiceAccount: [ServiceAccount as unknown as ModelClass, 'V1ServiceAccount'],
  Role: [Role as unknown as ModelClass, 'V1Role'],
  RoleBinding: [RoleBinding as unknown as ModelClass, 'V1RoleBinding'],
  ConfigMap: [ConfigMap as unknown as ModelClass, 'V1ConfigMap'],
  PersistentVolumeClaim: [PersistentVolumeClaim as unknown as ModelClass, 'V1PersistentVolumeClaim'],
  Service: [Service as unknown as ModelClass, 'V1Service'],
  Deployment: [Deployment as unknown as ModelClass, 'V1Deployment'],
  HorizontalPodAutoscaler: [HorizontalPodAutoscaler as unknown as ModelClass, 'V2HorizontalPodAutoscaler'],
  PodDisruptionBudget: [PodDisruptionBudget as unknown as ModelClass, 'V1PodDisruptionBudget'],
  NetworkPolicy: [NetworkPolicy as unknown as ModelClass, 'V1NetworkPolicy'],
  ServiceMonitor: [ServiceMonitor as unknown as ModelClass, undefined],
  PrometheusRule: [PrometheusRule as unknown as ModelClass, undefined],
};

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ServiceAccount: 'v1',
  ConfigMap: 'v1',
  PersistentVolumeClaim: 'v1',
  Service: 'v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  Deployment: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
};

function schemaErrors(object: ManifestObject): string | undefined {
  const entry = MODELS[object.kind];
  if (!entry) return `no schema for kind ${object.kind}`;
  try {
    new entry[0](structuredClone(object) as never).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

type AttributeMap = { baseName: string; type: string }[];
const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap } | undefined>;

/** Fields not declared by the Kubernetes type (what strict server-side field validation would reject). */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || value === undefined) return [];
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return (value as unknown[]).flatMap((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`));
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      unknownFields(v, map[1]!, `${path}.${k}`),
    );
  }
  const attributes = models[type]?.getAttributeTypeMap?.();
  if (!attributes) return []; // string, number, boolean, IntOrString, Date
  const byName = new Map(attributes.map((a) => [a.baseName, a.type]));
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    byName.has(k) ? unknownFields(v, byName.get(k)!, `${path}.${k}`) : [`${path}.${k}`],
  );
}

const environments = listEnvironments();

describe('rendered objects validate against the Kubernetes schemas (offline)', () => {
  it('there are environments to check', () => {
    assert.deepEqual(environments, ['production', 'staging']);
  });

  for (const name of environments) {
    it(`every object of ${name}`, () => {
      const objects = buildManifests(loadEnvironment(name), { imageTag: '2.0.0-rc.1' });
      assert.equal(objects.length, 14);
      for (const o of objects) {
        assert.equal(o.apiVersion, API_VERSIONS[o.kind], `${o.kind} apiVersion`);
        assert.equal(schemaErrors(o), undefined, `${o.kind}/${o.metadata.name} fails its schema`);
        const type = MODELS[o.kind]![1];
        if (type)
          assert.deepEqual(
            unknownFields(o, type, o.kind),
            [],
            `${o.kind}/${o.metadata.name} has unknown fields`,
          );
      }
    });
  }

  it('every committed file in k8s/<env>/ parses to one valid object', () => {
    for (const name of environments) {
      const dir = join(repositoryRoot(), 'k8s', name);
      const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
      assert.equal(files.length, 14, `k8s/${name}`);
      for (const file of files) {
        const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
        assert.equal(docs.length, 1, `k8s/${name}/${file} holds one object`);
        assert.deepEqual(docs[0]!.errors, []);
        const o = docs[0]!.toJS() as ManifestObject;
        assert.equal(o.metadata.namespace ?? o.metadata.name, name, `k8s/${name}/${file} namespace`);
        assert.equal(schemaErrors(o), undefined, `k8s/${name}/${file} fails its schema`);
      }
    }
  });

  it('the validators catch a broken object (so a pass means something)', () => {
    const objects = buildManifests(loadEnvironment('production'));
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as ManifestObject & {
      spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
    };
    deployment.spec.replicas = 'three';
    assert.match(schemaErrors(deployment) ?? '', /replicas must be integer/);

    const misspelled = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as ManifestObject & {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    misspelled.spec.template.spec.containers[0]!.readinesProbe = {
      httpGet: { path: '/readyz', port: 'http' },
    };
    assert.deepEqual(unknownFields(misspelled, 'V1Deployment', 'Deployment'), [
      'Deployment.spec.template.spec.containers[0].readinesProbe',
    ]);

    const rule = structuredClone(objects.find((o) => o.kind === 'PrometheusRule')!) as ManifestObject & {
      spec: { groups: { rules: { for?: string }[] }[] };
    };
    rule.spec.groups[0]!.rules[0]!.for = 'five minutes';
    assert.match(schemaErrors(rule) ?? '', /for must match pattern/);

    const pdb = structuredClone(objects.find((o) => o.kind === 'PodDisruptionBudget')!) as ManifestObject & {
      spec: { selector: unknown };
    };
    pdb.spec.selector = 'app=preview-worker';
    assert.match(schemaErrors(pdb) ?? '', /selector must be object/);
  });
});

describe('committed renders are current', () => {
  const root = repositoryRoot();
  const files = renderAllFiles(root);

  it('k8s/<env>/ and deploy/alerts/ match a fresh render', () => {
    const problems: string[] = [];
    for (const [path, content] of files) {
      const full = join(root, path);
      if (!existsSync(full)) problems.push(`${path} is missing`);
      else if (readFileSync(full, 'utf8') !== content) problems.push(`${path} is out of date`);
    }
    for (const path of staleGeneratedFiles(root, files)) problems.push(`${path} is no longer generated`);
    assert.deepEqual(
      problems,
      [],
      `The committed manifests differ from deploy/environments/ and src/deploy/manifests/:\n  ${problems.join('\n  ')}\n` +
        `Run \`${RENDER_COMMAND}\` and commit k8s/ and deploy/alerts/.`,
    );
  });

  it('renders one file per object per environment, plus rules and tests', () => {
    for (const name of environments) {
      assert.equal([...files.keys()].filter((p) => p.startsWith(`k8s/${name}/`)).length, 14);
      assert.ok(files.has(`deploy/alerts/${name}.rules.yaml`));
      assert.ok(files.has(`deploy/alerts/tests/${name}.test.yaml`));
    }
    for (const [path, content] of files) {
      assert.match(content, /Generated from deploy\/environments\/\w+\.yaml by `npm run render:k8s`/, path);
    }
  });
});
