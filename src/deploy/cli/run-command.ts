/**
 * The one place that turns a command's result or exception into printed output and an exit code.
 *
 * A command's action is `runCommand(async (ctx, options, args) => outcome)`. The outcome is
 *   { data, exitCode?, render? }: `data` is printed as JSON/YAML for -o json|yaml; for the table
 *   format `render(data, ctx)` returns the text (nothing is printed with -q). exitCode defaults to 0.
 * Errors:
 *   - CliError (errors.ts): "Error: <sentence>" and "Hint: <what to do>" on stderr, its exit code.
 *   - With -o json|yaml, stdout also gets one document for scripts: the error object
 *     `{"error": {"code", "exitCode", "message", "hint"}}` (errors.ts errorObjectOf); a command that
 *     printed its record with printOutcome before failing (deploy, rollback) gets that record with
 *     an `error` member instead, so stdout is always exactly one parseable document.
 *   - Errors from the Kubernetes client are mapped first (kube/errors.ts: unreachable, 401, 403,
 *     missing namespace → exit 5).
 *   - Anything else is a bug or an unforeseen failure: "Error: <message>" plus
 *     "(unexpected error; run with -v for details)", exit 1.
 *   With -v, the stack and cause chain are printed too.
 * Human text (tables, errors, hints) names the CLI the way it was started (invocation.ts:
 * `node cli/mobius-deploy.js` in a checkout); JSON and YAML keep `mobius-deploy`.
 */
import type { Command } from 'commander';
import { ExitCode, errorObjectOf, isCliError, NamespaceNotFoundError } from '../errors.js';
import { type Colors, createColors, shouldUseColor } from '../output/color.js';
import { formatJson, formatYaml, type OutputFormat } from '../output/format.js';
import type { CliIO } from '../output/io.js';
import { createProgressReporter, type ProgressReporter } from '../output/progress.js';
import { redactUrl } from '../output/redact-url.js';
import {
  describeNamespace,
  type GlobalOptions,
  type RawGlobalOptions,
  resolveGlobalOptions,
} from './global-options.js';
import { BIN_NAME, localizeInvocation } from './invocation.js';

/** Per-invocation state, attached to the root program by main(). */
export interface RunState {
  io: CliIO;
  exitCode: number;
  /** Project root (for deploy/environments); defaults to the package root. */
  rootDir?: string;
  now: () => number;
  /** How the user started the CLI (invocation.ts); default `mobius-deploy`. */
  invocation?: string;
  /** A -o json|yaml document printOutcome holds until the command ends (see printOutcome). */
  pendingDocument?: { data: unknown };
}

const states = new WeakMap<Command, RunState>();

export function attachRunState(program: Command, state: RunState): void {
  states.set(program, state);
}

export function runStateOf(command: Command): RunState {
  let c: Command | null = command;
  while (c) {
    const s = states.get(c);
    if (s) return s;
    c = c.parent;
  }
  throw new Error('mobius-deploy: command is not attached to a program run by main()');
}

/** What a command handler gets. */
export interface CommandContext {
  io: CliIO;
  globals: GlobalOptions;
  /** Colour for stdout (TTY, NO_COLOR, --no-color). */
  colors: Colors;
  /** Current time in ms (injectable). */
  now: () => number;
  /** Terminal width for tables (undefined when not a TTY). */
  width?: number;
  /** Kubernetes clients for --kubeconfig/--context, created on first use and closed afterwards. */
  kube(): Promise<import('../kube/client.js').KubeClients>;
  /** A progress reporter on stderr (spinner on a TTY, timestamped lines otherwise; silent with -q). */
  progress(): ProgressReporter;
  /** Print a line to stderr only with -v. */
  debug(message: string): void;
  command: Command;
}

export interface CommandOutcome<T = unknown> {
  data: T;
  exitCode?: number;
  /** Table/text rendering for -o table. Without it, table output falls back to YAML. */
  render?(data: T, ctx: CommandContext): string;
  /**
   * The rendering shows records as they are stored (history's change-causes and reasons), so it is
   * printed as it is: hints elsewhere name the invocation used (invocation.ts), records do not.
   */
  verbatim?: boolean;
}

export type CommandHandler<O> = (
  ctx: CommandContext,
  options: O,
  args: string[],
) => Promise<CommandOutcome | number | undefined>;

