/**
 * The errors a user of `mobius-deploy` can act on. Each carries the process exit code from
 * DESIGN.md §3 and a message that is one clear sentence; `hint` says what to do next.
 * `run-command.ts` is the only place that prints them.
 */

/** Exit codes, the same for every command (DESIGN.md §3). */
export const ExitCode = {
  /** Success; healthy. */
  OK: 0,
  /** Checked and unhealthy, or verification failed (also: unexpected internal errors). */
  UNHEALTHY: 1,
  /** Usage or configuration error. */
  USAGE: 2,
  /** Deploy failed and was rolled back; the previous version serves. */
  ROLLED_BACK: 3,
  /** Deploy or rollback failed and a person must act. */
  ACTION_REQUIRED: 4,
  /** The cluster cannot be reached, or access is denied. */
  UNREACHABLE: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliErrorOptions {
  /** A second line telling the user what to do next. */
  hint?: string;
  /** The underlying error (shown with -v). */
  cause?: unknown;
}

/** Base class: an expected failure with an exit code. Never printed with a stack trace unless -v. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  /**
   * A stable name for scripts (the `code` of the -o json|yaml error object): one per class below,
   * a subclass elsewhere carrying its parent's (DeployLockBusyError is ActionRequired).
   */
  get code(): ErrorCode {
    return errorCodeOf(this);
  }
  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad flags or arguments (exit 2). */
export class UsageError extends CliError {
  readonly exitCode = ExitCode.USAGE;
}

/** Bad or missing configuration: kubeconfig, environment file, tokens (exit 2). */
export class ConfigError extends CliError {
  readonly exitCode = ExitCode.USAGE;
}

/** The check ran and found problems (exit 1). */
export class UnhealthyError extends CliError {
  readonly exitCode = ExitCode.UNHEALTHY;
}

/** The deploy failed and was rolled back; the previous version serves (exit 3). */
export class RolledBackError extends CliError {
  readonly exitCode = ExitCode.ROLLED_BACK;
}

/** A deploy or rollback failed and a person must act (exit 4). */
export class ActionRequiredError extends CliError {
  readonly exitCode = ExitCode.ACTION_REQUIRED;
}

/** The Kubernetes API (or a worker URL) cannot be reached (exit 5). */
export class ClusterUnreachableError extends CliError {
  readonly exitCode = ExitCode.UNREACHABLE;
}

/** The API server rejected our credentials: 401 (exit 5). */
export class CredentialsError extends CliError {
  readonly exitCode = ExitCode.UNREACHABLE;
}

/** RBAC denied a request: 403 (exit 5). Carries what was denied so the message can name it. */
export class AccessDeniedError extends CliError {
  readonly exitCode = ExitCode.UNREACHABLE;
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  constructor(
    details: { verb: string; resource: string; namespace?: string; user?: string },
    options: CliErrorOptions = {},
  ) {
    const where = details.namespace ? ` in namespace ${details.namespace}` : ' (cluster-wide)';
    const who = details.user ? `${details.user} cannot` : 'you cannot';
    super(
      `Access denied: ${who} ${details.verb} ${details.resource}${where} (RBAC verb ${details.verb}, resource ${details.resource}).`,
      {
        hint:
          options.hint ??
          'Ask a cluster admin to grant it, or use a context with that permission (--context).',
        cause: options.cause,
      },
    );
    this.verb = details.verb;
    this.resource = details.resource;
    this.namespace = details.namespace;
  }
}

/** The namespace does not exist (exit 5: the target cannot be reached). */
export class NamespaceNotFoundError extends CliError {
  readonly exitCode = ExitCode.UNREACHABLE;
  readonly namespace: string;
  constructor(namespace: string, options: CliErrorOptions = {}) {
    super(`Namespace ${namespace} does not exist in this cluster.`, {
      hint:
        options.hint ??
        'Check -n/--namespace (or -e/--env) and --context; `kubectl get namespaces` lists the namespaces you can see.',
      cause: options.cause,
    });
    this.namespace = namespace;
  }
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}

/** The `code` values of the error object, most specific class first. */
const ERROR_CODES = [
  [NamespaceNotFoundError, 'NamespaceNotFound'],
  [AccessDeniedError, 'AccessDenied'],
  [CredentialsError, 'Credentials'],
  [ClusterUnreachableError, 'ClusterUnreachable'],
  [ActionRequiredError, 'ActionRequired'],
  [RolledBackError, 'RolledBack'],
  [UnhealthyError, 'Unhealthy'],
  [ConfigError, 'Config'],
  [UsageError, 'Usage'],
] as const;

/** Every `code` an error object can carry: 'Internal' is an unexpected error (a bug), exit 1. */
export type ErrorCode = (typeof ERROR_CODES)[number][1] | 'Failed' | 'Internal';
export const ERROR_CODE_NAMES: readonly ErrorCode[] = [
  ...ERROR_CODES.map(([, code]) => code),
  'Failed',
  'Internal',
];

function errorCodeOf(err: CliError): ErrorCode {
  for (const [cls, code] of ERROR_CODES) if (err instanceof cls) return code;
  return 'Failed'; // a CliError outside these classes (an image build failing): its exit code says more
}

/**
 * What scripts get on stdout with -o json|yaml when a command fails (see run-command.ts):
 * `{"error": {"code", "exitCode", "message", "hint"}}`; `hint` is null when there is none.
 */
export interface ErrorObject {
  code: ErrorCode;
  exitCode: number;
  message: string;
  hint: string | null;
}

export function errorObjectOf(err: unknown): ErrorObject {
  if (isCliError(err)) {
    return { code: err.code, exitCode: err.exitCode, message: err.message, hint: err.hint ?? null };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'Internal',
    exitCode: ExitCode.UNHEALTHY,
    message,
    hint: 'An unexpected error: run with -v for details.',
  };
}
