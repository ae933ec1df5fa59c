/**
 * The cluster transport, over a configuration resolved from kubeconfig (kube/kubeconfig.ts): a
 * small JSON client on node:http(s) with keep-alive, timeouts and retries of idempotent requests,
 * and streaming GETs (log follow, watches) on their own agent. Every read and write of the toolkit
 * goes through it; @kubernetes/client-node is not loaded for them, because loading it costs
 * ~400 ms and `status` must stay within 1.5x of kubectl. Static credentials (token, token file,
 * client certificates, basic auth) are applied directly; for exec plugins, auth providers and
 * proxies the library's KubeConfig (loaded lazily) supplies the headers and agent, so every
 * kubeconfig the library supports works here too. Resources are read and written through the
 * typed functions in kube/resources/.
 * Errors: unreachable, 401, 403 and a missing namespace become CliErrors (kube/errors.ts);
 * other HTTP errors are KubeApiError with the Status object.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../errors.js';
import { redactUrl } from '../output/redact-url.js';
import {
  DEFAULT_RETRY,
  isRetryable,
  KubeApiError,
  mapKubeError,
  parseStatusBody,
  retryAfterSeconds,
  withRetry,
} from './errors.js';
import { type KubeClientOptions, loadKubeConfig, type ResolvedKubeConfig } from './kubeconfig.js';
import { describePath } from './resources/paths.js';

/**
 * node:https (with tls and crypto), loaded on first use: a plain-http API server (a local proxy such
 * as `kubectl proxy`, the simulator) never needs it, and it costs a few ms of every start.
 */
const httpsModule = (): typeof https => process.getBuiltinModule('node:https');

export interface KubeRequest {
  method?: string;
  /** API path, e.g. /api/v1/namespaces/ns/pods */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Content type of body (JSON by default; set for merge/apply patches). */
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Retry attempts (default: 4 for GET/HEAD, 1 otherwise). */
  attempts?: number;
  /** Which failures to retry (default kube/errors isRetryable). */
  shouldRetry?: (err: unknown) => boolean;
}

export interface KubeResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type KubeLibrary = typeof import('@kubernetes/client-node');

/** The clients for one resolved kubeconfig context. Create with `createKubeClients`. */
export class KubeClients {
  readonly config: ResolvedKubeConfig;
  readonly server: URL;
  private readonly options: KubeClientOptions;
  private agent?: http.Agent;
  private streams?: http.Agent;
  private delegated: boolean;
  private library?: Promise<KubeLibrary>;
  private libraryConfig?: Promise<KubeConfig>;

  constructor(config: ResolvedKubeConfig, options: KubeClientOptions = {}) {
    this.config = config;
    this.options = options;
    try {
      this.server = new URL(config.cluster.server);
    } catch {
      throw new ConfigError(
        `Cluster "${config.cluster.name}" has an invalid server URL: ${redactUrl(config.cluster.server)}`,
      );
    }
    const u = config.user;
    const tokenFileProvider = u.authProvider?.name === 'tokenFile';
    this.delegated = Boolean(u.exec || (u.authProvider && !tokenFileProvider) || config.cluster.proxyUrl);
  }

  /** Context name and server, for messages. */
  get target(): { server: string; context: string } {
    return {
      server: redactUrl(this.config.cluster.server.replace(/\/+$/, '')),
      context: this.config.currentContext,
    };
  }

  /** @kubernetes/client-node, loaded on first use. */
  lib(): Promise<KubeLibrary> {
    this.library ??= import('@kubernetes/client-node');
    return this.library;
  }

