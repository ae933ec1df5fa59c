/** Request paths: URL segments, and /api/v1/... or /apis/GROUP/VERSION/... resolved to a resource. */
import { findResource, type ResourceDef } from '../resources.js';
import type { ParsedPath } from './context.js';

export function segmentsOf(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** The resource, namespace, name and subresource of a path; undefined when no served resource matches. */
export function parseResourcePath(
  segs: string[],
  served: (r: ResourceDef) => boolean,
): ParsedPath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  }
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  if (rest.length === 0) return undefined;
  const find = (plural: string) => {
    const r = findResource(group, version, plural);
    return r && served(r) ? r : undefined;
  };
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const r = find(rest[2]);
    if (r?.namespaced) {
      return {
        r,
        namespace: rest[1],
        name: rest[3],
        sub: rest[4],
        subPath: rest.slice(5).join('/'),
        watchPrefix,
      };
    }
  }
  const r = find(rest[0]);
  if (!r) return undefined;
  return { r, name: rest[1], sub: rest[2], subPath: rest.slice(3).join('/'), watchPrefix };
}
