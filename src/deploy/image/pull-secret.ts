/**
 * The image pull Secret for the container registry, as `registry-secret rotate` writes it and
 * `doctor` checks it: a `kubernetes.io/dockerconfigjson` Secret whose `.dockerconfigjson` holds an
 * `auths` entry per registry, stamped with when and by whom it was rotated and the rotation policy.
 * The checks never reveal the stored values.
 */
import type { V1Secret } from '@kubernetes/client-node';

export const ROTATED_AT_ANNOTATION = 'mobius.dev/rotated-at';
export const ROTATED_BY_ANNOTATION = 'mobius.dev/rotated-by';
export const MAX_AGE_ANNOTATION = 'mobius.dev/rotation-max-age-days';
export const DOCKERCONFIGJSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKERCONFIGJSON_KEY = '.dockerconfigjson';
export const DEFAULT_PULL_SECRET = 'ghcr-pull';
export const DEFAULT_MAX_TOKEN_AGE_DAYS = 30;

/** One finding about a stored pull Secret. */
export interface SecretCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** One registry's entry in `.dockerconfigjson`, as stored (any JSON). */
interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

/** The parsed `.dockerconfigjson` document (any JSON value; only `auths` is read). */
type DockerConfig = { auths?: Record<string, AuthEntry | undefined> } | null | undefined;

/** Verifies a stored pull Secret without revealing its values. */
export function checkPullSecret(
  secret: V1Secret | undefined,
  expect: { server: string; username?: string; token?: string },
): SecretCheck[] {
  const checks: SecretCheck[] = [];
  checks.push({
    name: 'type',
    ok: secret?.type === DOCKERCONFIGJSON_TYPE,
    detail: `type is ${secret?.type ?? '(none)'}${secret?.type === DOCKERCONFIGJSON_TYPE ? '' : ` (want ${DOCKERCONFIGJSON_TYPE})`}`,
  });
  const raw = secret?.data?.[DOCKERCONFIGJSON_KEY];
  if (typeof raw !== 'string') {
    checks.push({ name: DOCKERCONFIGJSON_KEY, ok: false, detail: `no ${DOCKERCONFIGJSON_KEY} key` });
    return checks;
  }
  let doc: DockerConfig;
  try {
    doc = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as DockerConfig;
    checks.push({ name: DOCKERCONFIGJSON_KEY, ok: true, detail: 'valid JSON' });
  } catch {
    checks.push({ name: DOCKERCONFIGJSON_KEY, ok: false, detail: 'not valid JSON' });
    return checks;
  }
  const entry = doc?.auths?.[expect.server];
  if (!entry || typeof entry !== 'object') {
    checks.push({
      name: 'registry entry',
      ok: false,
      detail: `no auths entry for ${expect.server} (entries: ${Object.keys(doc?.auths ?? {}).join(', ') || 'none'})`,
    });
    return checks;
  }
  checks.push({ name: 'registry entry', ok: true, detail: `auths has ${expect.server}` });
  let decoded = '';
  try {
    decoded = Buffer.from(String(entry.auth ?? ''), 'base64').toString('utf8');
  } catch {
    decoded = '';
  }
  const sep = decoded.indexOf(':');
  const authUser = sep > 0 ? decoded.slice(0, sep) : '';
  const authPass = sep > 0 ? decoded.slice(sep + 1) : '';
  const authOk =
    sep > 0 &&
    authPass.length > 0 &&
    (expect.username === undefined || authUser === expect.username) &&
    (expect.token === undefined || authPass === expect.token) &&
    (entry.username === undefined || entry.username === authUser) &&
    (entry.password === undefined || entry.password === authPass);
  checks.push({
    name: 'auth',
    ok: authOk,
    detail: authOk
      ? `auth decodes to ${authUser}:<token>${expect.token ? ' and matches the token given' : ''}`
      : 'auth does not decode to username:token matching the username and password fields',
  });
  return checks;
}

/** The `auths` of a pull Secret's `.dockerconfigjson` (empty when missing or not JSON). */
export function parseAuths(secret: V1Secret | undefined): Record<string, unknown> {
  try {
    const raw = secret?.data?.[DOCKERCONFIGJSON_KEY];
    return (JSON.parse(Buffer.from(String(raw), 'base64').toString('utf8')) as DockerConfig)?.auths ?? {};
  } catch {
    return {};
  }
}
