/**
 * Kubeconfig resolution, the way kubectl does it:
 *   1. --kubeconfig FILE
 *   2. $KUBECONFIG: a list of files (':' separated, ';' on Windows), merged with kubectl's rules
 *      (the first file to define a cluster/user/context name wins; the first current-context wins;
 *      missing files are skipped)
 *   3. ~/.kube/config
 *   4. in-cluster: $KUBERNETES_SERVICE_HOST/PORT and the service account token and CA under
 *      /var/run/secrets/kubernetes.io/serviceaccount
 * --context picks a context (else the current-context).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { ConfigError } from '../errors.js';
import type { RetryPolicy } from './errors.js';
import { newClusters, newContexts, newUsers } from './kubeconfig-entries.js';

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

/**
 * resolveKubeConfig with js-yaml, the parser @kubernetes/client-node itself uses (and ~8x quicker
 * to load than `yaml`), loaded on first use. The CLI resolves once per run: for the context's
 * namespace (cli/global-options.ts) and for the clients (client.ts createKubeClients).
 */
export async function loadKubeConfig(options: KubeClientOptions): Promise<ResolvedKubeConfig> {
  const { load } = await import('js-yaml');
  return resolveKubeConfig(options, (s) => load(s));
}
