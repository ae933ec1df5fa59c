/**
 * The worker API token `doctor` sends to /v1/queue: the given token ($PREVIEW_API_TOKEN), else the
 * API token Secret's key (--api-token-secret/--api-token-key, else the environment file's, else the
 * defaults); undefined when the Secret cannot be read or lacks the key.
 */
import { API_TOKEN_ENV } from '../../../contract/http.js';
import type { KubeClients } from '../../kube/client.js';
import { getSecret } from '../../kube/resources/core.js';
import type { DoctorOptions } from './types.js';

const DEFAULT_API_TOKEN_SECRET = 'preview-worker-api-token';

export async function resolveToken(
  kube: KubeClients,
  ns: string,
  opts: Pick<DoctorOptions, 'apiToken' | 'apiTokenSecret' | 'apiTokenKey' | 'environment'>,
): Promise<string | undefined> {
  if (opts.apiToken) return opts.apiToken;
  const secretName = opts.apiTokenSecret ?? opts.environment?.apiToken.secretName ?? DEFAULT_API_TOKEN_SECRET;
  const key = opts.apiTokenKey ?? opts.environment?.apiToken.secretKey ?? API_TOKEN_ENV;
  if (!secretName) return undefined;
  try {
    const s = await getSecret(kube, ns, secretName);
    const v = s?.data?.[key];
    return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8').trim() : undefined;
  } catch {
    return undefined;
  }
}
