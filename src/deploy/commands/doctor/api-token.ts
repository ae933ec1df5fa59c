/**
 * The worker API token `doctor` sends to /v1/queue: the given token ($PREVIEW_API_TOKEN), else the
 * API token Secret's key (--api-token-secret/--api-token-key, else the environment file's, else the
 * defaults), read by kube/api-token.ts as verify reads it; undefined when the Secret cannot be read
 * or lacks the key (doctor then reports the queue check without a token).
 */
import { API_TOKEN_ENV } from '../../../contract/http.js';
import { readApiTokenSecret } from '../../kube/api-token.js';
import type { KubeClients } from '../../kube/client.js';
import { API_TOKEN_SECRET_NAME } from '../../manifests/labels.js';
import type { DoctorOptions } from './types.js';

export async function resolveToken(
  kube: KubeClients,
  ns: string,
  opts: Pick<DoctorOptions, 'apiToken' | 'apiTokenSecret' | 'apiTokenKey' | 'environment'>,
): Promise<string | undefined> {
  if (opts.apiToken) return opts.apiToken;
  const secretName = opts.apiTokenSecret ?? opts.environment?.apiToken.secretName ?? API_TOKEN_SECRET_NAME;
  const key = opts.apiTokenKey ?? opts.environment?.apiToken.secretKey ?? API_TOKEN_ENV;
  if (!secretName) return undefined;
  return readApiTokenSecret(kube, ns, secretName, key).catch(() => undefined);
}
