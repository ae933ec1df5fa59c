/**
 * Just enough of the Kubernetes protobuf envelope to read the requests kubectl only sends as
 * protobuf (SelfSubjectAccessReview from `kubectl auth can-i`). Answers are always JSON, which
 * client-go decodes by the response Content-Type.
 */
import type { KObj } from './status.js';

type Fields = Map<number, (Buffer | number)[]>;

function readVarint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Splits a protobuf message into its fields (length-delimited as Buffers, varints as numbers). */
export function decodeFields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: Buffer | number;
    if (wire === 0) {
      [value, pos] = readVarint(buf, pos);
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      value = buf.subarray(p2, p2 + len);
      pos = p2 + len;
    } else if (wire === 1) {
      value = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      value = buf.subarray(pos, pos + 4);
      pos += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

function str(f: Fields, n: number): string | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function msg(f: Fields, n: number): Fields | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? decodeFields(v) : undefined;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** True when the body carries the `k8s\0` protobuf envelope. */
export function isProtobufEnvelope(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** Decodes a SelfSubjectAccessReview sent as protobuf into its JSON form. */
export function decodeSelfSubjectAccessReview(body: Buffer): KObj {
  const unknown = decodeFields(body.subarray(4));
  const raw = unknown.get(2)?.[0];
  if (!Buffer.isBuffer(raw)) throw new Error('protobuf envelope without an object');
  const review = decodeFields(raw);
  const spec = msg(review, 2);
  const out: KObj = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} };
  const ra = spec && msg(spec, 1);
  if (ra) {
    const names = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    out.spec.resourceAttributes = Object.fromEntries(
      names.map((k, i) => [k, str(ra, i + 1)]).filter(([, v]) => v !== undefined),
    );
  }
  const nra = spec && msg(spec, 2);
  if (nra) out.spec.nonResourceAttributes = { path: str(nra, 1), verb: str(nra, 2) };
  return out;
}

// ---------------------------------------------------------------------------------------------
// Typed objects kubectl's generators send as protobuf (`kubectl create namespace|configmap|secret|
// deployment|service`, `kubectl run`): a field table for the fields those commands set.

type FieldType =
  | 's' // string
  | 'b' // bytes (base64 in JSON)
  | 'i' // varint number
  | 'bool'
  | 'ss' // repeated string
  | 'map' // map<string,string>
  | 'mapb' // map<string,bytes>
  | 'mapq' // map<string,Quantity>
  | 'ios' // IntOrString
  | { msg: string; repeated?: boolean };

type Schema = Record<number, [string, FieldType]>;

const SCHEMAS: Record<string, Schema> = {
  ObjectMeta: {
    1: ['name', 's'],
    2: ['generateName', 's'],
    3: ['namespace', 's'],
    11: ['labels', 'map'],
    12: ['annotations', 'map'],
    14: ['finalizers', 'ss'],
  },
  Namespace: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'NamespaceSpec' }] },
  NamespaceSpec: { 1: ['finalizers', 'ss'] },
  ConfigMap: {
    1: ['metadata', { msg: 'ObjectMeta' }],
    2: ['data', 'map'],
    3: ['binaryData', 'mapb'],
    4: ['immutable', 'bool'],
  },
  Secret: {
    1: ['metadata', { msg: 'ObjectMeta' }],
    2: ['data', 'mapb'],
    3: ['type', 's'],
    4: ['stringData', 'map'],
    5: ['immutable', 'bool'],
  },
  Deployment: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'DeploymentSpec' }] },
  DeploymentSpec: {
    1: ['replicas', 'i'],
    2: ['selector', { msg: 'LabelSelector' }],
    3: ['template', { msg: 'PodTemplateSpec' }],
    4: ['strategy', { msg: 'DeploymentStrategy' }],
    5: ['minReadySeconds', 'i'],
    6: ['revisionHistoryLimit', 'i'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'i'],
  },
  DeploymentStrategy: { 1: ['type', 's'], 2: ['rollingUpdate', { msg: 'RollingUpdateDeployment' }] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'ios'], 2: ['maxSurge', 'ios'] },
  LabelSelector: {
    1: ['matchLabels', 'map'],
    2: ['matchExpressions', { msg: 'LabelSelectorRequirement', repeated: true }],
  },
  LabelSelectorRequirement: { 1: ['key', 's'], 2: ['operator', 's'], 3: ['values', 'ss'] },
  PodTemplateSpec: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'PodSpec' }] },
  Pod: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'PodSpec' }] },
  PodSpec: {
    2: ['containers', { msg: 'Container', repeated: true }],
    3: ['restartPolicy', 's'],
    4: ['terminationGracePeriodSeconds', 'i'],
    6: ['dnsPolicy', 's'],
    8: ['serviceAccountName', 's'],
  },
  Container: {
    1: ['name', 's'],
    2: ['image', 's'],
    3: ['command', 'ss'],
    4: ['args', 'ss'],
    5: ['workingDir', 's'],
    6: ['ports', { msg: 'ContainerPort', repeated: true }],
    7: ['env', { msg: 'EnvVar', repeated: true }],
    8: ['resources', { msg: 'ResourceRequirements' }],
    14: ['imagePullPolicy', 's'],
  },
  ContainerPort: { 1: ['name', 's'], 3: ['containerPort', 'i'], 4: ['protocol', 's'] },
  EnvVar: { 1: ['name', 's'], 2: ['value', 's'] },
  ResourceRequirements: { 1: ['limits', 'mapq'], 2: ['requests', 'mapq'] },
  Service: { 1: ['metadata', { msg: 'ObjectMeta' }], 2: ['spec', { msg: 'ServiceSpec' }] },
  ServiceSpec: {
    1: ['ports', { msg: 'ServicePort', repeated: true }],
    2: ['selector', 'map'],
    3: ['clusterIP', 's'],
    4: ['type', 's'],
  },
  ServicePort: { 1: ['name', 's'], 2: ['protocol', 's'], 3: ['port', 'i'], 4: ['targetPort', 'ios'] },
};

