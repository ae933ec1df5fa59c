/**
 * Route table of the worker's HTTP API and the pure function that matches a request to it.
 *
 * Matching works on the RAW request path (still percent-encoded, never normalised by `new URL`),
 * split on `/`. That matters for the artifact route: normalising first would silently turn
 * `/v1/previews/a/artifacts/../../x` into another path before any check could see the `..`.
 * Parameters are returned raw; handlers decode and validate them.
 */
import { WORKER_PATH } from '../../contract/http.js';

export type RouteName =
  | 'livez'
  | 'readyz'
  | 'metrics'
  | 'submitPreview'
  | 'previewStatus'
  | 'previewArtifact'
  | 'queueOverview';

interface RouteDef {
  /** The template logged for the request, never the concrete path (low cardinality, no ids). */
  template: string;
  /** Literal segments, `:name` parameters, and a final `*rest` that captures the remaining segments. */
  segments: string[];
  methods: Partial<Record<string, RouteName>>;
}

/** The literal segments of a contract path (`/v1/previews` → `v1`, `previews`). */
const segmentsOf = (path: string): string[] => path.slice(1).split('/');

const ROUTES: RouteDef[] = [
  { template: WORKER_PATH.livez, segments: segmentsOf(WORKER_PATH.livez), methods: { GET: 'livez' } },
  { template: WORKER_PATH.readyz, segments: segmentsOf(WORKER_PATH.readyz), methods: { GET: 'readyz' } },
  { template: WORKER_PATH.metrics, segments: segmentsOf(WORKER_PATH.metrics), methods: { GET: 'metrics' } },
  {
    template: WORKER_PATH.previews,
    segments: segmentsOf(WORKER_PATH.previews),
    methods: { POST: 'submitPreview' },
  },
  {
    template: `${WORKER_PATH.previews}/:jobId`,
    segments: [...segmentsOf(WORKER_PATH.previews), ':jobId'],
    methods: { GET: 'previewStatus' },
  },
  {
    template: `${WORKER_PATH.previews}/:jobId/artifacts/*`,
    segments: [...segmentsOf(WORKER_PATH.previews), ':jobId', 'artifacts', '*path'],
    methods: { GET: 'previewArtifact' },
  },
  { template: WORKER_PATH.queue, segments: segmentsOf(WORKER_PATH.queue), methods: { GET: 'queueOverview' } },
];

export type RouteMatch =
  | { kind: 'found'; name: RouteName; template: string; params: Record<string, string> }
  | { kind: 'method-not-allowed'; template: string; allow: string[] }
  | { kind: 'not-found' };

/** Splits `req.url` into its raw path (query dropped, nothing decoded). */
export function rawPathOf(url: string | undefined): string {
  const value = url ?? '/';
  const q = value.indexOf('?');
  const h = value.indexOf('#');
  let end = value.length;
  if (q !== -1) end = Math.min(end, q);
  if (h !== -1) end = Math.min(end, h);
  return value.slice(0, end);
}

function matchSegments(def: RouteDef, parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < def.segments.length; i++) {
    const seg = def.segments[i]!;
    if (seg.startsWith('*')) {
      const rest = parts.slice(i);
      if (rest.length === 0) return null;
      params[seg.slice(1)] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (seg.startsWith(':')) {
      if (part === '') return null;
      params[seg.slice(1)] = part;
    } else if (seg !== part) {
      return null;
    }
  }
  return parts.length === def.segments.length ? params : null;
}

/** HEAD is answered wherever GET is (node:http drops the body of a HEAD response). */
function allowedMethods(def: RouteDef): string[] {
  const methods = Object.keys(def.methods);
  if (methods.includes('GET')) methods.push('HEAD');
  return methods;
}

export function matchRoute(method: string, rawPath: string): RouteMatch {
  if (!rawPath.startsWith('/')) return { kind: 'not-found' };
  const parts = rawPath.slice(1).split('/');
  for (const def of ROUTES) {
    const params = matchSegments(def, parts);
    if (!params) continue;
    const effective = method === 'HEAD' && def.methods.GET ? 'GET' : method;
    const name = def.methods[effective];
    if (name) return { kind: 'found', name, template: def.template, params };
    return { kind: 'method-not-allowed', template: def.template, allow: allowedMethods(def) };
  }
  return { kind: 'not-found' };
}