  /** A @kubernetes/client-node KubeConfig for the same clusters/users/contexts and context. */
  kubeConfig(): Promise<KubeConfig> {
    this.libraryConfig ??= this.lib().then((k8s) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: this.config.clusters,
        users: this.config.users,
        contexts: this.config.contexts,
        currentContext: this.config.currentContext,
      });
      return kc;
    });
    return this.libraryConfig;
  }

  /** Map an error from either transport to a CliError where one applies (unreachable/401/403/namespace). */
  mapError(err: unknown, request?: { verb?: string; resource?: string; namespace?: string }): Error {
    return mapKubeError(err, this.target, request);
  }

  /** withRetry with this client's retry policy, for idempotent library calls. */
  retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { ...DEFAULT_RETRY, ...this.options.retry, onRetry: this.onRetry });
  }

  private onRetry = (err: unknown, attempt: number, delayMs: number) => {
    this.options.debug?.(
      `retrying after ${(err as Error).message} (attempt ${attempt}, waiting ${Math.round(delayMs)} ms)`,
    );
  };

  private readFileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (file) return readFileSync(file);
    if (data) return Buffer.from(data, 'base64');
    return undefined;
  }

  /** The keep-alive agent for JSON requests (at most 32 sockets). */
  private staticAgent(): http.Agent {
    this.agent ??= this.newAgent(32);
    return this.agent;
  }

  /** The agent for long-lived streams (follow, watch): no socket limit, so they never hold up JSON requests. */
  private streamAgent(): http.Agent {
    this.streams ??= this.newAgent(undefined);
    return this.streams;
  }

  private newAgent(maxSockets: number | undefined): http.Agent {
    const c = this.config.cluster;
    const u = this.config.user;
    if (this.server.protocol === 'http:') return new http.Agent({ keepAlive: true, maxSockets });
    let ca: Buffer | undefined;
    let cert: Buffer | undefined;
    let key: Buffer | undefined;
    try {
      ca = this.readFileOrData(c.caFile, c.caData);
      cert = this.readFileOrData(u.certFile, u.certData);
      key = this.readFileOrData(u.keyFile, u.keyData);
    } catch (err) {
      throw new ConfigError(
        `Cannot read a certificate file named in the kubeconfig: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new (httpsModule().Agent)({
      keepAlive: true,
      maxSockets,
      ca,
      cert,
      key,
      rejectUnauthorized: !c.skipTLSVerify,
      servername: c.tlsServerName,
    });
  }

  private async authFor(stream = false): Promise<{ agent: http.Agent; headers: Record<string, string> }> {
    const ownAgent = () => (stream ? this.streamAgent() : this.staticAgent());
    const u = this.config.user;
    if (this.delegated) {
      const kc = await this.kubeConfig();
      const opts: https.RequestOptions = { headers: {} };
      try {
        await kc.applyToHTTPSOptions(opts);
      } catch (err) {
        throw new ConfigError(
          `Cannot get credentials for context ${this.config.currentContext} (user ${u.name}): ${(err as Error).message}`,
          {
            hint: 'Check the exec plugin or auth provider in your kubeconfig (try `kubectl get ns` with the same context).',
            cause: err,
          },
        );
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      return { agent: (opts.agent as http.Agent) ?? ownAgent(), headers };
    }
    const headers: Record<string, string> = {};
    let token = u.token;
    if (!token && u.authProvider?.name === 'tokenFile') {
      try {
        token = readFileSync(u.authProvider.config.tokenFile, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(`Cannot read the service account token: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    if (token) headers.Authorization = `Bearer ${token.trim()}`;
    else if (u.username)
      headers.Authorization = `Basic ${Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64')}`;
    if (u.impersonateUser) headers['Impersonate-User'] = u.impersonateUser;
    return { agent: ownAgent(), headers };
  }

  private urlFor(path: string, query?: KubeRequest['query']): URL {
    const base = this.server.pathname.replace(/\/+$/, '');
    const url = new URL(this.server.origin + base + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private once(req: KubeRequest, method: string): Promise<KubeResponse> {
    return this.authFor().then(
      ({ agent, headers }) =>
        new Promise<KubeResponse>((resolve, reject) => {
          const url = this.urlFor(req.path, req.query);
          const payload =
            req.body === undefined
              ? undefined
              : Buffer.isBuffer(req.body)
                ? req.body
                : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
          const allHeaders: Record<string, string> = {
            Accept: 'application/json',
            'User-Agent': 'mobius-deploy',
            ...headers,
            ...req.headers,
          };
          if (payload) {
            allHeaders['Content-Type'] = req.contentType ?? 'application/json';
            allHeaders['Content-Length'] = String(payload.length);
          }
          const mod = url.protocol === 'http:' ? http : httpsModule();
          const r = mod.request(url, { method, agent, headers: allHeaders }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (!res.complete) {
                reject(
                  Object.assign(new Error('connection closed before the response was complete'), {
                    code: 'ECONNRESET',
                  }),
                );
                return;
              }
              resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
            });
            res.on('error', reject);
            res.on('aborted', () =>
              reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })),
            );
          });
          const timeout = req.timeoutMs ?? this.options.requestTimeoutMs ?? 20_000;
          r.setTimeout(timeout, () => {
            r.destroy(
              Object.assign(new Error(`request timed out after ${timeout} ms`), { code: 'REQUEST_TIMEOUT' }),
            );
          });
          r.on('error', reject);
          r.end(payload);
        }),
    );
  }

  /**
   * One API request, retried when idempotent. Resolves with any HTTP status; rejects on network
   * failure (after retries). Use getJson/requestJson unless you need the raw status.
   */
  async request(req: KubeRequest): Promise<KubeResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD';
    const attempts =
      req.attempts ?? (idempotent ? (this.options.retry?.attempts ?? DEFAULT_RETRY.attempts) : 1);
    const shouldRetry = req.shouldRetry ?? isRetryable;
    const statusAsError = async () => {
      const res = await this.once(req, method);
      if (
        res.statusCode >= 300 &&
        shouldRetry(new KubeApiError(res.statusCode, undefined, describePath(method, req.path))) &&
        attempts > 1
      ) {
        throw new KubeApiError(
          res.statusCode,
          parseStatusBody(res.body),
          describePath(method, req.path),
          retryAfterSeconds(res.headers),
        );
      }
      return res;
    };
    const debug = this.options.debug;
    const t0 = debug ? performance.now() : 0;
    try {
      const res = await withRetry(statusAsError, {
        ...DEFAULT_RETRY,
        ...this.options.retry,
        attempts,
        shouldRetry,
        onRetry: this.onRetry,
      });
      debug?.(
        `${method} ${req.path} → ${res.statusCode} in ${Math.round(performance.now() - t0)} ms (at ${Math.round(performance.now())} ms)`,
      );
      return res;
    } catch (err) {
      if (err instanceof KubeApiError) {
        // Retries exhausted on a retryable status: surface it as the response it was.
        return {
          statusCode: err.statusCode,
          headers: {},
          body: Buffer.from(JSON.stringify(err.status ?? {})),
        };
      }
      throw this.mapError(err, describePath(method, req.path));
    }
  }

  /** A JSON request; non-2xx → CliError (401/403/missing namespace) or KubeApiError. */
  async requestJson<T>(req: KubeRequest): Promise<T> {
    const method = (req.method ?? 'GET').toUpperCase();
    const res = await this.request(req);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const err = new KubeApiError(
        res.statusCode,
        parseStatusBody(res.body),
        describePath(method, req.path),
        retryAfterSeconds(res.headers),
      );
      throw this.mapError(err);
    }
    if (res.body.length === 0) return undefined as T;
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new Error(`The API server returned invalid JSON for ${method} ${req.path}`);
    }
  }

  /** GET a JSON object/list, retried on 429/5xx/dropped connections. */
  getJson<T>(path: string, query?: KubeRequest['query'], extra: Partial<KubeRequest> = {}): Promise<T> {
    return this.requestJson<T>({ ...extra, method: 'GET', path, query });
  }

  /**
   * A streaming GET (container logs with follow, watches) with the URL, credentials and TLS of
   * `request`, on the stream agent. The request is returned unsent: the caller attaches its
   * `response`/`error` handlers, then calls `end()`. No timeout is set.
   */
  async streamRequest(path: string, query?: KubeRequest['query']): Promise<http.ClientRequest> {
    const { agent, headers } = await this.authFor(true);
    const url = this.urlFor(path, query);
    const mod = url.protocol === 'http:' ? http : httpsModule();
    return mod.request(url, {
      method: 'GET',
      agent,
      headers: { Accept: '*/*', 'User-Agent': 'mobius-deploy', ...headers },
    });
  }

  /** Release the sockets of streams opened with `streamRequest`. */
  closeStreams(): void {
    this.streams?.destroy();
    this.streams = undefined;
  }

  /** Release sockets so the process can exit promptly. */
  close(): void {
    this.agent?.destroy();
    this.closeStreams();
  }
}

/**
 * Resolve the kubeconfig (kubeconfig.ts loadKubeConfig; or take one the caller already resolved
 * with the same options) and create the clients.
 */
export async function createKubeClients(
  options: KubeClientOptions = {},
  resolved?: ResolvedKubeConfig,
): Promise<KubeClients> {
  const config = resolved ?? (await loadKubeConfig(options));
  return new KubeClients(config, options);
}
