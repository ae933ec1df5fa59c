/**
 * mobius-deploy: the operations CLI. `main(argv)` parses the arguments, runs one command and
 * resolves to the exit code (DESIGN.md §3); it never calls process.exit. cli/mobius-deploy.js is
 * the shim users type.
 *
 * Startup must stay fast (`--help` < 300 ms): this file, registry.ts and the command modules
 * import only commander and small local modules; actions and heavy libraries load on demand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { type ErrorObject, ExitCode } from '../errors.js';
import { formatJson, formatYaml } from '../output/format.js';
import { type CliIO, processIO } from '../output/io.js';
import { findPackageRoot } from '../package-root.js';
import { BIN_NAME, invocationOf, localizeInvocation } from './invocation.js';
import { commands } from './registry.js';
import { attachRunState, outputFormatOf, type RunState, reportError } from './run-command.js';

/**
 * The repository root: the nearest directory above this module with a package.json (this module
 * runs as src/deploy/cli/main.ts, dist/deploy/cli/main.js or inside dist/cli-bundle/main.cjs).
 */
export const PACKAGE_ROOT = findPackageRoot(import.meta.url);

function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string })
        .version ?? '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}

export interface MainOptions {
  io?: CliIO;
  /** Project root for deploy/environments (default: the package root). */
  rootDir?: string;
  now?: () => number;
  /** How the CLI was started, for hints (default: from process.argv[1], see invocation.ts). */
  invocation?: string;
}

/**
 * The command `argv` names: the first word that is neither an option nor the value of a global
 * option that takes one (-n NS, --context=C, ...). Undefined when there is none.
 */
function commandWordOf(program: Command, argv: string[]): string | undefined {
  const takesValue = new Set<string>();
  for (const o of program.options) {
    if (!o.required && !o.optional) continue;
    if (o.short) takesValue.add(o.short);
    if (o.long) takesValue.add(o.long);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    if (takesValue.has(a)) i += 1; // `-n prod`; `--namespace=prod` and `-nprod` carry their value
  }
  return undefined;
}

/**
 * Build the commander program (exported for docs generation and tests). With `argv`, commands are
 * registered only up to the one argv names (start-up time: registering all of them costs more than
 * the rest of a fast command's start); without a recognisable command word, all of them.
 */
export function buildProgram(
  io: CliIO,
  argv?: string[],
  hooks: { invocation?: string; onError?: (message: string) => void } = {},
): Command {
  const program = new Command('mobius-deploy');
  const invocation = hooks.invocation ?? BIN_NAME;
  program
    .description(
      'Operate the Mobius Preview Worker on Kubernetes: daily checks, deploys, rollbacks and reports.',
    )
    .version(packageVersion(), '--version', 'print the version')
    .addOption(
      new Option(
        '-n, --namespace <name>',
        "Kubernetes namespace (default: -e's environment, else $MOBIUS_NAMESPACE, else the kubeconfig context's namespace, else preview-worker)",
      ),
    )
    .addOption(
      new Option(
        '-e, --env <name>',
        'environment from deploy/environments/<name>.yaml (sets the namespace unless -n is given)',
      ),
    )
    .addOption(new Option('--context <name>', 'kubeconfig context to use (default: current-context)'))
    .addOption(
      new Option(
        '--kubeconfig <file>',
        'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)',
      ),
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .addOption(
      new Option('--no-color', 'disable colour (also: NO_COLOR=1; colour is only used on a terminal)'),
    )
    .addOption(new Option('-q, --quiet', 'print only errors (and -o json/yaml data); rely on the exit code'))
    .addOption(new Option('-v, --verbose', 'print debug lines and stack traces'))
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run `mobius-deploy --help` or `mobius-deploy <command> --help` for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(localizeInvocation(s, invocation)),
      outputError: (s, write) => {
        const message = s.startsWith('error:') ? s.slice('error:'.length).trim() : s.trim();
        hooks.onError?.(message);
        write(s.startsWith('error:') ? `Error:${s.slice('error:'.length)}` : s);
      },
    })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Exit codes:
  0  success; healthy
  1  checked and unhealthy, or verification failed
  2  usage or configuration error
  3  deploy failed and was rolled back; the previous version serves
  4  deploy or rollback failed and a person must act
  5  the cluster cannot be reached, or access is denied

Examples:
  mobius-deploy status --namespace production
  mobius-deploy verify -e staging -o json
  mobius-deploy status --help      # every command has --help`,
  );
  const word = argv ? commandWordOf(program, argv) : undefined;
  for (const command of commands) {
    command.register(program);
    const added = program.commands[program.commands.length - 1];
    if (word !== undefined && added && (added.name() === word || added.aliases().includes(word))) break;
  }
  return program;
}

/** The value of -o/--output in argv (-o json, -ojson, --output json, --output=json), if any. */
function outputArgOf(argv: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === '-o' || a === '--output') found = argv[++i];
    else if (a.startsWith('--output=')) found = a.slice('--output='.length);
    else if (a.startsWith('-o') && !a.startsWith('--')) found = a.slice(2);
  }
  return found;
}

async function writeUsageErrorObject(io: CliIO, output: 'json' | 'yaml', message: string): Promise<void> {
  const error: ErrorObject = {
    code: 'Usage',
    exitCode: ExitCode.USAGE,
    message,
    hint: 'Run `mobius-deploy --help` or `mobius-deploy <command> --help` for usage.',
  };
  io.stdout.write(output === 'json' ? formatJson({ error }) : await formatYaml({ error }));
}

/** Run the CLI with the given arguments (without node and script); resolves to the exit code. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIO();
  const invocation = options.invocation ?? invocationOf(process.argv[1], process.cwd());
  let usageMessage: string | undefined;
  const program = buildProgram(io, argv, {
    invocation,
    onError: (message) => {
      usageMessage ??= message;
    },
  });
  const state: RunState = {
    io,
    exitCode: ExitCode.OK,
    rootDir: options.rootDir ?? PACKAGE_ROOT,
    now: options.now ?? Date.now,
    invocation,
  };
  const output = outputFormatOf({ output: outputArgOf(argv) });
  attachRunState(program, state);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.OK;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.OK;
      // `mobius-deploy -n x` without a command: commander shows the help as an error.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
      // commander already printed the message (and the help hint) through configureOutput; with
      // -o json|yaml scripts get the error object too.
      if (output !== 'table') {
        await writeUsageErrorObject(io, output, usageMessage ?? err.message.replace(/^error:\s*/, ''));
      }
      return ExitCode.USAGE;
    }
    return reportError(io, err, {
      verbose: argv.includes('-v') || argv.includes('--verbose'),
      output,
      invocation,
    });
  }
}
