/**
 * The pod and service proxy (`pods/NAME[:PORT]/proxy/...`, `services/NAME:PORT/proxy/...`): the
 * request is forwarded to the URL a test set for the pod, so a real process can stand behind a
 * simulated pod; 503 like the API server when nothing is set or the service has no endpoints.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { findResource } from '../resources.js';
import { type KObj, notFound, StatusError } from '../status.js';
import { type ParsedPath, type ServerContext, sendError } from './context.js';

const PODS = findResource('', 'v1', 'pods')!;
const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;

export function serveProxy(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  p: ParsedPath,
  url: URL,
  body: Buffer,
): void {
  const { store, state } = ctx;
  const parts = (p.name ?? '').split(':');
  if (parts[0] === 'https' || parts[0] === 'http') parts.shift();
  const name = parts[0];
  const portPart = parts[1];
  const ns = p.namespace!;
  let pod: KObj | undefined;
  if (p.r === PODS) {
    pod = store.get(PODS, ns, name);
    if (!pod) throw notFound(PODS, name);
  } else {
    const svc = store.get(SERVICES, ns, name);
    if (!svc) throw notFound(SERVICES, name);
    const ep = store.get(ENDPOINTS, ns, name);
    const addrs = ((ep?.subsets ?? []) as KObj[]).flatMap((s) => (s.addresses ?? []) as KObj[]);
    if (addrs.length === 0) {
      throw new StatusError(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    }
    const pick = addrs[Math.floor(Math.random() * addrs.length)];
    pod = store.get(PODS, ns, pick.targetRef?.name);
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
    state.proxyTargets.get(`${ns}/${podName}:${port}`) ??
    state.proxyTargets.get(`${ns}/${podName}`) ??
    state.proxyTargets.get(`${ns}/*`) ??
    state.proxyTargets.get('*');
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
    if (!res.headersSent) sendError(res, unreachable());
    else res.destroy();
  });
  res.on('close', () => upstream.destroy());
  upstream.end(body);
}
