/**
 * `doctor`'s image pull secret check: which Secret (--pull-secret, else the Deployment's
 * imagePullSecrets, else the default), whether it is a well-formed dockerconfigjson, and its token
 * age against the rotation policy stamped by `registry-secret rotate`.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { REGISTRY } from '../../image/image.js';
import {
  checkPullSecret,
  DEFAULT_MAX_TOKEN_AGE_DAYS,
  DEFAULT_PULL_SECRET,
  DOCKERCONFIGJSON_TYPE,
  MAX_AGE_ANNOTATION,
  parseAuths,
  ROTATED_AT_ANNOTATION,
  ROTATED_BY_ANNOTATION,
} from '../../image/pull-secret.js';
import type { KubeClients } from '../../kube/client.js';
import { getDeployment } from '../../kube/resources/apps.js';
import { getSecret } from '../../kube/resources/core.js';
import { APP_NAME } from '../../manifests/labels.js';
import { humanDuration } from '../../output/duration.js';
import { failureStatus } from './failure.js';
import type { DoctorCheck, DoctorOptions } from './types.js';

type PullSecretOptions = Pick<DoctorOptions, 'pullSecret' | 'deployment' | 'maxTokenAgeDays' | 'now'>;

async function resolvePullSecretName(
  kube: KubeClients,
  ns: string,
  opts: PullSecretOptions,
): Promise<{ name: string; from: string }> {
  if (opts.pullSecret) return { name: opts.pullSecret, from: '--pull-secret' };
  try {
    const dep = await getDeployment(kube, ns, opts.deployment ?? APP_NAME);
    const name = dep?.spec?.template?.spec?.imagePullSecrets?.[0]?.name;
    if (name) return { name, from: `deployment/${opts.deployment ?? APP_NAME} imagePullSecrets` };
  } catch {
    /* no deployment yet, or not readable: the default */
  }
  return { name: DEFAULT_PULL_SECRET, from: 'default' };
}

export async function checkPullSecretAge(
  kube: KubeClients,
  ns: string,
  opts: PullSecretOptions,
): Promise<DoctorCheck> {
  const { name, from } = await resolvePullSecretName(kube, ns, opts);
  // The token is read without echo and never typed on the command line (shell history).
  const rotate = `\`read -rs GHCR_TOKEN && export GHCR_TOKEN\`, then \`mobius-deploy registry-secret rotate -n ${ns} --from-env GHCR_TOKEN --username <user> --name ${name}\``;
  const check = 'image pull secret';
  let secret: V1Secret;
  try {
    secret = await getSecret(kube, ns, name);
  } catch (err) {
    const code = failureStatus(err);
    if (code === 404) {
      return {
        name: check,
        status: 'fail',
        evidence: `Secret ${name} (${from}) does not exist in ${ns}: pods cannot pull from GHCR`,
        fix: rotate,
      };
    }
    if (code === 403) {
      return {
        name: check,
        status: 'warn',
        evidence: `cannot read Secret ${name} (${from}): your RBAC denies it (the deployer Role reads no Secret but the API token's, by design)`,
        fix: 'Run doctor with a context that may read Secrets in the namespace (an admin) to check the pull secret.',
      };
    }
    throw err;
  }
  const registries = Object.keys(parseAuths(secret));
  const structure = checkPullSecret(secret, { server: registries[0] ?? REGISTRY });
  const broken = structure.filter((c) => !c.ok);
  if (secret?.type !== DOCKERCONFIGJSON_TYPE || broken.length) {
    return {
      name: check,
      status: 'fail',
      evidence: `Secret ${name} is not a well-formed pull secret: ${broken.map((c) => c.detail).join('; ')}`,
      fix: rotate,
    };
  }
  const annotations = secret?.metadata?.annotations;
  const stamped = annotations?.[ROTATED_AT_ANNOTATION];
  const by = annotations?.[ROTATED_BY_ANNOTATION];
  const stampedPolicy = Number(annotations?.[MAX_AGE_ANNOTATION]);
  const policyDays =
    opts.maxTokenAgeDays ??
    (Number.isFinite(stampedPolicy) && stampedPolicy > 0 ? stampedPolicy : DEFAULT_MAX_TOKEN_AGE_DAYS);
  const since = stamped && !Number.isNaN(Date.parse(stamped)) ? Date.parse(stamped) : undefined;
  const servers = registries.join(', ');
  if (since === undefined) {
    // A string: the JSON transport leaves timestamps as the API server wrote them.
    const created = secret?.metadata?.creationTimestamp;
    return {
      name: check,
      status: 'warn',
      evidence: `Secret ${name} (${DOCKERCONFIGJSON_TYPE}, ${servers}) has no ${ROTATED_AT_ANNOTATION} stamp${created ? `; created ${humanDuration(opts.now() - Date.parse(String(created)))} ago` : ''}: its token age is unknown`,
      fix: `Rotate it with the CLI so the rotation is stamped: ${rotate}`,
    };
  }
  const age = opts.now() - since;
  const maxMs = policyDays * 86_400_000;
  const base = `Secret ${name} (${servers}) rotated ${humanDuration(age)} ago (${stamped}${by ? ` by ${by}` : ''}); policy ${policyDays} days`;
  if (age > maxMs) {
    return {
      name: check,
      status: 'fail',
      evidence: `${base}: overdue by ${humanDuration(age - maxMs)}`,
      fix: `Create a new token and rotate: ${rotate}`,
    };
  }
  if (age > maxMs - 7 * 86_400_000) {
    return {
      name: check,
      status: 'warn',
      evidence: `${base}: due in ${humanDuration(maxMs - age)}`,
      fix: `Rotate soon: ${rotate}`,
    };
  }
  return { name: check, status: 'pass', evidence: `${base}: next due in ${humanDuration(maxMs - age)}` };
}
