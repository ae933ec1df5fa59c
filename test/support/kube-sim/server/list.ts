/** Lists: label and field selectors, limit/continue pages, tables, list items without apiVersion/kind. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceDef } from '../resources.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { badRequest, type KObj } from '../status.js';
import type { Store } from '../store.js';
import { buildTable, wantsTable } from '../table.js';
import { type ParsedPath, type ServerContext, send } from './context.js';

const CORE_LIST_GROUPS = new Set([
  '',
  'apps',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
]);

/** The objects of the path's resource (and namespace) that match the query's selectors. */
export function filtered(store: Store, p: ParsedPath, query: URLSearchParams): KObj[] {
  const label = parseLabelSelector(query.get('labelSelector'));
  const field = parseFieldSelector(query.get('fieldSelector'), p.r.plural);
  return store.list(p.r, p.namespace).filter((o) => label(o.metadata.labels) && field(o));
}

/** A `<Kind>List`; items of built-in groups carry no apiVersion/kind, like the API server's. */
export function listOf(store: Store, r: ResourceDef, items: KObj[], meta: KObj = {}): KObj {
  const strip = CORE_LIST_GROUPS.has(r.group);
  return {
    kind: `${r.kind}List`,
    apiVersion: apiVersionOf(r),
    metadata: { resourceVersion: store.currentResourceVersion(), ...meta },
    items: strip
      ? items.map((o) => {
          const { apiVersion: _a, kind: _k, ...rest } = o;
          return rest;
        })
      : items,
  };
}

export function serveList(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  p: ParsedPath,
  query: URLSearchParams,
): unknown {
  const { store } = ctx;
  let items = filtered(store, p, query);
  const meta: KObj = {};
  const limit = Number(query.get('limit') ?? 0);
  const cont = query.get('continue');
  if (cont) {
    let start = 0;
    try {
      start = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')).offset;
    } catch {
      throw badRequest('continue key is not valid: illegal base64 data');
    }
    items = items.slice(start);
    if (limit > 0 && items.length > limit) {
      meta.continue = Buffer.from(JSON.stringify({ offset: start + limit })).toString('base64');
      meta.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
    }
  } else if (limit > 0 && items.length > limit) {
    meta.continue = Buffer.from(JSON.stringify({ offset: limit })).toString('base64');
    meta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (wantsTable(req.headers.accept)) {
    return send(
      res,
      200,
      buildTable(p.r, items, store.currentResourceVersion(), ctx.now(), query.get('includeObject'), meta),
    );
  }
  send(res, 200, listOf(store, p.r, items, meta));
}
