/**
 * `mobius-deploy logs`: the merged logs of every pod of the worker Deployment, filtered, shown
 * readably, followed, or mined into recurring templates (--patterns). Reading: run.ts (once and
 * --patterns) and follow.ts; the views: print.ts and print-patterns.ts; parsing, formatting and
 * mining: src/deploy/patterns/.
 */

import { type Command, InvalidArgumentError } from 'commander';
import { durationParser } from '../../cli/global-options.js';
import type { CommandContext } from '../../cli/run-command.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import { parseLevelOption } from '../../patterns/log-record.js';
import { InvalidDurationError, parseDurationSeconds } from '../../patterns/log-since.js';
import type { LogsResult } from './types.js';

export interface LogsCommandOptions {
  deployment: string;
  container?: string;
  tail?: number;
  since?: number;
  timestamps?: boolean;
  follow?: boolean;
  previous?: boolean;
  grep?: RegExp;
  exclude?: RegExp;
  level?: number;
  patterns?: boolean;
  raw?: boolean;
  failOnErrors?: boolean;
  top?: number;
  giveUpAfter?: number;
}

function parseTail(value: string): number {
  const v = value.trim();
  if (v === '-1' || v === 'all') return -1;
  if (!/^\d+$/.test(v))
    throw new InvalidArgumentError(`expected a number of lines >= 0 (or -1 for all), got "${value}".`);
  return Number(v);
}

function parseRegex(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (err) {
    throw new InvalidArgumentError(`not a valid regular expression: ${(err as Error).message}.`);
  }
}

function parseSince(value: string): number {
  try {
    return parseDurationSeconds(value);
  } catch (err) {
    if (err instanceof InvalidDurationError) {
      throw new InvalidArgumentError(`expected a duration such as 10s, 30m, 1h or 1h30m, got "${value}".`);
    }
    throw err;
  }
}

function parseLevel(value: string): number {
  const level = parseLevelOption(value);
  if (level === undefined) {
    throw new InvalidArgumentError(`expected one of trace, debug, info, warn, error, fatal, got "${value}".`);
  }
  return level;
}

function parsePositive(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) === 0) {
    throw new InvalidArgumentError(`expected a whole number > 0, got "${value}".`);
  }
  return Number(value);
}

