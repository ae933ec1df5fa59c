/**
 * Route table of the worker's HTTP API and the pure function that matches a request to it.
 *
 * Matching works on the RAW request path (still percent-encoded, never normalised by `new URL`),
 * split on `/`. That matters for the artifact route: normalising first would silently turn
 * `/v1/previews/a/artifacts/../../x` into another path before any check could see the `..`.
 * Parameters are returned raw; handlers decode and validate them.
 */

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

const ROUTES: RouteDef[] = [
  { template: '/livez', segments: ['livez'], methods: { GET: 'livez' } },
  { template: '/readyz', segments: ['readyz'], methods: { GET: 'readyz' } },
  { template: '/metrics', segments: ['metrics'], methods: { GET: 'metrics' } },
  { template: '/v1/previews', segments: ['v1', 'previews'], methods: { POST: 'submitPreview' } },
  {
    template: '/v1/previews/:jobId',
    segments: ['v1', 'previews', ':jobId'],
    methods: { GET: 'previewStatus' },
  },
  {
    template: '/v1/previews/:jobId/artifacts/*',
    segments: ['v1', 'previews', ':jobId', 'artifacts', '*path'],
    methods: { GET: 'previewArtifact' },
  },
  { template: '/v1/queue', segments: ['v1', 'queue'], methods: { GET: 'queueOverview' } },
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
