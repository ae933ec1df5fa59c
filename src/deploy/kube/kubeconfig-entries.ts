/**
 * A kubeconfig file's `clusters`, `users` and `contexts` lists turned into @kubernetes/client-node's
 * Cluster, User and Context shapes, with the library's own rules and messages (its
 * config_types.js, which the package does not export): a missing name, cluster or server throws.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Context, User } from '@kubernetes/client-node';

type Entry = Record<string, unknown> & { name?: string };
type Fields = Record<string, unknown>;

function entries(list: unknown): Entry[] {
  return Array.isArray(list) ? (list as Entry[]) : [];
}

export function newClusters(list: unknown): Cluster[] {
  return entries(list).map((elt, i) => {
    if (!elt.name) throw new Error(`clusters[${i}].name is missing`);
    const c = elt.cluster as Fields | undefined;
    if (!c) throw new Error(`clusters[${i}].cluster is missing`);
    if (!c.server) throw new Error(`clusters[${i}].cluster.server is missing`);
    return {
      caData: c['certificate-authority-data'],
      caFile: c['certificate-authority'],
      name: elt.name,
      server: String(c.server).replace(/\/$/, ''),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: c['tls-server-name'],
      proxyUrl: c['proxy-url'],
    } as Cluster;
  });
}

function findToken(user: Fields | undefined): string | undefined {
  if (user?.token) return user.token as string;
  if (user?.['token-file']) return readFileSync(user['token-file'] as string).toString();
  return undefined;
}

export function newUsers(list: unknown): User[] {
  return entries(list).map((elt, i) => {
    if (!elt.name) throw new Error(`users[${i}].name is missing`);
    const u = elt.user as Fields | undefined;
    return {
      authProvider: u ? u['auth-provider'] : null,
      certData: u ? u['client-certificate-data'] : null,
      certFile: u ? u['client-certificate'] : null,
      exec: u ? u.exec : null,
      keyData: u ? u['client-key-data'] : null,
      keyFile: u ? u['client-key'] : null,
      name: elt.name,
      token: findToken(u),
      password: u ? u.password : null,
      username: u ? u.username : null,
      impersonateUser: u ? u.as : null,
    } as User;
  });
}

export function newContexts(list: unknown): Context[] {
  return entries(list).map((elt, i) => {
    if (!elt.name) throw new Error(`contexts[${i}].name is missing`);
    const c = elt.context as Fields | undefined;
    if (!c) throw new Error(`contexts[${i}].context is missing`);
    if (!c.cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
    return {
      cluster: c.cluster,
      name: elt.name,
      user: c.user || undefined,
      namespace: c.namespace || undefined,
    } as Context;
  });
}
