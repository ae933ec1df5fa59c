/**
 * The worker's API token for `/v1/*`, as verify (and the guarded change's verify) finds it: the
 * token given (--api-token or $PREVIEW_API_TOKEN), else the key --api-token-key of the Secret
 * --api-token-secret in the namespace. The token is never printed.
 */
import { API_TOKEN_ENV } from '../../contract/http.js';
import { ConfigError } from '../errors.js';
import { isNotFound } from './errors.js';
import { getSecret } from './resources/core.js';
import type { KubeReader } from './resources/reader.js';

export interface ApiTokenSource {
  namespace: string;
  /** The token itself (--api-token, $PREVIEW_API_TOKEN); wins over the Secret. */
  apiToken?: string;
  /** --api-token-secret: read the token from this Secret in the namespace. */
  apiTokenSecret?: string;
  /** --api-token-key: the key inside the Secret (default PREVIEW_API_TOKEN). */
  apiTokenKey?: string;
}

/**
 * The token from the Secret's key (data, base64, else stringData), trimmed. Throws ConfigError when
 * the Secret does not exist or has no such key (naming the keys it has).
 */
export async function readApiTokenSecret(
  kube: KubeReader,
  namespace: string,
  secretName: string,
  key: string = API_TOKEN_ENV,
): Promise<string> {
  let secret: Awaited<ReturnType<typeof getSecret>>;
  try {
    secret = await getSecret(kube, namespace, secretName);
  } catch (err) {
    if (isNotFound(err)) {
      throw new ConfigError(
        `Secret ${secretName} (from --api-token-secret) not found in namespace ${namespace}.`,
      );
    }
    throw err;
  }
  const value = secret?.data?.[key] ?? undefined;
  const plain = secret?.stringData?.[key];
  if (typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8').trim();
  if (typeof plain === 'string') return plain.trim();
  const keys = Object.keys(secret?.data ?? {});
  throw new ConfigError(
    `Secret ${secretName} has no key ${key}${keys.length ? ` (keys: ${keys.join(', ')})` : ''}; choose one with --api-token-key.`,
  );
}

/** The token given, else the one in the Secret, else undefined (no token: /v1 may be open). */
export async function resolveApiToken(kube: KubeReader, source: ApiTokenSource): Promise<string | undefined> {
  if (source.apiToken) return source.apiToken;
  if (!source.apiTokenSecret) return undefined;
  return readApiTokenSecret(
    kube,
    source.namespace,
    source.apiTokenSecret,
    source.apiTokenKey ?? API_TOKEN_ENV,
  );
}
