/**
 * The HTTP front of the simulator: authentication, fault injection, RBAC denials, discovery,
 * generic REST (list/get/create/update/patch/delete/deletecollection/watch), subresources
 * (status, scale, log, proxy), metrics.k8s.io and SelfSubjectAccessReview.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parse as parseYaml } from 'yaml';
import type { Api } from './api.js';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3GroupVersion,
  openApiV3Root,
  versionInfo,
} from './discovery.js';
import { type LogBook, type LogLine, nameHash } from './logs.js';
import { clone, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { decodeProtobufObject, decodeSelfSubjectAccessReview, isProtobufEnvelope } from './protobuf.js';
import { apiVersionOf, findResource, type ResourceDef } from './resources.js';
import { labelSelectorToString, parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  badRequest,
  forbidden,
  gone,
  internalError,
  type Json,
  type KObj,
  methodNotAllowed,
  notFound,
  pathNotFound,
  StatusError,
  tooManyRequests,
  unauthorized,
} from './status.js';
import type { Store, WatchEvent } from './store.js';
import { buildTable, wantsTable } from './table.js';

/** An RBAC denial: requests matching every given field get 403 Forbidden. */
export interface DenyRule {
  /** get, list, watch, create, update, patch, delete, deletecollection (or a list); default all. */
  verb?: string | string[];
  /** `pods`, `deployments`, or with a subresource `pods/log`, `pods/proxy`, `deployments/scale`; `*` for all. */
  resource: string;
  /** API group (`apps`, '' for core); default any. */
  group?: string;
  /** Only in this namespace; default any. */
  namespace?: string;
  /** Only this object name; default any. */
  name?: string;
}

/** A fault to inject into matching requests. */
export interface FaultRule {
  /** HTTP method (GET, POST, ...); default any. */
  method?: string;
  /** Matched against the URL path (without the query). A string is a substring match. */
  path: RegExp | string;
  /** Matched against the query string (without `?`), e.g. /watch=true/ or /follow=true/. */
  query?: RegExp;
  /** Answer with this status: 500 (InternalError), 429 (TooManyRequests + Retry-After), or any code. */
  status?: number;
  /** Message for the Status body. */
  message?: string;
  /** Retry-After seconds for 429 (default 1). */
  retryAfterSeconds?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Wait this long before answering (combined with nothing else: the request then proceeds normally). */
  delayMs?: number;
  /** How many requests it applies to (default: until cleared). */
  times?: number;
}

/** Per-pod container usage for metrics.k8s.io. */
export interface ContainerUsage {
  name?: string;
  cpu: string;
  memory: string;
}

/** Mutable server state shared with the public API. */
export interface ServerState {
  token: string;
  /** Reject requests without the token (kubectl sends none over http; client-node does). */
  requireToken: boolean;
  user: string;
  denyRules: DenyRule[];
  faults: { rule: FaultRule; remaining: number; hits: number }[];
  proxyTargets: Map<string, string>;
  metrics: Map<string, ContainerUsage[]>;
  metricsEnabled: boolean;
  /** Open log streams (for cutLogStreams). */
  logStreams: Set<ServerResponse>;
  /** Open watch streams. */
  watchStreams: Set<ServerResponse>;
  /** Count of requests by "METHOD path" (for tests that check what was called). */
  requestLog: { method: string; path: string; query: string; status?: number }[];
}

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

interface ParsedPath {
  r: ResourceDef;
  namespace?: string;
  name?: string;
  sub?: string;
  subPath?: string;
  watchPrefix: boolean;
}

