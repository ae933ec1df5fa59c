/**
 * The cluster client. Kubeconfig is found the way kubectl finds it:
 *   1. --kubeconfig FILE
 *   2. $KUBECONFIG: a list of files (':' separated, ';' on Windows), merged with kubectl's rules
 *      (the first file to define a cluster/user/context name wins; the first current-context wins;
 *      missing files are skipped)
 *   3. ~/.kube/config
 *   4. in-cluster: $KUBERNETES_SERVICE_HOST/PORT and the service account token and CA under
 *      /var/run/secrets/kubernetes.io/serviceaccount
 * --context picks a context (else the current-context).
 *
 * Two ways to talk to the API, over the same resolved configuration:
 * - `request`/`getJson`: a small JSON transport on node:http(s) with keep-alive, timeouts and
 *   retries of idempotent requests. Used for reads (status, verify), because loading
 *   @kubernetes/client-node costs ~400 ms and `status` must stay within 1.5x of kubectl.
 *   Static credentials (token, token file, client certificates, basic auth) are applied directly;
 *   for exec plugins, auth providers and proxies the library's KubeConfig supplies the headers
 *   and agent (loaded lazily), so every kubeconfig the library supports works here too.
 * - `core()`, `apps()`, `api(Ctor)`, `kubeConfig()`: @kubernetes/client-node's generated clients,
 *   created lazily, for writes, watches, logs and server-side apply.
 * Errors: unreachable, 401, 403 and a missing namespace become CliErrors (kube/errors.ts);
 * other HTTP errors are KubeApiError with the Status object.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type {
  ApiConstructor,
  AppsV1Api,
  AutoscalingV2Api,
  Cluster,
  Context,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  User,
} from '@kubernetes/client-node';
import { newClusters, newContexts, newUsers } from '@kubernetes/client-node/dist/config_types.js';
import { ConfigError } from '../errors.js';
import {
  DEFAULT_RETRY,
  describePath,
  isRetryable,
  KubeApiError,
  mapKubeError,
  parseStatusBody,
  type RetryPolicy,
  withRetry,
} from './errors.js';

/**
 * node:https (with tls and crypto), loaded on first use: a plain-http API server (a local proxy such
 * as `kubectl proxy`, the simulator) never needs it, and it costs a few ms of every start.
 */
const httpsModule = (): typeof https => process.getBuiltinModule('node:https');

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeClientOptions {
  /** --kubeconfig */
  kubeconfig?: string;
  /** --context */
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** Home directory (for ~/.kube/config); injectable for tests. */
  homeDir?: string;
  /** Where the service account files live (in-cluster); injectable for tests. */
  serviceAccountDir?: string;
  platform?: NodeJS.Platform;
  /** Per-request timeout in ms (default 20 s). */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called for each retried request and each request with -v. */
  debug?: (message: string) => void;
}

/** The configuration the client talks with, resolved from kubeconfig files or the service account. */
export interface ResolvedKubeConfig {
  /** Human description of where it came from: file list or "in-cluster service account". */
  source: string;
  files: string[];
  inCluster: boolean;
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  /** The context in use (after --context). */
  currentContext: string;
  context: Context;
  cluster: Cluster;
  user: User;
}

interface RawKubeconfig {
  clusters?: unknown;
  users?: unknown;
  contexts?: unknown;
  'current-context'?: string;
}

function parseKubeconfigText(text: string, file: string, parseYaml: (s: string) => unknown): RawKubeconfig {
  let doc: unknown;
  try {
    doc = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Kubeconfig ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(
      `Kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users, contexts).`,
    );
  }
  return doc as RawKubeconfig;
}

function absolutize(root: string, file: string | undefined): string | undefined {
  if (!file || isAbsolute(file)) return file;
  return join(root, file);
}

/** Which kubeconfig files apply (kubectl's precedence), or 'in-cluster', or undefined for none. */
export function findKubeconfigFiles(
  options: KubeClientOptions,
): { files: string[]; inCluster: boolean } | undefined {
  const env = options.env ?? process.env;
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) {
      throw new ConfigError(`Kubeconfig file ${options.kubeconfig} (from --kubeconfig) does not exist.`, {
        hint: 'Pass the path of an existing kubeconfig file.',
      });
    }
    return { files: [options.kubeconfig], inCluster: false };
  }
  if (env.KUBECONFIG) {
    const sep = (options.platform ?? process.platform) === 'win32' ? ';' : delimiter === ';' ? ';' : ':';
    const listed = env.KUBECONFIG.split(sep).filter((f) => f.trim() !== '');
    const files = [...new Set(listed)].filter((f) => existsSync(f));
    if (files.length > 0) return { files, inCluster: false };
    throw new ConfigError(`None of the kubeconfig files in $KUBECONFIG exist: ${listed.join(', ')}.`, {
      hint: 'Fix $KUBECONFIG, or unset it to use ~/.kube/config.',
    });
  }
  const home = options.homeDir ?? env.HOME ?? env.USERPROFILE ?? homedir();
  const def = join(home, '.kube', 'config');
  if (existsSync(def)) return { files: [def], inCluster: false };
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(join(saDir, 'token'))) {
    return { files: [], inCluster: true };
  }
  return undefined;
}

