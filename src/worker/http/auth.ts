/**
 * Bearer-token check for `/v1/*`. The comparison hashes both sides to a fixed length first, so
 * `timingSafeEqual` runs in constant time whatever the presented token's length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { API_TOKEN_ENV, API_TOKEN_HEADER, bearer } from '../../contract/http.js';
import { HttpError } from './respond.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `authorization` is `Bearer <token>` with exactly the expected token. */
export function isAuthorized(authorization: string | undefined, expectedToken: string): boolean {
  if (typeof authorization !== 'string') return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  const presented = m ? m[1]! : '';
  const ok = timingSafeEqual(digest(presented), digest(expectedToken));
  return ok && presented.length > 0;
}

/** node:http's (lower-case) name of the alternative token header. */
const ALT_TOKEN_HEADER = API_TOKEN_HEADER.toLowerCase();

/** Throws the 401 for a request without the expected token (`Authorization` or the alternative header). */
export function requireToken(req: IncomingMessage, apiToken: string): void {
  // X-Preview-Api-Token: the same token for callers behind the Kubernetes API server's pod proxy,
  // which strips Authorization (mobius-deploy verify --smoke sends both).
  const alt = req.headers[ALT_TOKEN_HEADER];
  const authorization = req.headers.authorization ?? (typeof alt === 'string' ? bearer(alt) : undefined);
  if (isAuthorized(authorization, apiToken)) return;
  const presented = authorization !== undefined;
  throw new HttpError(
    401,
    'unauthorized',
    presented
      ? 'the bearer token is not valid'
      : `this API needs a bearer token: send the header "Authorization: ${bearer(`$${API_TOKEN_ENV}`)}"`,
    undefined,
    {
      'WWW-Authenticate': presented
        ? 'Bearer realm="preview-worker", error="invalid_token"'
        : 'Bearer realm="preview-worker"',
    },
  );
}
