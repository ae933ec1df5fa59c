/**
 * The global options of every command (DESIGN.md §3) and how they resolve.
 *
 * Namespace precedence, like kubectl's: -n/--namespace, then the namespace of -e/--env's environment
 * file (deploy/environments/<name>.yaml, loaded lazily), then $MOBIUS_NAMESPACE, then the
 * `namespace:` of the kubeconfig context in use (read only when nothing before it names one), then
 * `preview-worker`. `describeNamespace` says which one won (doctor, -v).
 * Colour: see output/color.ts (TTY, NO_COLOR, --no-color).
 */
import { InvalidArgumentError } from 'commander';
import { ConfigError, isCliError, UsageError } from '../errors.js';
import { APP_NAME } from '../manifests/labels.js';
import { parseDuration } from '../output/duration.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/format.js';

/** The namespace when nothing names one: the worker's own name, as its manifests' default. */
export const DEFAULT_NAMESPACE = APP_NAME;

/** What commander parsed (program.optsWithGlobals()). */
export interface RawGlobalOptions {
  namespace?: string;
  env?: string;
  context?: string;
  kubeconfig?: string;
  output?: string;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export type NamespaceSource =
  | 'flag'
  | 'environment-file'
  | 'MOBIUS_NAMESPACE'
  | 'kubeconfig-context'
  | 'default';

/** The kubeconfig context in use and its own `namespace:` (absent when it sets none). */
export interface ContextNamespace {
  context: string;
  namespace?: string;
}

export interface GlobalOptions {
  namespace: string;
  namespaceSource: NamespaceSource;
  /** With namespaceSource 'kubeconfig-context': the context whose namespace won. */
  namespaceContext?: string;
  /** The -e/--env name, when given. */
  environment?: string;
  /** The loaded environment object (from loadEnvironment), when -e was given. */
  environmentConfig?: Record<string, unknown>;
  context?: string;
  kubeconfig?: string;
  output: OutputFormat;
  /** --no-color not given (the TTY/NO_COLOR decision is made by shouldUseColor). */
  colorFlag: boolean;
  quiet: boolean;
  verbose: boolean;
}

export type EnvironmentLoader = (name: string, rootDir?: string) => unknown | Promise<unknown>;

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  /** Loads an environment file; defaults to src/deploy/manifests/environment.ts's loadEnvironment. */
  loadEnvironment?: EnvironmentLoader;
  rootDir?: string;
  /**
   * The kubeconfig context's namespace, asked only when -n, -e and $MOBIUS_NAMESPACE name none
   * (undefined: no kubeconfig, or one that cannot be read; the kube clients report that later).
   */
  contextNamespace?: () => Promise<ContextNamespace | undefined>;
}

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateNamespace(ns: string, source: string): string {
  if (ns.length > 63 || !NAMESPACE_RE.test(ns)) {
    throw new UsageError(
      `Invalid namespace "${ns}" (from ${source}): a namespace is at most 63 lower-case letters, digits or '-', starting and ending with a letter or digit.`,
    );
  }
  return ns;
}

async function defaultEnvironmentLoader(name: string, rootDir?: string): Promise<unknown> {
  // Loaded on demand, so `--help` never loads the manifests layer (yaml, zod). A literal specifier,
  // so the CLI bundler (build/bundle-cli.mjs) sees it and bundles it behind a lazy initialiser.
  const mod = (await import('../manifests/environment.js')) as { loadEnvironment?: EnvironmentLoader };
  if (typeof mod.loadEnvironment !== 'function') {
    throw new ConfigError('This build has no environment support (src/deploy/manifests/environment.ts).');
  }
  return mod.loadEnvironment(name, rootDir);
}

