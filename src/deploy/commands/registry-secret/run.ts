/**
 * `registry-secret rotate`: writes the image pull Secret for GHCR (type
 * `kubernetes.io/dockerconfigjson`) from a token held in an environment variable, stamps the rotation
 * time, and reads the Secret back to check that it is well-formed.
 *
 * Secrecy: the token is read from the environment only (never a flag value), is never printed, and
 * never appears in an error message or its cause chain (`scrubSecrets` removes it, and the forms it
 * takes inside the Secret, from every error this action lets through).
 */

import type { V1Secret } from '@kubernetes/client-node';
import { ConfigError, isCliError, UsageError } from '../../errors.js';
import { maskSecrets } from '../../image/docker.js';
import {
  checkPullSecret,
  DOCKERCONFIGJSON_KEY,
  DOCKERCONFIGJSON_TYPE,
  MAX_AGE_ANNOTATION,
  ROTATED_AT_ANNOTATION,
  ROTATED_BY_ANNOTATION,
  type SecretCheck,
} from '../../image/pull-secret.js';
import type { KubeClients } from '../../kube/client.js';
import { KubeApiError } from '../../kube/errors.js';
import { createSecret, getSecret, replaceSecret } from '../../kube/resources/core.js';
import { MANAGED_BY } from '../../manifests/labels.js';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Prefixes of GitHub tokens: a value like this passed as --from-env is a token, not a name. */
const TOKEN_PREFIX_RE = /^(ghp_|gho_|ghu_|ghs_|ghr_|github_pat_)/;

/** Reads the token from the named environment variable; never echoes a value in errors. */
export function readTokenFromEnv(name: string, env: NodeJS.ProcessEnv): string {
  if (TOKEN_PREFIX_RE.test(name) || !ENV_NAME_RE.test(name)) {
    throw new UsageError(
      '--from-env takes the NAME of an environment variable that holds the token (for example GHCR_TOKEN), not the token itself.',
      {
        hint: 'Run: GHCR_TOKEN=... mobius-deploy registry-secret rotate --from-env GHCR_TOKEN (and revoke a token that was typed on a command line).',
      },
    );
  }
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    // Variable names are conventionally upper case; anything else may be a mistyped token: never echo it.
    const shown = /^[A-Z_][A-Z0-9_]*$/.test(name)
      ? `Environment variable ${name}`
      : 'The environment variable named by --from-env';
    throw new ConfigError(
      `${shown} (from --from-env) is ${value === undefined ? 'not set' : 'empty'}; there is no token to store.`,
      {
        hint: 'Export the GHCR token (a PAT with read:packages) in that variable, for example from your secret store, and run again.',
      },
    );
  }
  const token = value.trim();
  if (/[\s:]/.test(token)) {
    throw new ConfigError(
      `The value of ${name} contains whitespace or ':'; it does not look like a registry token.`,
    );
  }
  return token;
}

/** The .dockerconfigjson document for one registry. */
export function dockerConfigJson(server: string, username: string, token: string): string {
  const auth = Buffer.from(`${username}:${token}`).toString('base64');
  return JSON.stringify({ auths: { [server]: { username, password: token, auth } } });
}

/** Removes every form of the secret values from a text. */
export function scrubSecrets(text: string, secrets: string[]): string {
  return maskSecrets(text, secrets, '[REDACTED]');
}

export interface RotateInput {
  namespace: string;
  name: string;
  server: string;
  username: string;
  token: string;
  actor: string;
  maxAgeDays: number;
  now: () => number;
}

export interface RotateResult {
  namespace: string;
  name: string;
  server: string;
  username: string;
  /** created: there was no Secret; rotated: an existing one was replaced. */
  action: 'created' | 'rotated';
  rotatedAt: string;
  rotatedBy: string;
  previousRotatedAt?: string;
  maxAgeDays: number;
  nextDueAt: string;
  verified: boolean;
  checks: SecretCheck[];
}

export async function rotateRegistrySecret(kube: KubeClients, input: RotateInput): Promise<RotateResult> {
  const secretForms = [
    input.token,
    Buffer.from(`${input.username}:${input.token}`).toString('base64'),
    Buffer.from(dockerConfigJson(input.server, input.username, input.token)).toString('base64'),
  ];
  try {
    return await rotate(kube, input);
  } catch (err) {
    throw scrubError(err, secretForms);
  }
}

