/**
 * Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, RESOURCES, type ResourceDef } from './resources.js';
import type { KObj } from './status.js';

const SUB_VERBS: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
  log: { kind: 'Pod', verbs: ['get'] },
  proxy: { kind: '', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  finalize: { kind: 'Namespace', verbs: ['update'] },
};

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64').slice(0, 11);
}

export function versionInfo(): KObj {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.4-kube-sim',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** The served resources, minus those switched off (metrics.k8s.io when disabled). */
export type ResourceFilter = (r: ResourceDef) => boolean;

export function apiVersions(host: string): KObj {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
  };
}

function groups(filter: ResourceFilter): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of RESOURCES) {
    if (!r.group || !filter(r)) continue;
    const list = out.get(r.group) ?? [];
    if (!list.includes(r.version)) list.push(r.version);
    out.set(r.group, list);
  }
  return out;
}

function groupDoc(name: string, versions: string[]): KObj {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(filter: ResourceFilter): KObj {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups(filter)].map(([name, versions]) => groupDoc(name, versions)),
  };
}

export function apiGroup(group: string, filter: ResourceFilter): KObj | undefined {
  const versions = groups(filter).get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) };
}

export function apiResourceList(group: string, version: string, filter: ResourceFilter): KObj | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version && filter(r));
  if (rs.length === 0) return undefined;
  const resources: KObj[] = [];
  for (const r of rs) {
    const row: KObj = {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames) row.shortNames = r.shortNames;
    if (r.categories) row.categories = r.categories;
    if (!r.virtual) row.storageVersionHash = hash(`${apiVersionOf(r)}/${r.kind}`);
    resources.push(row);
    for (const sub of r.subresources) {
      const s = SUB_VERBS[sub];
      if (!s) continue;
      const subRow: KObj = {
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: s.kind || (sub === 'proxy' ? `${r.kind}ProxyOptions` : r.kind),
        verbs: s.verbs,
      };
      if (s.group) {
        subRow.group = s.group;
        subRow.version = s.version;
      }
      resources.push(subRow);
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/** `/openapi/v3`: one entry per served group/version. */
export function openApiV3Root(filter: ResourceFilter): KObj {
  const paths: KObj = {};
  for (const r of RESOURCES) {
    if (!filter(r)) continue;
    const gv = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash(gv).replace(/[^A-Za-z0-9]/g, '')}` };
  }
  return { paths };
}

/**
 * `/openapi/v3/<gv>`: a skeleton with the PATCH operations and their query parameters (enough for
 * kubectl to see that the server validates fields itself), without schemas.
 */
export function openApiV3GroupVersion(
  group: string,
  version: string,
  filter: ResourceFilter,
): KObj | undefined {
  const rs = RESOURCES.filter(
    (r) => r.group === group && r.version === version && filter(r) && r.verbs.includes('patch'),
  );
  if (!RESOURCES.some((r) => r.group === group && r.version === version && filter(r))) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const query = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  const paths: KObj = {};
  for (const r of rs) {
    const path = r.namespaced
      ? `${prefix}/namespaces/{namespace}/${r.plural}/{name}`
      : `${prefix}/${r.plural}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${r.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
        parameters: [
          query('dryRun'),
          query('fieldManager'),
          query('fieldValidation'),
          { ...query('force'), schema: { type: 'boolean' } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas: {} },
  };
}