export async function resolveGlobalOptions(
  raw: RawGlobalOptions,
  options: ResolveOptions,
): Promise<GlobalOptions> {
  const output = (raw.output ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) {
    throw new UsageError(
      `Unknown output format "${raw.output}": choose one of ${OUTPUT_FORMATS.join(', ')}.`,
    );
  }
  let environmentConfig: Record<string, unknown> | undefined;
  if (raw.env !== undefined) {
    if (!/^[A-Za-z0-9._-]+$/.test(raw.env) || raw.env === '.' || raw.env === '..') {
      throw new UsageError(
        `Invalid environment name "${raw.env}": use a file name from deploy/environments/ without .yaml.`,
      );
    }
    try {
      const loaded = await (options.loadEnvironment ?? defaultEnvironmentLoader)(raw.env, options.rootDir);
      environmentConfig = (loaded ?? {}) as Record<string, unknown>;
    } catch (err) {
      if (isCliError(err)) throw err;
      throw new ConfigError(`Cannot load environment "${raw.env}": ${(err as Error).message}`, {
        hint: 'Environments are deploy/environments/<name>.yaml (for example staging, production).',
        cause: err,
      });
    }
  }

  let namespace: string;
  let namespaceSource: NamespaceSource;
  let namespaceContext: string | undefined;
  const envNamespace = environmentConfig?.namespace;
  if (raw.namespace !== undefined && raw.namespace !== '') {
    namespace = validateNamespace(raw.namespace, '--namespace');
    namespaceSource = 'flag';
  } else if (typeof envNamespace === 'string' && envNamespace !== '') {
    namespace = validateNamespace(envNamespace, `environment ${raw.env}`);
    namespaceSource = 'environment-file';
  } else if (options.env.MOBIUS_NAMESPACE) {
    namespace = validateNamespace(options.env.MOBIUS_NAMESPACE, '$MOBIUS_NAMESPACE');
    namespaceSource = 'MOBIUS_NAMESPACE';
  } else {
    const fromContext = await options.contextNamespace?.();
    if (fromContext?.namespace) {
      namespace = validateNamespace(fromContext.namespace, `the kubeconfig context ${fromContext.context}`);
      namespaceSource = 'kubeconfig-context';
      namespaceContext = fromContext.context;
    } else {
      namespace = DEFAULT_NAMESPACE;
      namespaceSource = 'default';
    }
  }

  return {
    namespace,
    namespaceSource,
    ...(namespaceContext === undefined ? {} : { namespaceContext }),
    environment: raw.env,
    environmentConfig,
    context: raw.context || undefined,
    kubeconfig: raw.kubeconfig || undefined,
    output,
    colorFlag: raw.color !== false,
    quiet: raw.quiet === true,
    verbose: raw.verbose === true,
  };
}

/** Which rule chose the namespace: "namespace production (from the kubeconfig context kind-prod)". */
export function describeNamespace(
  g: Pick<GlobalOptions, 'namespace' | 'namespaceSource' | 'namespaceContext' | 'environment'>,
): string {
  const from: Record<NamespaceSource, string> = {
    flag: 'from -n/--namespace',
    'environment-file': `from the environment file deploy/environments/${g.environment}.yaml`,
    MOBIUS_NAMESPACE: 'from $MOBIUS_NAMESPACE',
    'kubeconfig-context': `from the kubeconfig context ${g.namespaceContext}`,
    default: 'the default: no -n, -e, $MOBIUS_NAMESPACE or kubeconfig context namespace',
  };
  return `namespace ${g.namespace} (${from[g.namespaceSource]})`;
}

/**
 * Option value parsers for commander (`.option('--x <n>', 'help', parseNonNegativeInt, 5)`).
 * They throw commander's InvalidArgumentError, which main() turns into exit 2 with the option named.
 */

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim()))
    throw new InvalidArgumentError(`expected a whole number >= 0, got "${value}".`);
  return Number(value);
}

export function parsePositiveInt(value: string): number {
  const n = parseNonNegativeInt(value);
  if (n === 0) throw new InvalidArgumentError(`expected a whole number > 0, got "${value}".`);
  return n;
}

export function parsePercent(value: string): number {
  const t = value.trim().replace(/%$/, '');
  const n = Number(t);
  if (t === '' || !Number.isFinite(n) || n < 0 || n > 1000) {
    throw new InvalidArgumentError(`expected a percentage such as 80 or 80%, got "${value}".`);
  }
  return n;
}

/** A duration such as 30s, 15m, 1h30m, 2d; a bare number means `bareUnit`. Returns milliseconds. */
export function durationParser(bareUnit: 'ms' | 's' | 'm' = 's') {
  return (value: string): number => {
    const ms = parseDuration(value, bareUnit);
    if (ms === undefined) {
      throw new InvalidArgumentError(`expected a duration such as 30s, 15m, 1h or 2d, got "${value}".`);
    }
    return ms;
  };
}