function scrubError(err: unknown, secrets: string[]): unknown {
  if (!(err instanceof Error)) return new Error(scrubSecrets(String(err), secrets));
  err.message = scrubSecrets(err.message, secrets);
  if (err.stack) err.stack = scrubSecrets(err.stack, secrets);
  if (isCliError(err) && err.hint) (err as { hint?: string }).hint = scrubSecrets(err.hint, secrets);
  // The cause chain (printed with -v) may hold a request body: keep only its scrubbed message.
  if (err.cause !== undefined) {
    const c = err.cause;
    (err as { cause?: unknown }).cause = new Error(
      scrubSecrets(c instanceof Error ? c.message : String(c), secrets),
    );
  }
  return err;
}

async function rotate(kube: KubeClients, input: RotateInput): Promise<RotateResult> {
  const rotatedMs = input.now();
  const rotatedAt = new Date(rotatedMs).toISOString();
  const data = {
    [DOCKERCONFIGJSON_KEY]: Buffer.from(dockerConfigJson(input.server, input.username, input.token)).toString(
      'base64',
    ),
  };
  const annotations = {
    [ROTATED_AT_ANNOTATION]: rotatedAt,
    [ROTATED_BY_ANNOTATION]: input.actor,
    [MAX_AGE_ANNOTATION]: String(input.maxAgeDays),
  };
  let action: RotateResult['action'] = 'rotated';
  let previousRotatedAt: string | undefined;
  for (let attempt = 1; ; attempt++) {
    let existing: V1Secret | undefined;
    try {
      existing = await getSecret(kube, input.namespace, input.name);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
      existing = undefined;
    }
    try {
      if (!existing) {
        action = 'created';
        await createSecret(kube, input.namespace, {
          apiVersion: 'v1',
          kind: 'Secret',
          type: DOCKERCONFIGJSON_TYPE,
          metadata: {
            name: input.name,
            namespace: input.namespace,
            labels: { 'app.kubernetes.io/managed-by': MANAGED_BY },
            annotations,
          },
          data,
        });
      } else {
        if (existing.type && existing.type !== DOCKERCONFIGJSON_TYPE) {
          throw new ConfigError(
            `Secret ${input.name} in ${input.namespace} exists with type ${existing.type}; a pull secret must be ${DOCKERCONFIGJSON_TYPE} and the type cannot be changed.`,
            {
              hint: `Choose another --name, or delete it first (kubectl delete secret ${input.name} -n ${input.namespace}) if nothing else uses it.`,
            },
          );
        }
        action = 'rotated';
        previousRotatedAt = existing.metadata?.annotations?.[ROTATED_AT_ANNOTATION];
        await replaceSecret(kube, input.namespace, input.name, {
          ...existing,
          type: DOCKERCONFIGJSON_TYPE,
          metadata: {
            ...existing.metadata,
            labels: {
              ...(existing.metadata?.labels ?? {}),
              'app.kubernetes.io/managed-by': MANAGED_BY,
            },
            annotations: { ...(existing.metadata?.annotations ?? {}), ...annotations },
          },
          data,
          stringData: undefined,
        });
      }
      break;
    } catch (err) {
      // 409: someone wrote in between (or created it first); re-read and write again.
      if (err instanceof KubeApiError && err.statusCode === 409 && attempt < 4) continue;
      throw err;
    }
  }
  const stored = await getSecret(kube, input.namespace, input.name);
  const checks = checkPullSecret(stored, {
    server: input.server,
    username: input.username,
    token: input.token,
  });
  const stamped = stored?.metadata?.annotations?.[ROTATED_AT_ANNOTATION] === rotatedAt;
  checks.push({
    name: 'rotation stamp',
    ok: stamped,
    detail: stamped ? `${ROTATED_AT_ANNOTATION}=${rotatedAt}` : `${ROTATED_AT_ANNOTATION} was not stored`,
  });
  return {
    namespace: input.namespace,
    name: input.name,
    server: input.server,
    username: input.username,
    action,
    rotatedAt,
    rotatedBy: input.actor,
    ...(previousRotatedAt ? { previousRotatedAt } : {}),
    maxAgeDays: input.maxAgeDays,
    nextDueAt: new Date(rotatedMs + input.maxAgeDays * 86_400_000).toISOString(),
    verified: checks.every((c) => c.ok),
    checks,
  };
}
