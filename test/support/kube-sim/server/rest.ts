/**
 * Generic REST on a resource: get, list, watch, create, update, patch (every type, also on
 * /scale), delete and deletecollection, with dry runs; the write path itself is api.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clone, jsonPatch, mergePatch, strategicMergePatch } from '../patch.js';
import { labelSelectorToString } from '../selectors.js';
import { type KObj, methodNotAllowed, notFound } from '../status.js';
import { buildTable, wantsTable } from '../table.js';
import { fieldManager, parseBody } from './body.js';
import { type ParsedPath, type ServerContext, send } from './context.js';
import { filtered, listOf, serveList } from './list.js';
import { checkAccess } from './rbac.js';
import { serveWatch } from './watch.js';

/** The autoscaling/v1 Scale of a Deployment or ReplicaSet. */
function scaleOf(obj: KObj): KObj {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: labelSelectorToString(obj.spec?.selector) },
  };
}

function writeScale(
  ctx: ServerContext,
  p: ParsedPath,
  obj: KObj,
  dryRun: boolean,
  fieldManager: string,
): KObj {
  const cur = ctx.store.get(p.r, p.namespace, p.name!);
  if (!cur) throw notFound(p.r, p.name!);
  const next = clone(cur);
  next.spec.replicas = obj?.spec?.replicas ?? 0;
  if (obj?.metadata?.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
  return scaleOf(ctx.api.update(p.r, p.namespace, p.name!, next, { dryRun, fieldManager }));
}

export function serveRest(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  p: ParsedPath,
  query: URLSearchParams,
  body: Buffer,
): unknown {
  const { store, api, state } = ctx;
  const { r, namespace, name, sub } = p;
  const dryRun = query.getAll('dryRun').includes('All');
  const isWatch = p.watchPrefix || query.get('watch') === 'true' || query.get('watch') === '1';
  if (method === 'GET') {
    if (!name || isWatch) {
      const verb = isWatch ? 'watch' : 'list';
      checkAccess(state, verb, p);
      if (isWatch) return serveWatch(ctx, req, res, p, query);
      return serveList(ctx, req, res, p, query);
    }
    checkAccess(state, 'get', p);
    const obj = store.get(r, namespace, name);
    if (!obj) throw notFound(r, name);
    if (sub === 'scale') return send(res, 200, scaleOf(obj));
    if (wantsTable(req.headers.accept))
      return send(
        res,
        200,
        buildTable(r, [obj], store.currentResourceVersion(), ctx.now(), query.get('includeObject')),
      );
    return send(res, 200, obj);
  }
  if (method === 'POST') {
    if (name) throw methodNotAllowed();
    checkAccess(state, 'create', p);
    const obj = parseBody(req, body);
    const created = api.create(r, namespace, obj, {
      dryRun,
      fieldManager: fieldManager(req, query),
    });
    return send(res, 201, created);
  }
  if (method === 'PUT') {
    if (!name) throw methodNotAllowed();
    checkAccess(state, 'update', p);
    const obj = parseBody(req, body);
    if (sub === 'scale') return send(res, 200, writeScale(ctx, p, obj, dryRun, fieldManager(req, query)));
    const out = api.update(r, namespace, name, obj, {
      dryRun,
      fieldManager: fieldManager(req, query),
      subresource: sub,
    });
    return send(res, 200, out);
  }
  if (method === 'PATCH') {
    if (!name) throw methodNotAllowed();
    checkAccess(state, 'patch', p);
    const ct = String(req.headers['content-type'] ?? '');
    const patch = parseBody(req, body);
    if (sub === 'scale') {
      const cur = store.get(r, namespace, name);
      if (!cur) throw notFound(r, name);
      const type = ct.split(';')[0].trim();
      const scale = scaleOf(cur);
      const patched =
        type === 'application/json-patch+json'
          ? jsonPatch(scale, patch)
          : type === 'application/strategic-merge-patch+json'
            ? strategicMergePatch(scale, patch)
            : mergePatch(scale, patch);
      return send(res, 200, writeScale(ctx, p, patched, dryRun, fieldManager(req, query)));
    }
    const existed = !!store.peek(r, namespace, name);
    const out = api.patch(r, namespace, name, ct, patch, {
      dryRun,
      fieldManager: fieldManager(req, query),
      force: query.get('force') === 'true',
      subresource: sub,
    });
    return send(res, existed ? 200 : 201, out);
  }
  if (method === 'DELETE') {
    let opts: KObj = {};
    try {
      opts = (parseBody(req, body) ?? {}) as KObj;
    } catch {
      // DeleteOptions in a format we cannot read (protobuf): the query parameters still apply
    }
    const propagationPolicy = query.get('propagationPolicy') ?? opts.propagationPolicy;
    const dry = dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All'));
    if (!name) {
      checkAccess(state, 'deletecollection', p);
      const items = filtered(store, p, query);
      const deleted = items.map((o) => {
        api.delete(r, o.metadata.namespace, o.metadata.name, { propagationPolicy, dryRun: dry });
        return o;
      });
      return send(res, 200, listOf(store, r, deleted));
    }
    checkAccess(state, 'delete', p);
    const graceParam = query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
    const out = api.delete(r, namespace, name, {
      propagationPolicy,
      dryRun: dry,
      preconditions: opts.preconditions,
      gracePeriodSeconds: graceParam === undefined || graceParam === null ? undefined : Number(graceParam),
    });
    return send(res, 200, out);
  }
  throw methodNotAllowed();
}