/** Wrap a handler as a commander action. */
export function runCommand<O = Record<string, unknown>>(handler: CommandHandler<O>) {
  return async (...actionArgs: unknown[]): Promise<void> => {
    const command = actionArgs[actionArgs.length - 1] as Command;
    const options = actionArgs[actionArgs.length - 2] as O;
    const args = actionArgs.slice(0, -2).flat() as string[];
    const state = runStateOf(command);
    state.exitCode = await execute(command, state, (ctx) => handler(ctx, options, args));
  };
}

async function execute(
  command: Command,
  state: RunState,
  handler: (ctx: CommandContext) => Promise<CommandOutcome | number | undefined>,
): Promise<number> {
  const { io } = state;
  const raw = command.optsWithGlobals() as RawGlobalOptions;
  const verbose = raw.verbose === true;
  let kubeClients: Promise<import('../kube/client.js').KubeClients> | undefined;
  let progress: ProgressReporter | undefined;
  const kubeOptions = {
    kubeconfig: raw.kubeconfig || undefined,
    context: raw.context || undefined,
    env: io.env,
  };
  // The kubeconfig is read at most once per run: for the context's namespace (only when -n, -e and
  // $MOBIUS_NAMESPACE name none) and for the clients. A kubeconfig that cannot be read gives no
  // namespace here; the clients report the problem when the command talks to the cluster.
  let kubeConfig: Promise<import('../kube/kubeconfig.js').ResolvedKubeConfig> | undefined;
  const loadKubeConfig = () => {
    kubeConfig ??= import('../kube/kubeconfig.js').then((m) => m.loadKubeConfig(kubeOptions));
    return kubeConfig;
  };
  let resolved: GlobalOptions | undefined;
  try {
    const globals = await resolveGlobalOptions(raw, {
      env: io.env,
      rootDir: state.rootDir,
      contextNamespace: () =>
        loadKubeConfig().then(
          (c) => ({ context: c.currentContext, namespace: c.context.namespace }),
          () => undefined,
        ),
    });
    resolved = globals;
    if (verbose) io.stderr.write(`debug: ${describeNamespace(globals)}\n`);
    const color = shouldUseColor({ colorFlag: globals.colorFlag, isTTY: io.stdout.isTTY, env: io.env });
    const stderrColor = shouldUseColor({ colorFlag: globals.colorFlag, isTTY: io.stderr.isTTY, env: io.env });
    const ctx: CommandContext = {
      io,
      globals,
      colors: createColors(color),
      now: state.now,
      width: io.stdout.isTTY ? (io.stdout.columns ?? 120) : undefined,
      command,
      kube() {
        kubeClients ??= Promise.all([import('../kube/client.js'), kubeConfig?.catch(() => undefined)]).then(
          ([m, resolved]) =>
            m.createKubeClients(
              { ...kubeOptions, debug: verbose ? (msg) => io.stderr.write(`debug: ${msg}\n`) : undefined },
              resolved,
            ),
        );
        return kubeClients;
      },
      progress() {
        progress ??= createProgressReporter({ stream: io.stderr, color: stderrColor, quiet: globals.quiet });
        return progress;
      },
      debug(message) {
        if (verbose) io.stderr.write(`debug: ${message}\n`);
      },
    };
    const outcome = await handler(ctx);
    progress?.stop();
    if (state.pendingDocument) await writeDocument(io, globals.output, state.pendingDocument.data);
    state.pendingDocument = undefined;
    if (outcome === undefined) return ExitCode.OK;
    if (typeof outcome === 'number') return outcome;
    await writeOutcome(ctx, outcome);
    return outcome.exitCode ?? ExitCode.OK;
  } catch (err) {
    progress?.stop();
    let mapped: unknown = err;
    if (!isCliError(err) && kubeClients) {
      try {
        mapped = (await kubeClients).mapError(err);
      } catch {
        /* kube clients never loaded: keep the original error */
      }
    }
    mapped = withNamespaceOrigin(mapped, resolved);
    const pending = state.pendingDocument;
    state.pendingDocument = undefined;
    return reportError(io, mapped, {
      verbose,
      output: outputFormatOf(raw),
      invocation: state.invocation,
      ...(pending ? { document: pending.data } : {}),
    });
  } finally {
    if (kubeClients) {
      kubeClients.then((c) => c.close()).catch(() => {});
    }
  }
}

/**
 * A missing namespace says which rule chose it (the kubeconfig context's namespace can surprise):
 * "Chosen: namespace nope (from -n/--namespace). Check -n/--namespace ...".
 */