/** Resolve kubeconfig → the context, cluster and user to use. Throws ConfigError when it cannot. */
export function resolveKubeConfig(
  options: KubeClientOptions,
  parseYaml: (s: string) => unknown,
): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  const found = findKubeconfigFiles(options);
  if (!found) {
    throw new ConfigError('No kubeconfig found, so there is no cluster to talk to.', {
      hint: 'Pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config (your cloud provider\'s "get credentials" command does), or run inside a cluster.',
    });
  }
  if (found.inCluster) {
    const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    let host = env.KUBERNETES_SERVICE_HOST as string;
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
    const port = env.KUBERNETES_SERVICE_PORT as string;
    const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
    const cluster: Cluster = {
      name: 'inCluster',
      server: `${scheme}://${host}:${port}`,
      caFile: join(saDir, 'ca.crt'),
      skipTLSVerify: false,
    };
    const user: User = {
      name: 'inClusterUser',
      authProvider: { name: 'tokenFile', config: { tokenFile: join(saDir, 'token') } },
    };
    const context: Context = { name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser' };
    if (options.context && options.context !== context.name) {
      throw new ConfigError(
        `Context "${options.context}" not found: running in-cluster, the only context is ${context.name}.`,
      );
    }
    return {
      source: 'in-cluster service account',
      files: [],
      inCluster: true,
      clusters: [cluster],
      users: [user],
      contexts: [context],
      currentContext: context.name,
      context,
      cluster,
      user,
    };
  }

  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current: string | undefined;
  for (const file of found.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
    }
    const raw = parseKubeconfigText(text, file, parseYaml);
    const root = dirname(file);
    try {
      for (const c of newClusters(raw.clusters ?? [])) {
        if (!clusters.has(c.name)) clusters.set(c.name, { ...c, caFile: absolutize(root, c.caFile) });
      }
      for (const u of newUsers(raw.users ?? [])) {
        if (!users.has(u.name))
          users.set(u.name, {
            ...u,
            certFile: absolutize(root, u.certFile),
            keyFile: absolutize(root, u.keyFile),
          });
      }
      for (const c of newContexts(raw.contexts ?? [])) {
        if (!contexts.has(c.name)) contexts.set(c.name, c);
      }
    } catch (err) {
      throw new ConfigError(`Kubeconfig ${file} is invalid: ${(err as Error).message}`, { cause: err });
    }
    if (!current && raw['current-context']) current = raw['current-context'];
  }

  const available = [...contexts.keys()];
  const listing = available.length
    ? `available contexts: ${available.join(', ')}`
    : 'the kubeconfig defines no contexts';
  const contextName = options.context ?? current;
  if (!contextName) {
    throw new ConfigError(
      `The kubeconfig (${found.files.join(', ')}) has no current-context; pass --context (${listing}).`,
    );
  }
  const context = contexts.get(contextName);
  if (!context) {
    throw new ConfigError(
      `Context "${contextName}"${options.context ? ' (from --context)' : ''} not found in ${found.files.join(', ')}; ${listing}.`,
    );
  }
  const cluster = clusters.get(context.cluster);
  if (!cluster) {
    throw new ConfigError(
      `Context "${contextName}" names cluster "${context.cluster}", which the kubeconfig does not define.`,
    );
  }
  const user = users.get(context.user) ?? { name: context.user ?? '' };
  return {
    source: found.files.join(found.files.length > 1 ? ' + ' : ''),
    files: found.files,
    inCluster: false,
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext: contextName,
    context,
    cluster,
    user,
  };
}

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
  private readonly apis = new Map<unknown, Promise<unknown>>();

  constructor(config: ResolvedKubeConfig, options: KubeClientOptions = {}) {
    this.config = config;
    this.options = options;
    try {
      this.server = new URL(config.cluster.server);
    } catch {
      throw new ConfigError(
        `Cluster "${config.cluster.name}" has an invalid server URL: ${config.cluster.server}`,
      );
    }
    const u = config.user;
    const tokenFileProvider = u.authProvider?.name === 'tokenFile';
    this.delegated = Boolean(u.exec || (u.authProvider && !tokenFileProvider) || config.cluster.proxyUrl);
  }

  /** Context name and server, for messages. */
  get target(): { server: string; context: string } {
    return { server: this.config.cluster.server.replace(/\/+$/, ''), context: this.config.currentContext };
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

  /** A generated API client, created once: `await clients.api(k8s.BatchV1Api)`. */
  async api<T extends object>(ctor: ApiConstructor<T>): Promise<T> {
    let p = this.apis.get(ctor) as Promise<T> | undefined;
    if (!p) {
      const created: Promise<T> = this.kubeConfig().then((kc) => kc.makeApiClient<T>(ctor));
      this.apis.set(ctor, created);
      p = created;
    }
    return p;
  }
  async core(): Promise<CoreV1Api> {
    return this.api((await this.lib()).CoreV1Api);
  }
  async apps(): Promise<AppsV1Api> {
    return this.api((await this.lib()).AppsV1Api);
  }
  async autoscaling(): Promise<AutoscalingV2Api> {
    return this.api((await this.lib()).AutoscalingV2Api);
  }
  async customObjects(): Promise<CustomObjectsApi> {
    return this.api((await this.lib()).CustomObjectsApi);
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
          retryAfter(res.headers),
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
        retryAfter(res.headers),
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

function retryAfter(headers: http.IncomingHttpHeaders): number | undefined {
  const v = headers['retry-after'];
  const n = typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Resolve the kubeconfig and create the clients. Kubeconfig YAML is parsed with js-yaml, the
 * parser @kubernetes/client-node itself uses (and ~8x quicker to load than `yaml`).
 */
export async function createKubeClients(options: KubeClientOptions = {}): Promise<KubeClients> {
  const { load } = await import('js-yaml');
  const config = resolveKubeConfig(options, (s) => load(s));
  return new KubeClients(config, options);
}
