/**
 * Environment configuration: deploy/environments/<name>.yaml, validated with one strict zod schema.
 *
 * `loadEnvironment('production')` reads deploy/environments/production.yaml (relative to the repository
 * root, or `rootDir`), checks every key and value, and returns a typed Environment. A problem is an
 * EnvironmentConfigError (exit code 2) whose message names the file, the key path and what is allowed:
 *
 *   deploy/environments/production.yaml: replicas: expected an integer from 1 to 50, got "three"
 *
 * The manifest builders (src/deploy/manifests/) turn an Environment into Kubernetes objects; the CLI's
 * `--env` option uses it to find the namespace.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { findPackageRoot } from '../package-root.js';
import { issueMessages, showValue } from './schema-issues.js';

/**
 * A configuration problem the user can fix by editing the environment file (exit code 2). It is the CLI's
 * ConfigError, so every command prints it as one message with its hint, without a stack trace.
 */
export class EnvironmentConfigError extends ConfigError {
  constructor(
    message: string,
    /** Each problem on its own, already prefixed with the file and key path. */
    readonly problems: string[] = [message],
    hint = 'Fix the environment file named above (every key is explained in its comments), or pick another with -e/--env.',
  ) {
    super(message, { hint });
  }
}

// ---------------------------------------------------------------------------------------------
// Value schemas. Each carries the human description of what is allowed, used in error messages.
// ---------------------------------------------------------------------------------------------

function intRange(min: number, max: number) {
  const allowed = `an integer from ${min} to ${max}`;
  return z
    .number({ error: allowed })
    .int({ error: allowed })
    .min(min, { error: allowed })
    .max(max, { error: allowed });
}

function pattern(re: RegExp, allowed: string) {
  return z.string({ error: allowed }).regex(re, { error: allowed });
}

/** A DNS-1123 label: namespaces, secret names, storage classes. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel = pattern(
  DNS_LABEL,
  'a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
);
/** A DNS-1123 subdomain (secret names, storage class names may contain dots). */
const dnsSubdomain = pattern(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
);
/** A key inside a Secret: letters, digits, "-", "_" and ".". */
const secretKey = pattern(/^[-._a-zA-Z0-9]{1,253}$/, 'a Secret data key (letters, digits, "-", "_" and ".")');
const cpuQuantity = pattern(
  /^([1-9][0-9]{0,5}m|[0-9]{1,3}(\.[0-9]{1,3})?)$/,
  'a CPU quantity such as "250m", "1" or "1.5"',
);
const memoryQuantity = pattern(
  /^[1-9][0-9]{0,6}(Ki|Mi|Gi|Ti)$/,
  'a memory quantity in Ki, Mi, Gi or Ti such as "256Mi" or "1Gi"',
);
const storageQuantity = pattern(
  /^[1-9][0-9]{0,6}(Mi|Gi|Ti)$/,
  'a storage size in Mi, Gi or Ti such as "20Gi"',
);
const imageRepository = pattern(
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/,
  'an image repository without tag such as "ghcr.io/mobius-org/mobius-preview-worker"',
);
const imageTag = pattern(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  'an image tag (letters, digits, "_", "." and "-", up to 128 characters)',
);
const imageDigest = pattern(/^sha256:[a-f0-9]{64}$/, 'an image digest "sha256:<64 hex digits>"');
const labelMap = z.record(
  pattern(
    /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'a label key ([prefix/]name; the name up to 63 letters, digits, "-", "_" and ".")',
  ),
  pattern(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, 'a label value (up to 63 characters)'),
  { error: 'a map of label keys to label values' },
);
const cidr = pattern(
  /^([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])$/,
  'an IPv4 CIDR such as "10.0.0.0/8"',
);
const httpsUrl = pattern(/^https:\/\/[^\s#]+$/, 'an https:// URL without a "#fragment"');
const ratio = z
  .number({ error: 'a number above 0 and below 1' })
  .gt(0, { error: 'a number above 0 and below 1' })
  .lt(1, { error: 'a number above 0 and below 1' });
const enumOf = <T extends [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });

const resourcesSchema = z.strictObject({
  requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }),
  limits: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }),
});

const secretRefSchema = z.strictObject({
  /** Name of a Secret in the same namespace; created outside this tool (never rendered). */
  secretName: dnsSubdomain,
  /** Key inside that Secret. */
  secretKey,
});

