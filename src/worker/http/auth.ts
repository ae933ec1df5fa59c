/**
 * Bearer-token check for `/v1/*`. The comparison hashes both sides to a fixed length first, so
 * `timingSafeEqual` runs in constant time whatever the presented token's length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

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