/** Fields kept even when zero (pointer fields in the Go types). */
const KEEP_ZERO = new Set(['replicas']);

function decodeMapEntry(buf: Buffer): [string, Buffer | undefined] {
  const f = decodeFields(buf);
  const k = f.get(1)?.[0];
  const v = f.get(2)?.[0];
  return [Buffer.isBuffer(k) ? k.toString('utf8') : '', Buffer.isBuffer(v) ? v : undefined];
}

function decodeMessage(buf: Buffer, schemaName: string): KObj {
  const schema = SCHEMAS[schemaName];
  const f = decodeFields(buf);
  const out: KObj = {};
  for (const [num, values] of f) {
    const entry = schema[num];
    if (!entry) continue;
    const [name, type] = entry;
    const bufs = values.filter((v): v is Buffer => Buffer.isBuffer(v));
    const first = values[0];
    if (typeof type === 'object') {
      const items = bufs.map((b) => decodeMessage(b, type.msg));
      out[name] = type.repeated ? items : items[0];
    } else if (type === 's') {
      const v = Buffer.isBuffer(first) ? first.toString('utf8') : '';
      if (v !== '') out[name] = v;
    } else if (type === 'b') {
      if (Buffer.isBuffer(first)) out[name] = first.toString('base64');
    } else if (type === 'i') {
      if (typeof first === 'number' && (first !== 0 || KEEP_ZERO.has(name))) out[name] = first;
    } else if (type === 'bool') {
      if (first === 1) out[name] = true;
    } else if (type === 'ss') {
      out[name] = bufs.map((b) => b.toString('utf8'));
    } else if (type === 'map' || type === 'mapb' || type === 'mapq') {
      const m: Record<string, string> = {};
      for (const b of bufs) {
        const [k, v] = decodeMapEntry(b);
        if (type === 'map') m[k] = v ? v.toString('utf8') : '';
        else if (type === 'mapb') m[k] = v ? v.toString('base64') : '';
        else m[k] = v ? (str(decodeFields(v), 1) ?? '') : '';
      }
      out[name] = m;
    } else if (type === 'ios') {
      const ios = Buffer.isBuffer(first) ? decodeFields(first) : new Map();
      const kind = ios.get(1)?.[0];
      out[name] = kind === 1 ? (str(ios, 3) ?? '') : ((ios.get(2)?.[0] as number | undefined) ?? 0);
    }
  }
  return out;
}

/**
 * Decodes a protobuf-encoded object of one of the kinds kubectl's generators create. Returns
 * undefined for other kinds (the caller answers 415 then).
 */
export function decodeProtobufObject(body: Buffer): KObj | undefined {
  const unknown = decodeFields(body.subarray(4));
  const typeMeta = msg(unknown, 1);
  const raw = unknown.get(2)?.[0];
  const apiVersion = typeMeta ? str(typeMeta, 1) : undefined;
  const kind = typeMeta ? str(typeMeta, 2) : undefined;
  if (!kind || !SCHEMAS[kind] || !Buffer.isBuffer(raw)) return undefined;
  return { apiVersion, kind, ...decodeMessage(raw, kind) };
}