function segmentsOf(pathname: string): string[] {
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

export class SimServer {
  private readonly PODS = findResource('', 'v1', 'pods')!;
  private readonly SERVICES = findResource('', 'v1', 'services')!;
  private readonly ENDPOINTS = findResource('', 'v1', 'endpoints')!;
  private readonly NODES = findResource('', 'v1', 'nodes')!;
  private host = '127.0.0.1';

  constructor(
    private readonly store: Store,
    private readonly api: Api,
    private readonly logs: LogBook,
    readonly state: ServerState,
    private readonly now: () => number,
  ) {}

  setHost(host: string): void {
    this.host = host;
  }

  private served = (r: ResourceDef) => r.group !== 'metrics.k8s.io' || this.state.metricsEnabled;

  /** The request handler for node:http. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.dispatch(req, res, Buffer.concat(chunks)).catch((err) => {
        this.sendError(res, err instanceof StatusError ? err : internalError((err as Error).message));
      });
    });
    req.on('error', () => {});
  };

  private send(res: ServerResponse, code: number, body: Json, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private sendError(res: ServerResponse, err: StatusError): void {
    this.send(res, err.code, err.toStatus(), err.headers);
  }

  private async applyFaults(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    query: string,
  ): Promise<boolean> {
    for (const f of this.state.faults) {
      const { rule } = f;
      if (f.remaining === 0) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method) continue;
      const pathOk = typeof rule.path === 'string' ? pathname.includes(rule.path) : rule.path.test(pathname);
      if (!pathOk) continue;
      if (rule.query && !rule.query.test(query)) continue;
      if (f.remaining > 0) f.remaining--;
      f.hits++;
      if (rule.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
      if (rule.drop) {
        req.socket.destroy();
        return true;
      }
      if (rule.status) {
        const code = rule.status;
        if (code === 429) this.sendError(res, tooManyRequests(rule.retryAfterSeconds ?? 1));
        else if (code === 500) this.sendError(res, internalError(rule.message ?? 'injected fault'));
        else {
          const reasons: Record<number, string> = {
            503: 'ServiceUnavailable',
            504: 'Timeout',
            404: 'NotFound',
            409: 'Conflict',
            403: 'Forbidden',
            401: 'Unauthorized',
          };
          this.sendError(
            res,
            new StatusError(
              code,
              reasons[code] ?? 'InternalError',
              rule.message ?? `injected fault (${code})`,
            ),
          );
        }
        return true;
      }
      return false;
    }
    return false;
  }

  private checkAccess(
    verb: string,
    p: { r: ResourceDef; sub?: string; namespace?: string; name?: string },
  ): void {
    if (this.denied(verb, p.r.group, p.r.plural, p.sub, p.namespace, p.name)) {
      throw forbidden(this.state.user, verb, p.r, p.sub, p.namespace, p.name);
    }
  }

  /** True when a deny rule matches. */
  denied(
    verb: string,
    group: string,
    plural: string,
    sub: string | undefined,
    namespace?: string,
    name?: string,
  ): boolean {
    const resource = sub ? `${plural}/${sub}` : plural;
    return this.state.denyRules.some((rule) => {
      const verbs = rule.verb === undefined ? undefined : Array.isArray(rule.verb) ? rule.verb : [rule.verb];
      if (verbs && !verbs.includes('*') && !verbs.includes(verb)) return false;
      if (rule.resource !== '*' && rule.resource !== resource) return false;
      if (rule.group !== undefined && rule.group !== '*' && rule.group !== group) return false;
      if (rule.namespace !== undefined && rule.namespace !== namespace) return false;
      if (rule.name !== undefined && rule.name !== name) return false;
      return true;
    });
  }

  private parseResourcePath(segs: string[]): ParsedPath | undefined {
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
      return r && this.served(r) ? r : undefined;
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

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    const query = url.searchParams;
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: ServerState['requestLog'][number] = { method, path: pathname, query: url.search.slice(1) };
    this.state.requestLog.push(entry);
    if (this.state.requestLog.length > 20000) this.state.requestLog.splice(0, 10000);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    if (await this.applyFaults(req, res, pathname, url.search.slice(1))) return;
    if (res.destroyed) return;
    if (pathname === '/healthz' || pathname === '/livez' || pathname === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
    // kubectl (client-go's clientcmd) never sends credentials over plain http, so a request without
    // an Authorization header is accepted as the configured user unless requireToken is set; a wrong
    // token is always 401, like the real server.
    const auth = req.headers.authorization;
    if (auth !== undefined ? auth !== `Bearer ${this.state.token}` : this.state.requireToken)
      throw unauthorized();
    const segs = segmentsOf(pathname);
    if (pathname === '/version' || pathname === '/version/') return this.send(res, 200, versionInfo());
    if (segs[0] === 'openapi' && segs[1] === 'v3') {
      if (segs.length === 2) return this.send(res, 200, openApiV3Root(this.served));
      const doc =
        segs[2] === 'api'
          ? openApiV3GroupVersion('', segs[3], this.served)
          : openApiV3GroupVersion(segs[3], segs[4], this.served);
      if (!doc) throw pathNotFound();
      return this.send(res, 200, doc);
    }
    if (segs[0] === 'openapi') throw pathNotFound();
    if (segs[0] === 'api' && segs.length === 1) return this.send(res, 200, apiVersions(this.host));
    if (segs[0] === 'api' && segs.length === 2) {
      const doc = apiResourceList('', segs[1], this.served);
      if (!doc) throw pathNotFound();
      return this.send(res, 200, doc);
    }
    if (segs[0] === 'apis' && segs.length === 1) return this.send(res, 200, apiGroupList(this.served));
    if (segs[0] === 'apis' && segs.length === 2) {
      const doc = apiGroup(segs[1], this.served);
      if (!doc) throw pathNotFound();
      return this.send(res, 200, doc);
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const doc = apiResourceList(segs[1], segs[2], this.served);
      if (!doc) throw pathNotFound();
      return this.send(res, 200, doc);
    }
    if (segs[0] !== 'api' && segs[0] !== 'apis') throw pathNotFound();
    const p = this.parseResourcePath(segs);
    if (!p) throw pathNotFound();
    if (p.r.group === 'metrics.k8s.io') return this.serveMetrics(res, method, p, query);
    if (p.r.plural === 'selfsubjectaccessreviews') return this.serveAccessReview(res, method, body);
    if (p.namespace !== undefined && p.r.plural === 'namespaces') throw pathNotFound();
    if (p.sub === 'log' && p.r === this.PODS) {
      if (method !== 'GET') throw methodNotAllowed();
      this.checkAccess('get', p);
      return this.serveLogs(res, p.namespace!, p.name!, query);
    }
    if (p.sub === 'proxy' && (p.r === this.PODS || p.r === this.SERVICES)) {
      const verb =
        { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[
          method
        ] ?? 'get';
      const [rawName] = (p.name ?? '').split(':').filter((x) => x !== 'http' && x !== 'https');
      this.checkAccess(verb, { ...p, name: rawName });
      return this.serveProxy(req, res, p, url, body);
    }
    if (p.sub && !p.r.subresources.includes(p.sub)) throw pathNotFound();
    if (p.sub && !['status', 'scale'].includes(p.sub)) throw methodNotAllowed();
    return this.serveRest(req, res, method, p, query, body);
  }

  private parseBody(req: IncomingMessage, body: Buffer): Json {
    const ct = String(req.headers['content-type'] ?? 'application/json').toLowerCase();
    const text = body.toString('utf8');
    if (text.trim() === '') return undefined;
    if (ct.includes('protobuf')) {
      const decoded = isProtobufEnvelope(body) ? decodeProtobufObject(body) : undefined;
      if (decoded) return decoded;
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    }
    try {
      if (ct.includes('yaml')) return parseYaml(text);
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(`error decoding request body: ${(err as Error).message}`);
    }
  }

  private fieldManager(req: IncomingMessage, query: URLSearchParams): string {
    const fm = query.get('fieldManager');
    if (fm) return fm;
    const ua = String(req.headers['user-agent'] ?? 'unknown');
    return ua.split('/')[0] || 'unknown';
  }

  private serveRest(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    p: ParsedPath,
    query: URLSearchParams,
    body: Buffer,
  ): unknown {
    const { r, namespace, name, sub } = p;
    const dryRun = query.getAll('dryRun').includes('All');
    const isWatch = p.watchPrefix || query.get('watch') === 'true' || query.get('watch') === '1';
    if (method === 'GET') {
      if (!name || isWatch) {
        const verb = isWatch ? 'watch' : 'list';
        this.checkAccess(verb, p);
        if (isWatch) return this.serveWatch(req, res, p, query);
        return this.serveList(req, res, p, query);
      }
      this.checkAccess('get', p);
      const obj = this.store.get(r, namespace, name);
      if (!obj) throw notFound(r, name);
      if (sub === 'scale') return this.send(res, 200, this.scaleOf(obj));
      if (wantsTable(req.headers.accept))
        return this.send(
          res,
          200,
          buildTable(r, [obj], this.store.currentResourceVersion(), this.now(), query.get('includeObject')),
        );
      return this.send(res, 200, obj);
    }
    if (method === 'POST') {
      if (name) throw methodNotAllowed();
      this.checkAccess('create', p);
      const obj = this.parseBody(req, body);
      const created = this.api.create(r, namespace, obj, {
        dryRun,
        fieldManager: this.fieldManager(req, query),
      });
      return this.send(res, 201, created);
    }
    if (method === 'PUT') {
      if (!name) throw methodNotAllowed();
      this.checkAccess('update', p);
      const obj = this.parseBody(req, body);
      if (sub === 'scale')
        return this.send(res, 200, this.writeScale(p, obj, dryRun, this.fieldManager(req, query)));
      const out = this.api.update(r, namespace, name, obj, {
        dryRun,
        fieldManager: this.fieldManager(req, query),
        subresource: sub,
      });
      return this.send(res, 200, out);
    }
    if (method === 'PATCH') {
      if (!name) throw methodNotAllowed();
      this.checkAccess('patch', p);
      const ct = String(req.headers['content-type'] ?? '');
      const patch = this.parseBody(req, body);
      if (sub === 'scale') {
        const cur = this.store.get(r, namespace, name);
        if (!cur) throw notFound(r, name);
        const type = ct.split(';')[0].trim();
        const scale = this.scaleOf(cur);
        const patched =
          type === 'application/json-patch+json'
            ? jsonPatch(scale, patch)
            : type === 'application/strategic-merge-patch+json'
              ? strategicMergePatch(scale, patch)
              : mergePatch(scale, patch);
        return this.send(res, 200, this.writeScale(p, patched, dryRun, this.fieldManager(req, query)));
      }
      const existed = !!this.store.peek(r, namespace, name);
      const out = this.api.patch(r, namespace, name, ct, patch, {
        dryRun,
        fieldManager: this.fieldManager(req, query),
        force: query.get('force') === 'true',
        subresource: sub,
      });
      return this.send(res, existed ? 200 : 201, out);
    }
    if (method === 'DELETE') {
      let opts: KObj = {};
      try {
        opts = (this.parseBody(req, body) ?? {}) as KObj;
      } catch {
        // DeleteOptions in a format we cannot read (protobuf): the query parameters still apply
      }
      const propagationPolicy = query.get('propagationPolicy') ?? opts.propagationPolicy;
      const dry = dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All'));
      if (!name) {
        this.checkAccess('deletecollection', p);
        const items = this.filtered(p, query);
        const deleted = items.map((o) => {
          this.api.delete(r, o.metadata.namespace, o.metadata.name, { propagationPolicy, dryRun: dry });
          return o;
        });
        return this.send(res, 200, this.listOf(r, deleted));
      }
      this.checkAccess('delete', p);
      const graceParam = query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
      const out = this.api.delete(r, namespace, name, {
        propagationPolicy,
        dryRun: dry,
        preconditions: opts.preconditions,
        gracePeriodSeconds: graceParam === undefined || graceParam === null ? undefined : Number(graceParam),
      });
      return this.send(res, 200, out);
    }
    throw methodNotAllowed();
  }

  private scaleOf(obj: KObj): KObj {
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

  private writeScale(p: ParsedPath, obj: KObj, dryRun: boolean, fieldManager: string): KObj {
    const cur = this.store.get(p.r, p.namespace, p.name!);
    if (!cur) throw notFound(p.r, p.name!);
    const next = clone(cur);
    next.spec.replicas = obj?.spec?.replicas ?? 0;
    if (obj?.metadata?.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
    return this.scaleOf(this.api.update(p.r, p.namespace, p.name!, next, { dryRun, fieldManager }));
  }

  private filtered(p: ParsedPath, query: URLSearchParams): KObj[] {
    const label = parseLabelSelector(query.get('labelSelector'));
    const field = parseFieldSelector(query.get('fieldSelector'), p.r.plural);
    return this.store.list(p.r, p.namespace).filter((o) => label(o.metadata.labels) && field(o));
  }

  private listOf(r: ResourceDef, items: KObj[], meta: KObj = {}): KObj {
    const strip = CORE_LIST_GROUPS.has(r.group);
    return {
      kind: `${r.kind}List`,
      apiVersion: apiVersionOf(r),
      metadata: { resourceVersion: this.store.currentResourceVersion(), ...meta },
      items: strip
        ? items.map((o) => {
            const { apiVersion: _a, kind: _k, ...rest } = o;
            return rest;
          })
        : items,
    };
  }

  private serveList(
    req: IncomingMessage,
    res: ServerResponse,
    p: ParsedPath,
    query: URLSearchParams,
  ): unknown {
    let items = this.filtered(p, query);
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
      return this.send(
        res,
        200,
        buildTable(
          p.r,
          items,
          this.store.currentResourceVersion(),
          this.now(),
          query.get('includeObject'),
          meta,
        ),
      );
    }
    this.send(res, 200, this.listOf(p.r, items, meta));
  }

  private serveWatch(
    req: IncomingMessage,
    res: ServerResponse,
    p: ParsedPath,
    query: URLSearchParams,
  ): unknown {
    const label = parseLabelSelector(query.get('labelSelector'));
    const fieldSel = query.get('fieldSelector') ?? (p.name ? `metadata.name=${p.name}` : undefined);
    const field = parseFieldSelector(fieldSel, p.r.plural);
    const matches = (o: KObj | undefined) => !!o && label(o.metadata?.labels) && field(o);
    const inScope = (ev: WatchEvent) =>
      ev.resource === p.r && (p.namespace === undefined || ev.namespace === p.namespace);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    const asTable = wantsTable(req.headers.accept);
    const includeObject = query.get('includeObject');
    const write = (type: string, object: KObj) => {
      if (res.destroyed || res.writableEnded) return;
      const out =
        asTable && type !== 'BOOKMARK' && type !== 'ERROR'
          ? buildTable(
              p.r,
              [object],
              String(object.metadata?.resourceVersion ?? ''),
              this.now(),
              includeObject,
            )
          : object;
      res.write(`${JSON.stringify({ type, object: out })}\n`);
    };
    const toWatchEvent = (ev: WatchEvent) => {
      const now = matches(ev.object);
      if (ev.type === 'MODIFIED' && ev.old) {
        const before = matches(ev.old);
        if (now && !before) return write('ADDED', ev.object);
        if (!now && before) return write('DELETED', ev.object);
      }
      if (now) write(ev.type, ev.object);
    };
    const rvParam = query.get('resourceVersion');
    const sendInitial = query.get('sendInitialEvents') === 'true';
    if (!rvParam || rvParam === '0' || sendInitial) {
      for (const o of this.store.peekList(p.r, p.namespace)) if (matches(o)) write('ADDED', o);
      if (sendInitial) {
        write('BOOKMARK', {
          kind: p.r.kind,
          apiVersion: apiVersionOf(p.r),
          metadata: {
            resourceVersion: this.store.currentResourceVersion(),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    } else {
      const rv = Number(rvParam);
      if (!Number.isFinite(rv) || rv < this.store.oldestResourceVersion()) {
        write(
          'ERROR',
          gone(`too old resource version: ${rvParam} (${this.store.oldestResourceVersion()})`).toStatus(),
        );
        res.end();
        return;
      }
      for (const ev of this.store.eventsSince(rv, p.r)) if (inScope(ev)) toWatchEvent(ev);
    }
    const unsubscribe = this.store.subscribe((ev) => {
      if (inScope(ev)) toWatchEvent(ev);
    });
    this.state.watchStreams.add(res);
    let timer: NodeJS.Timeout | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      this.state.watchStreams.delete(res);
    };
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    if (timeout > 0) {
      timer = setTimeout(() => {
        finish();
        res.end();
      }, timeout * 1000);
    }
    if (query.get('allowWatchBookmarks') === 'true') {
      bookmarkTimer = setInterval(() => {
        write('BOOKMARK', {
          kind: p.r.kind,
          apiVersion: apiVersionOf(p.r),
          metadata: { resourceVersion: this.store.currentResourceVersion() },
        });
      }, 1000);
      bookmarkTimer.unref();
    }
    res.on('close', finish);
    req.on('close', finish);
  }

  // ------------------------------------------------------------------------------------------
  // Logs

  private serveLogs(res: ServerResponse, ns: string, name: string, query: URLSearchParams): unknown {
    const pod = this.store.get(this.PODS, ns, name);
    if (!pod) throw notFound(this.PODS, name);
    const containers = ((pod.spec?.containers ?? []) as KObj[]).map((c) => c.name as string);
    let container = query.get('container') ?? undefined;
    if (!container) {
      if (containers.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
        );
      }
      container = containers[0];
    }
    if (!containers.includes(container))
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    const previous = query.get('previous') === 'true';
    const follow = query.get('follow') === 'true';
    const timestamps = query.get('timestamps') === 'true';
    const tail = query.get('tailLines');
    const sinceSeconds = query.get('sinceSeconds');
    const sinceTime = query.get('sinceTime');
    const limitBytes = Number(query.get('limitBytes') ?? 0);
    if (sinceSeconds && sinceTime)
      throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
    if (sinceSeconds !== null && !(Number(sinceSeconds) >= 1)) {
      throw new StatusError(
        422,
        'Invalid',
        `PodLogOptions "${name}" is invalid: sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`,
      );
    }
    if (tail !== null && !(Number(tail) >= 0)) {
      throw new StatusError(
        422,
        'Invalid',
        `PodLogOptions "${name}" is invalid: tailLines: Invalid value: ${tail}: must be greater than or equal to 0`,
      );
    }
    if (!pod.spec?.nodeName) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const cs = ((pod.status?.containerStatuses ?? []) as KObj[]).find((c) => c.name === container);
    const state = cs?.state ?? {};
    const lastTerminated = cs?.lastState?.terminated;
    let running = false;
    if (previous) {
      if (!lastTerminated?.containerID) {
        throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
      }
    } else if (state.running) {
      running = true;
    } else if (state.terminated) {
      // terminated current container: its lines
    } else if (lastTerminated) {
      // waiting after a crash: the last terminated instance's lines
    } else if (state.waiting || !cs) {
      const reason = state.waiting?.reason ?? 'ContainerCreating';
      const why =
        reason === 'ErrImagePull'
          ? "image can't be pulled"
          : reason === 'ImagePullBackOff'
            ? 'trying and failing to pull image'
            : reason;
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
    }
    const usePrevious = previous || (!running && !state.terminated && !!lastTerminated);
    let lines: LogLine[] = [...(this.logs.read(ns, name, container, usePrevious) ?? [])];
    let minTime = -Infinity;
    if (sinceSeconds) minTime = this.now() - Number(sinceSeconds) * 1000;
    if (sinceTime) {
      const t = Date.parse(sinceTime);
      if (Number.isNaN(t))
        throw badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
      minTime = t;
    }
    lines = lines.filter((l) => l.time >= minTime);
    if (tail !== null) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    let written = 0;
    const fmt = (l: LogLine) => `${timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`;
    const write = (l: LogLine): boolean => {
      let s = fmt(l);
      if (limitBytes > 0) {
        if (written >= limitBytes) return false;
        const buf = Buffer.from(s);
        if (written + buf.length > limitBytes) s = buf.subarray(0, limitBytes - written).toString();
      }
      written += Buffer.byteLength(s);
      if (!res.destroyed) res.write(s);
      return limitBytes === 0 || written < limitBytes;
    };
    for (const l of lines) if (!write(l)) break;
    if (!follow || !running || (limitBytes > 0 && written >= limitBytes)) {
      res.end();
      return;
    }
    res.flushHeaders();
    this.state.logStreams.add(res);
    const stop = this.logs.follow(ns, name, container, (l) => {
      if (l === null) {
        stop();
        this.state.logStreams.delete(res);
        if (!res.destroyed) res.end();
        return;
      }
      if (!write(l)) {
        stop();
        this.state.logStreams.delete(res);
        res.end();
      }
    });
    res.on('close', () => {
      stop();
      this.state.logStreams.delete(res);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Proxy

  private serveProxy(req: IncomingMessage, res: ServerResponse, p: ParsedPath, url: URL, body: Buffer): void {
    const parts = (p.name ?? '').split(':');
    if (parts[0] === 'https' || parts[0] === 'http') parts.shift();
    const name = parts[0];
    const portPart = parts[1];
    const ns = p.namespace!;
    let pod: KObj | undefined;
    if (p.r === this.PODS) {
      pod = this.store.get(this.PODS, ns, name);
      if (!pod) throw notFound(this.PODS, name);
    } else {
      const svc = this.store.get(this.SERVICES, ns, name);
      if (!svc) throw notFound(this.SERVICES, name);
      const ep = this.store.get(this.ENDPOINTS, ns, name);
      const addrs = ((ep?.subsets ?? []) as KObj[]).flatMap((s) => (s.addresses ?? []) as KObj[]);
      if (addrs.length === 0) {
        throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
      }
      const pick = addrs[Math.floor(Math.random() * addrs.length)];
      pod = this.store.get(this.PODS, ns, pick.targetRef?.name);
      if (!pod)
        throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    }
    const podName = pod.metadata.name;
    const port =
      portPart && /^\d+$/.test(portPart)
        ? Number(portPart)
        : (((pod.spec?.containers ?? []) as KObj[])
            .flatMap((c) => (c.ports ?? []) as KObj[])
            .find((cp) => !portPart || cp.name === portPart)?.containerPort ?? 80);
    const ip = pod.status?.podIP;
    const base =
      this.state.proxyTargets.get(`${ns}/${podName}:${port}`) ??
      this.state.proxyTargets.get(`${ns}/${podName}`) ??
      this.state.proxyTargets.get(`${ns}/*`) ??
      this.state.proxyTargets.get('*');
    const unreachable = () =>
      new StatusError(
        503,
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${ip ?? '<nil>'}:${port}: connect: connection refused`,
      );
    if (!ip) {
      throw new StatusError(400, 'BadRequest', `pod ${podName} does not have a host assigned`);
    }
    if (!base) throw unreachable();
    const target = new URL(base);
    const subPath = p.subPath ?? '';
    const trailing = url.pathname.endsWith('/') && subPath !== '' ? '/' : '';
    const basePath = target.pathname.replace(/\/$/, '');
    target.pathname = `${basePath}/${subPath}${trailing}`;
    target.search = url.search;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (
        [
          'host',
          'authorization',
          'connection',
          'keep-alive',
          'transfer-encoding',
          'upgrade',
          'proxy-authorization',
        ].includes(k)
      )
        continue;
      headers[k] = v;
    }
    if (body.length) headers['content-length'] = String(body.length);
    const doRequest = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = doRequest(target, { method: req.method, headers }, (up) => {
      const outHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) {
        if (v === undefined || ['connection', 'keep-alive', 'transfer-encoding'].includes(k)) continue;
        outHeaders[k] = v;
      }
      res.writeHead(up.statusCode ?? 502, outHeaders);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) this.sendError(res, unreachable());
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  }

  // ------------------------------------------------------------------------------------------
  // metrics.k8s.io and access reviews

  /** The usage of a pod: what the test set, else a stable synthetic value for running pods. */
  podMetrics(pod: KObj): KObj | undefined {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const set = this.state.metrics.get(key);
    const containers = ((pod.spec?.containers ?? []) as KObj[]).map((c) => c.name as string);
    let usage: ContainerUsage[];
    if (set) {
      usage = set.map((u, i) => ({ ...u, name: u.name ?? containers[i] ?? containers[0] }));
    } else {
      if (pod.status?.phase !== 'Running') return undefined;
      const h = nameHash(key);
      usage = containers.map((name) => ({
        name,
        cpu: `${(10 + (h % 40)) * 1_000_000 + (h % 997)}n`,
        memory: `${(100 + (h % 60)) * 1024}Ki`,
      }));
    }
    return {
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        creationTimestamp: this.store.timestamp(this.now()),
        labels: pod.metadata.labels ?? {},
      },
      timestamp: this.store.timestamp(this.now() - 5000),
      window: '15.01s',
      containers: usage.map((u) => ({ name: u.name, usage: { cpu: u.cpu, memory: u.memory } })),
    };
  }

  /** Node usage: the sum of its pods' usage plus a system share. */
  private nodeMetrics(node: KObj): KObj {
    let cpuNano = 150_000_000;
    let memBytes = 900 * 1024 * 1024;
    for (const pod of this.store.peekList(this.PODS)) {
      if (pod.spec?.nodeName !== node.metadata.name) continue;
      for (const c of (this.podMetrics(pod)?.containers ?? []) as KObj[]) {
        cpuNano += quantityToNumber(c.usage.cpu) * 1e9;
        memBytes += quantityToNumber(c.usage.memory);
      }
    }
    return {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {
        name: node.metadata.name,
        creationTimestamp: this.store.timestamp(this.now()),
        labels: node.metadata.labels ?? {},
      },
      timestamp: this.store.timestamp(this.now() - 5000),
      window: '20.05s',
      usage: { cpu: `${Math.round(cpuNano)}n`, memory: `${Math.round(memBytes / 1024)}Ki` },
    };
  }

  private serveMetrics(res: ServerResponse, method: string, p: ParsedPath, query: URLSearchParams): unknown {
    if (method !== 'GET') throw methodNotAllowed();
    if (p.r.plural === 'nodes') {
      if (p.name) {
        this.checkAccess('get', p);
        const node = this.store.get(this.NODES, undefined, p.name);
        if (!node) {
          throw new StatusError(404, 'NotFound', `nodemetrics.metrics.k8s.io "${p.name}" not found`, {
            name: p.name,
            group: 'metrics.k8s.io',
            kind: 'nodes',
          });
        }
        return this.send(res, 200, this.nodeMetrics(node));
      }
      this.checkAccess('list', p);
      const label = parseLabelSelector(query.get('labelSelector'));
      const items = this.store
        .list(this.NODES)
        .filter((n) => label(n.metadata.labels))
        .map((n) => this.nodeMetrics(n));
      return this.send(res, 200, {
        kind: 'NodeMetricsList',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: {},
        items,
      });
    }
    if (p.name) {
      this.checkAccess('get', p);
      const pod = this.store.get(this.PODS, p.namespace, p.name);
      const m = pod ? this.podMetrics(pod) : undefined;
      if (!m)
        throw new StatusError(
          404,
          'NotFound',
          `podmetrics.metrics.k8s.io "${p.namespace}/${p.name}" not found`,
          { name: `${p.namespace}/${p.name}`, group: 'metrics.k8s.io', kind: 'pods' },
        );
      return this.send(res, 200, m);
    }
    this.checkAccess('list', p);
    const label = parseLabelSelector(query.get('labelSelector'));
    const items = this.store
      .list(this.PODS, p.namespace)
      .filter((o) => label(o.metadata.labels))
      .map((o) => this.podMetrics(o))
      .filter((m): m is KObj => !!m);
    this.send(res, 200, {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items,
    });
  }

  private serveAccessReview(res: ServerResponse, method: string, body: Buffer): void {
    if (method !== 'POST') throw methodNotAllowed();
    let review: KObj;
    try {
      review = isProtobufEnvelope(body)
        ? decodeSelfSubjectAccessReview(body)
        : JSON.parse(body.toString('utf8') || '{}');
    } catch (err) {
      throw badRequest(`error decoding request body: ${(err as Error).message}`);
    }
    const ra = review.spec?.resourceAttributes;
    const nra = review.spec?.nonResourceAttributes;
    if (!ra && !nra) {
      throw new StatusError(
        422,
        'Invalid',
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
    }
    let allowed = true;
    if (ra) {
      allowed = !this.denied(
        ra.verb ?? '',
        ra.group ?? '',
        ra.resource ?? '',
        ra.subresource || undefined,
        ra.namespace || undefined,
        ra.name || undefined,
      );
    }
    this.send(res, 201, {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: review.spec,
      status: allowed ? { allowed: true, reason: 'kube-sim: allowed' } : { allowed: false },
    });
  }
}

/** RFC3339 with nanoseconds, like the kubelet's log timestamps. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity ("250m", "150Mi", "12345678n", "1.5Gi") as a number of base units. */
export function quantityToNumber(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q).trim());
  if (!m) return 0;
  return Number(m[1]) * (SUFFIX[m[2]] ?? 1);
}