export const logsCommand = {
  register(program: Command): void {
    program
      .command('logs')
      .description(
        "Show the logs of every pod of the worker Deployment (found by its label selector), merged and prefixed with the pod name; the worker's JSON lines are shown readably. --patterns groups them into recurring templates, error-level first.",
      )
      .addOption(deploymentOption('Deployment whose pods to read'))
      .option('-c, --container <name>', 'container to read (default: the default container of each pod)')
      .option(
        '--tail <n>',
        'lines per pod from the end; -1 for all (default 100; all with --patterns)',
        parseTail,
      )
      .option('--since <duration>', 'only lines newer than this: 10s, 30m, 1h, 1h30m', parseSince)
      .option('--timestamps', "prefix every line with the API server's timestamp (RFC3339)")
      .option(
        '-f, --follow',
        'keep streaming: picks up new pods of a rollout, drops deleted ones, reconnects cut streams; Ctrl-C ends',
      )
      .option(
        '--give-up-after <duration>',
        'with -f: exit 5 once the Kubernetes API has been unreachable this long (30s, 10m, 1h; default 5m)',
        durationParser('s'),
      )
      .option('-p, --previous', 'read the last terminated container of each pod (after a crash or restart)')
      .option('--grep <regex>', 'only lines matching this regular expression (JavaScript syntax)', parseRegex)
      .option('--exclude <regex>', 'drop lines matching this regular expression', parseRegex)
      .option(
        '--level <level>',
        "only lines at this level or above (trace, debug, info, warn, error, fatal): a JSON line's level, or the level word a plain line starts with (ERROR, [warn], level=info, Error:); lines with no level are kept",
        parseLevel,
      )
      .option(
        '--patterns',
        'group the lines into templates ranked error-level first, then by count (the miner of `patterns`)',
      )
      .option('--top <n>', 'with --patterns: show only the first n templates', parsePositive)
      .option(
        '--raw',
        'print JSON lines exactly as the worker wrote them instead of HH:MM:SS LEVEL msg key=value',
      )
      .option('--fail-on-errors', 'exit 1 when any shown (or mined) line is at error level or above')
      .addHelpText(
        'after',
        `
Output: "<pod> | <line>". The worker's JSON lines read as "HH:MM:SS LEVEL msg key=value ..." (UTC);
other lines are shown as they are. -o json prints one JSON object per line (NDJSON):
  {"pod","container","time","level","msg","fields"}
With --patterns, -o json|yaml gives {pods, linesMined, templates: [{template, level, count,
firstSeen, lastSeen, pods: {name: count}, example}], notes}.

With -f, a lost connection to the Kubernetes API is said once, then every so often with how long it
has been gone (30s after the loss, then at intervals doubling up to 5m), and once when it is back; streams
reconnect with backoff and resume from each pod's last line. After --give-up-after (default 5m)
unreachable, logs exits 5 saying since when.

Exit codes: 0 (also when error lines are present, unless --fail-on-errors: then 1), 1 no pods or
deployment, 2 bad flags (an invalid --grep/--exclude regex too), 5 cluster unreachable or access
denied (for example RBAC verb get on pods/log), or with -f unreachable for --give-up-after.

Examples:
  mobius-deploy logs --namespace production --tail 100
  mobius-deploy logs -n production --level warn --since 1h
  mobius-deploy logs -n production -f --grep 'job (failed|retrying)'
  mobius-deploy logs -n production -f --give-up-after 30m
  mobius-deploy logs -n production --previous
  mobius-deploy logs -n production --patterns --since 24h --fail-on-errors
  mobius-deploy logs -n production -o json | jq -r 'select(.level=="error") | .msg'`,
      )
      .action(
        runCommand<LogsCommandOptions>(async (ctx, opts) => {
          const { UsageError } = await import('../../errors.js');
          const output = ctx.globals.output;
          if (opts.patterns && opts.follow) {
            throw new UsageError('--patterns reads the logs once; it cannot be combined with --follow.');
          }
          if (opts.previous && opts.follow) {
            throw new UsageError(
              '--previous reads a terminated container, which cannot be followed; drop --follow.',
            );
          }
          if (!opts.patterns && output === 'yaml') {
            throw new UsageError(
              'logs prints lines as text or NDJSON: use -o table (default) or -o json (or --patterns -o yaml).',
            );
          }
          if (opts.top !== undefined && !opts.patterns)
            throw new UsageError('--top applies to --patterns only.');
          if (opts.giveUpAfter !== undefined && !opts.follow)
            throw new UsageError('--give-up-after applies to --follow only.');
          if (opts.giveUpAfter !== undefined && opts.giveUpAfter <= 0)
            throw new UsageError('--give-up-after must be longer than 0 (for example 30s or 10m).');
          // Default 100 per pod as in the playbook; --patterns reads everything unless told; -1 = all.
          const tail =
            opts.tail === undefined
              ? opts.patterns
                ? undefined
                : 100
              : opts.tail < 0
                ? undefined
                : opts.tail;
          const request = {
            namespace: ctx.globals.namespace,
            deployment: opts.deployment,
            container: opts.container,
            tail,
            sinceSeconds: opts.since,
            previous: opts.previous,
            grep: opts.grep,
            exclude: opts.exclude,
            minLevel: opts.level,
          };
          const actions = await import('./run.js');
          const following = opts.follow ? await import('./follow.js') : undefined;
          const clients = await ctx.kube();
          try {
            if (opts.patterns) {
              const result = await actions.mineDeploymentLogPatterns(clients, request);
              const [{ renderPatterns }, { renderNote }] = await Promise.all([
                import('./print-patterns.js'),
                import('./print.js'),
              ]);
              const data = opts.top ? { ...result, templates: result.templates.slice(0, opts.top) } : result;
              writeNotes(ctx, result.notes, renderNote);
              return {
                data,
                exitCode: opts.failOnErrors && result.errorLines > 0 ? 1 : 0,
                render: (d: unknown, c: CommandContext) =>
                  renderPatterns(d as typeof data, c.colors, c.width),
              };
            }
            const { createLinePrinter, renderNoLines, renderNote } = await import('./print.js');
            const print = createLinePrinter({
              colors: ctx.colors,
              json: output === 'json',
              raw: opts.raw === true,
              timestamps: opts.timestamps === true,
            });
            // `logs | head`: a closed stdout ends the command quietly instead of crashing on EPIPE.
            let closed = false;
            const controller = new AbortController();
            const onStdoutError = (err: NodeJS.ErrnoException) => {
              if (err.code === 'EPIPE') {
                closed = true;
                controller.abort();
              }
            };
            if (ctx.io.stdout === process.stdout) process.stdout.on('error', onStdoutError);
            const write = (e: Parameters<typeof print>[0]) => {
              if (!closed) ctx.io.stdout.write(print(e));
            };
            let result: LogsResult;
            if (following) {
              const onSignal = () => controller.abort();
              process.once('SIGINT', onSignal);
              process.once('SIGTERM', onSignal);
              try {
                result = await following.followDeploymentLogs(
                  clients,
                  { ...request, signal: controller.signal, giveUpAfterMs: opts.giveUpAfter },
                  write,
                  (n) => writeNotes(ctx, [n], renderNote),
                );
              } finally {
                process.removeListener('SIGINT', onSignal);
                process.removeListener('SIGTERM', onSignal);
              }
            } else {
              result = await actions.readDeploymentLogs(
                clients,
                { ...request, signal: controller.signal },
                write,
              );
              writeNotes(ctx, result.notes, renderNote);
            }
            if (result.linesShown === 0 && !ctx.globals.quiet && output === 'table') {
              ctx.io.stderr.write(renderNoLines(result));
            }
            return opts.failOnErrors && result.errorLines > 0 ? 1 : 0;
          } finally {
            clients.closeStreams();
          }
        }),
      );
  },
};

/** Notes (a pod without a previous container, a pod added or deleted, a reconnect) go to stderr. */
function writeNotes(
  ctx: CommandContext,
  notes: Array<{ message: string }>,
  renderNote: (note: { message: string }) => string,
): void {
  if (ctx.globals.quiet) return;
  for (const n of notes) ctx.io.stderr.write(renderNote(n));
}