const redisSchema = z.strictObject({
  secretName: dnsSubdomain,
  secretKey,
  /** Where Redis runs, for the NetworkPolicy's egress rule. One of cidr or a selector. */
  egress: z.strictObject({
    port: intRange(1, 65535),
    namespaceSelector: labelMap.optional(),
    podSelector: labelMap.optional(),
    cidr: cidr.optional(),
  }),
});

export const environmentSchema = z.strictObject({
  namespace: dnsLabel,
  /** Label app.kubernetes.io/part-of. */
  partOf: dnsLabel,
  image: z.strictObject({
    repository: imageRepository,
    tag: imageTag,
    digest: imageDigest.optional(),
    pullPolicy: enumOf(['IfNotPresent', 'Always', 'Never']),
    /**
     * The kubernetes.io/dockerconfigjson Secret the kubelet pulls with (written and rotated by
     * `mobius-deploy registry-secret rotate`); leave it out for a public image.
     */
    pullSecret: dnsSubdomain.optional(),
  }),
  replicas: intRange(1, 50),
  resources: resourcesSchema,
  redis: redisSchema,
  apiToken: secretRefSchema,
  autoscaling: z.strictObject({
    minReplicas: intRange(1, 50),
    maxReplicas: intRange(1, 100),
    targetCPUUtilizationPercentage: intRange(10, 100),
    targetMemoryUtilizationPercentage: intRange(10, 100),
  }),
  podDisruptionBudget: z.strictObject({ maxUnavailable: intRange(1, 10) }),
  storage: z.strictObject({
    size: storageQuantity,
    /** Must provide ReadWriteMany volumes (NFS, CephFS, EFS, Azure Files, Filestore...). */
    storageClassName: dnsSubdomain,
  }),
  worker: z.strictObject({
    queueName: pattern(
      /^[A-Za-z0-9._:-]{1,100}$/,
      "1-100 characters of letters, digits, '.', '_', ':' and '-'",
    ),
    concurrency: intRange(1, 64),
    queueMax: intRange(1, 1_000_000),
    shutdownTimeoutSeconds: intRange(1, 3600),
    logLevel: enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  }),
  rollout: z.strictObject({
    progressDeadlineSeconds: intRange(30, 3600),
    revisionHistoryLimit: intRange(1, 100),
  }),
  monitoring: z.strictObject({
    /** Extra labels on the ServiceMonitor and PrometheusRule, for Prometheus' serviceMonitorSelector/ruleSelector. */
    labels: labelMap,
  }),
  alerts: z.strictObject({
    /** Base of runbook_url: <runbookBaseUrl>#<anchor>, normally a GitHub blob URL of docs/RUNBOOKS.md. */
    runbookBaseUrl: httpsUrl,
    /** Fire PreviewWorkerJobFailureRatio above this share of failed jobs (0.05 = 5%). */
    jobFailureRatio: ratio,
    /** Fire PreviewWorkerQueueBacklogHigh above this share of worker.queueMax. */
    queueBacklogRatio: ratio,
    /** Fire PreviewWorkerRenderSlow when the p95 of completed jobs exceeds this many seconds. */
    renderP95Seconds: intRange(1, 3600),
    /** Fire PreviewWorkerMemoryNearLimit above this share of the memory limit. */
    memoryLimitRatio: ratio,
  }),
});

/** What the YAML file holds. */
export type EnvironmentFile = z.infer<typeof environmentSchema>;

/** A validated environment: the file's content plus where it came from. */
export interface Environment extends EnvironmentFile {
  /** Environment name: the file name without .yaml (staging, production). */
  name: string;
  /** The file it was read from, relative to the repository root when inside it. */
  file: string;
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules (each names both keys).
// ---------------------------------------------------------------------------------------------

const MEMORY_FACTORS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Bytes of a memory quantity like 256Mi. */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  return Number(m[1]) * MEMORY_FACTORS[m[2]!]!;
}

/** Millicores of a CPU quantity like 250m or 1.5. */
export function cpuMillis(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}

