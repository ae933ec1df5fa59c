/**
 * The HTTP front of the simulator: the request handler and its routing, in this order: request
 * log, injected faults (faults.ts), health, authentication (the bearer token), discovery
 * (discovery.ts), metrics.k8s.io (metrics.ts), SelfSubjectAccessReview and RBAC denials
 * (rbac.ts), pod logs (logs.ts), the pod/service proxy (proxy.ts), and generic REST with the
 * status and scale subresources (rest.ts, list.ts, watch.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Api } from '../api.js';
import type { LogBook } from '../logs.js';
import { findResource, type ResourceDef } from '../resources.js';
import {
  internalError,
  type KObj,
  methodNotAllowed,
  pathNotFound,
  StatusError,
  unauthorized,
} from '../status.js';
import type { Store } from '../store.js';
import { type ServerContext, sendError } from './context.js';
import { serveDiscovery } from './discovery.js';
import { applyFaults } from './faults.js';
import { serveLogs } from './logs.js';
import { podMetrics, serveMetrics } from './metrics.js';
import { parseResourcePath, segmentsOf } from './paths.js';
import { serveProxy } from './proxy.js';
import { checkAccess, denied, serveAccessReview } from './rbac.js';
import { serveRest } from './rest.js';
import type { ServerState } from './types.js';

export { rfc3339Nano } from './logs.js';
export { quantityToNumber } from './metrics.js';
export type { ContainerUsage, DenyRule, FaultRule, ServerState } from './types.js';

const PODS = findResource('', 'v1', 'pods')!;
const SERVICES = findResource('', 'v1', 'services')!;

export class SimServer {
  private host = '127.0.0.1';
  private readonly ctx: ServerContext;
  /** metrics.k8s.io is served only while enabled. */
  private served = (r: ResourceDef) => r.group !== 'metrics.k8s.io' || this.state.metricsEnabled;

  constructor(
    store: Store,
    api: Api,
    logs: LogBook,
    readonly state: ServerState,
    now: () => number,
  ) {
    this.ctx = { store, api, logs, state, now, served: this.served };
  }

  setHost(host: string): void {
    this.host = host;
  }

  /** The request handler for node:http. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.dispatch(req, res, Buffer.concat(chunks)).catch((err) => {
        sendError(res, err instanceof StatusError ? err : internalError((err as Error).message));
      });
    });
    req.on('error', () => {});
  };

  /** True when a deny rule matches. */
  denied(
    verb: string,
    group: string,
    plural: string,
    sub: string | undefined,
    namespace?: string,
    name?: string,
  ): boolean {
    return denied(this.state, verb, group, plural, sub, namespace, name);
  }

  /** The usage of a pod: what the test set, else a stable synthetic value for running pods. */
  podMetrics(pod: KObj): KObj | undefined {
    return podMetrics(this.ctx, pod);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<unknown> {
    const { state } = this;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    const query = url.searchParams;
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: ServerState['requestLog'][number] = { method, path: pathname, query: url.search.slice(1) };
    state.requestLog.push(entry);
    if (state.requestLog.length > 20000) state.requestLog.splice(0, 10000);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    if (await applyFaults(state, req, res, pathname, url.search.slice(1))) return;
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
    if (auth !== undefined ? auth !== `Bearer ${state.token}` : state.requireToken) throw unauthorized();
    const segs = segmentsOf(pathname);
    if (serveDiscovery(res, pathname, segs, this.served, this.host)) return;
    const p = parseResourcePath(segs, this.served);
    if (!p) throw pathNotFound();
    if (p.r.group === 'metrics.k8s.io') return serveMetrics(this.ctx, res, method, p, query);
    if (p.r.plural === 'selfsubjectaccessreviews') return serveAccessReview(state, res, method, body);
    if (p.namespace !== undefined && p.r.plural === 'namespaces') throw pathNotFound();
    if (p.sub === 'log' && p.r === PODS) {
      if (method !== 'GET') throw methodNotAllowed();
      checkAccess(state, 'get', p);
      return serveLogs(this.ctx, res, p.namespace!, p.name!, query);
    }
    if (p.sub === 'proxy' && (p.r === PODS || p.r === SERVICES)) {
      const verb =
        { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[
          method
        ] ?? 'get';
      const [rawName] = (p.name ?? '').split(':').filter((x) => x !== 'http' && x !== 'https');
      checkAccess(state, verb, { ...p, name: rawName });
      return serveProxy(this.ctx, req, res, p, url, body);
    }
    if (p.sub && !p.r.subresources.includes(p.sub)) throw pathNotFound();
    if (p.sub && !['status', 'scale'].includes(p.sub)) throw methodNotAllowed();
    return serveRest(this.ctx, req, res, method, p, query, body);
  }
}
