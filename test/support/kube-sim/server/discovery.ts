/** The discovery routes: /version, /openapi/v3, /api, /api/VERSION, /apis, /apis/GROUP[/VERSION]. */
import type { ServerResponse } from 'node:http';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Root,
  versionInfo,
} from '../discovery.js';
import type { ResourceDef } from '../resources.js';
import { pathNotFound } from '../status.js';
import { send } from './context.js';

/**
 * Answers a discovery path; false when the path is not one (a resource path under /api or /apis).
 * Throws 404 for unknown paths outside /api and /apis.
 */
export function serveDiscovery(
  res: ServerResponse,
  pathname: string,
  segs: string[],
  served: (r: ResourceDef) => boolean,
  host: string,
): boolean {
  if (pathname === '/version' || pathname === '/version/') {
    send(res, 200, versionInfo());
    return true;
  }
  if (segs[0] === 'openapi' && segs[1] === 'v3') {
    if (segs.length === 2) {
      send(res, 200, openApiV3Root(served));
      return true;
    }
    const doc =
      segs[2] === 'api'
        ? openApiV3GroupVersion('', segs[3], served)
        : openApiV3GroupVersion(segs[3], segs[4], served);
    if (!doc) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }
  if (segs[0] === 'openapi') throw pathNotFound();
  if (segs[0] === 'api' && segs.length === 1) {
    send(res, 200, apiVersions(host));
    return true;
  }
  if (segs[0] === 'api' && segs.length === 2) {
    const doc = apiResourceList('', segs[1], served);
    if (!doc) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }
  if (segs[0] === 'apis' && segs.length === 1) {
    send(res, 200, apiGroupList(served));
    return true;
  }
  if (segs[0] === 'apis' && segs.length === 2) {
    const doc = apiGroup(segs[1], served);
    if (!doc) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }
  if (segs[0] === 'apis' && segs.length === 3) {
    const doc = apiResourceList(segs[1], segs[2], served);
    if (!doc) throw pathNotFound();
    send(res, 200, doc);
    return true;
  }
  if (segs[0] !== 'api' && segs[0] !== 'apis') throw pathNotFound();
  return false;
}