function crossFieldProblems(env: EnvironmentFile): string[] {
  const problems: string[] = [];
  const { requests, limits } = env.resources;
  if (cpuMillis(requests.cpu) > cpuMillis(limits.cpu)) {
    problems.push(
      `resources.requests.cpu: expected at most resources.limits.cpu (${limits.cpu}), got "${requests.cpu}"`,
    );
  }
  if (memoryBytes(requests.memory) > memoryBytes(limits.memory)) {
    problems.push(
      `resources.requests.memory: expected at most resources.limits.memory (${limits.memory}), got "${requests.memory}"`,
    );
  }
  const { minReplicas, maxReplicas } = env.autoscaling;
  if (minReplicas > maxReplicas) {
    problems.push(
      `autoscaling.minReplicas: expected at most autoscaling.maxReplicas (${maxReplicas}), got ${minReplicas}`,
    );
  }
  if (env.replicas < minReplicas || env.replicas > maxReplicas) {
    problems.push(
      `replicas: expected an integer from autoscaling.minReplicas (${minReplicas}) to autoscaling.maxReplicas (${maxReplicas}), got ${env.replicas}`,
    );
  }
  const egress = env.redis.egress;
  const hasSelector = egress.namespaceSelector !== undefined || egress.podSelector !== undefined;
  if (hasSelector === (egress.cidr !== undefined)) {
    problems.push(
      'redis.egress: expected either cidr or namespaceSelector/podSelector (exactly one way to reach Redis), ' +
        (hasSelector ? 'got both' : 'got neither'),
    );
  }
  return problems;
}

/**
 * Validates already-parsed YAML content. `file` is the label used in messages.
 * Throws EnvironmentConfigError listing every problem.
 */
export function parseEnvironment(content: unknown, name: string, file: string): Environment {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) {
    throw new EnvironmentConfigError(
      `${file}: expected a YAML mapping with keys like namespace, image, replicas; got ${showValue(content)}`,
    );
  }
  const result = environmentSchema.safeParse(content);
  let problems: string[];
  if (!result.success) {
    problems = result.error.issues.flatMap((issue) => issueMessages(issue, content, environmentSchema));
  } else {
    problems = crossFieldProblems(result.data);
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => `${file}: ${p}`);
    throw new EnvironmentConfigError(lines.join('\n'), lines);
  }
  return { ...(result.data as EnvironmentFile), name, file };
}

/** Parses YAML text (one document) and validates it. */
export function parseEnvironmentYaml(text: string, name: string, file: string): Environment {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0]
      ? ` (line ${first.linePos[0].line}, column ${first.linePos[0].col})`
      : '';
    throw new EnvironmentConfigError(
      `${file}: not valid YAML${where}: ${first.message.split('\n')[0]}. Fix the syntax and try again.`,
    );
  }
  return parseEnvironment(doc.toJS(), name, file);
}

// ---------------------------------------------------------------------------------------------
// Loading from disk
// ---------------------------------------------------------------------------------------------

/** The repository root (where package.json and deploy/ live), from this module's location. */
export function repositoryRoot(): string {
  // Walk up to package.json: this module also runs from the bundled CLI (dist/cli-bundle/main.cjs).
  return findPackageRoot(import.meta.url);
}

export const ENVIRONMENTS_DIR = join('deploy', 'environments');

const ENV_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The environment names present in <rootDir>/deploy/environments (file names without .yaml). */
export function listEnvironments(rootDir: string = repositoryRoot()): string[] {
  const dir = join(rootDir, ENVIRONMENTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .filter((n) => ENV_NAME.test(n))
    .sort();
}

/**
 * Reads and validates deploy/environments/<name>.yaml under rootDir (default: the repository root).
 * Throws EnvironmentConfigError (exit code 2) for an unknown name, unreadable file, bad YAML or bad values.
 */
export function loadEnvironment(name: string, rootDir: string = repositoryRoot()): Environment {
  if (!ENV_NAME.test(name)) {
    throw new EnvironmentConfigError(
      `--env ${JSON.stringify(name)} is not a valid environment name: expected lowercase letters, digits and "-" ` +
        `(the name of a file in ${ENVIRONMENTS_DIR}/ without .yaml).`,
      undefined,
      `Known environments: ${listEnvironments(rootDir).join(', ') || 'none'}.`,
    );
  }
  const path = join(rootDir, ENVIRONMENTS_DIR, `${name}.yaml`);
  const rel = relative(process.cwd(), path);
  const label = rel.startsWith('..') || rel === '' ? path : rel;
  const fileLabel = join(ENVIRONMENTS_DIR, `${name}.yaml`);
  if (!existsSync(path)) {
    const known = listEnvironments(rootDir);
    throw new EnvironmentConfigError(
      `No environment named ${JSON.stringify(name)}: ${label} does not exist. ` +
        (known.length ? `Known environments: ${known.join(', ')}.` : `Create ${fileLabel} first.`),
      undefined,
      `Use one of the known environments, or create ${fileLabel} (copy production.yaml and edit it).`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EnvironmentConfigError(
      `${label}: cannot be read (${(err as NodeJS.ErrnoException).code ?? err}).`,
    );
  }
  return parseEnvironmentYaml(text, name, fileLabel);
}