function withNamespaceOrigin(err: unknown, globals: GlobalOptions | undefined): unknown {
  if (!(err instanceof NamespaceNotFoundError) || !globals || err.namespace !== globals.namespace) return err;
  if (err.hint?.startsWith('Chosen: ')) return err;
  return new NamespaceNotFoundError(err.namespace, {
    hint: `Chosen: ${describeNamespace(globals)}. ${err.hint ?? ''}`.trimEnd(),
    cause: err,
  });
}

/**
 * Print an outcome in the -o format, for a command that prints its data and then fails (deploy and
 * rollback print their record, then throw exit 3/4): a table is printed now; a JSON or YAML document
 * is held and written when the command ends, with an `error` member when it fails.
 */
export async function printOutcome<T>(ctx: CommandContext, outcome: CommandOutcome<T>): Promise<void> {
  const { output } = ctx.globals;
  if (output === 'json' || output === 'yaml')
    runStateOf(ctx.command).pendingDocument = { data: outcome.data };
  else await writeOutcome(ctx, outcome);
}

async function writeOutcome<T>(ctx: CommandContext, outcome: CommandOutcome<T>): Promise<void> {
  const { output } = ctx.globals;
  if (output === 'json' || output === 'yaml') await writeDocument(ctx.io, output, outcome.data);
  else if (!ctx.globals.quiet) {
    const text = outcome.render ? outcome.render(outcome.data, ctx) : await formatYaml(outcome.data);
    const invocation = outcome.verbatim ? BIN_NAME : (runStateOf(ctx.command).invocation ?? BIN_NAME);
    ctx.io.stdout.write(localizeInvocation(text, invocation));
  }
}

async function writeDocument(io: CliIO, output: OutputFormat, data: unknown): Promise<void> {
  io.stdout.write(output === 'json' ? formatJson(data) : await formatYaml(data));
}

/** -o as given (before it is validated): json and yaml get the error object. */
export function outputFormatOf(raw: { output?: string }): OutputFormat {
  return raw.output === 'json' || raw.output === 'yaml' ? raw.output : 'table';
}

export interface ReportErrorOptions {
  verbose?: boolean;
  /** json|yaml: the error object on stdout too. */
  output?: OutputFormat;
  /** How the CLI was started, for the human message and hint (invocation.ts). */
  invocation?: string;
  /** A document the command printed before failing: it gets the `error` member. */
  document?: unknown;
}

/** Print an error the way every command does and return its exit code. */
export async function reportError(
  io: CliIO,
  err: unknown,
  options: ReportErrorOptions = {},
): Promise<number> {
  const { verbose = false, output = 'table' } = options;
  const human = (text: string) => localizeInvocation(text, options.invocation ?? BIN_NAME);
  const red = createColors(shouldUseColor({ colorFlag: true, isTTY: io.stderr.isTTY, env: io.env })).red;
  // Library messages can quote a URL with its credentials (fetch does): masked in every output.
  const raw = errorObjectOf(err);
  const error = {
    ...raw,
    message: redactUrl(raw.message),
    hint: raw.hint === null ? null : redactUrl(raw.hint),
  };
  if (output === 'json' || output === 'yaml') {
    const doc = options.document;
    const withError =
      doc !== null && typeof doc === 'object' && !Array.isArray(doc)
        ? { ...(doc as Record<string, unknown>), error }
        : doc === undefined
          ? { error }
          : { result: doc, error };
    await writeDocument(io, output, withError);
  }
  io.stderr.write(`${red('Error:')} ${human(error.message)}\n`);
  if (isCliError(err)) {
    if (error.hint) io.stderr.write(`Hint: ${human(error.hint)}\n`);
    if (verbose) writeDetails(io, err);
    return err.exitCode;
  }
  if (verbose) writeDetails(io, err);
  else io.stderr.write('(unexpected error; run with -v for details)\n');
  return ExitCode.UNHEALTHY;
}

function writeDetails(io: CliIO, err: unknown): void {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    // Library messages may quote a URL with its credentials (fetch does): masked like all output.
    if (e instanceof Error)
      io.stderr.write(`${depth === 0 ? '' : 'Caused by: '}${redactUrl(e.stack ?? e.message)}\n`);
    else io.stderr.write(`Caused by: ${redactUrl(String(e))}\n`);
    e = e instanceof Error ? e.cause : undefined;
  }
}
