/**
 * `mobius-deploy patterns [FILE ...|-]`: mine log files or standard input into recurring
 * templates, with the miner and the table of `logs --patterns`. Reading: run.ts; the view: print.ts;
 * parsing and mining: src/deploy/patterns/.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { runCommand } from '../../cli/run-command.js';

export interface PatternsCommandOptions {
  top?: number;
  assign?: string;
  failOnErrors?: boolean;
}

function parsePositive(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) === 0) {
    throw new InvalidArgumentError(`expected a whole number > 0, got "${value}".`);
  }
  return Number(value);
}

export const patternsCommand = {
  register(program: Command): void {
    program
      .command('patterns')
      .description(
        'Group the lines of log files or standard input into recurring templates, error-level first, then by count: the same miner and table as logs --patterns, for any log (a saved incident log, kubectl logs, a gzip file). JSON lines (pino and others) are mined by their msg and keys, other lines as they are, with the level word they start with (ERROR, [warn], level=info, Error:) as their level.',
      )
      .argument('[files...]', 'log files (plain or gzip, told by content); - or none reads standard input')
      .option('--top <n>', 'show only the first n templates', parsePositive)
      .option(
        '--assign <file>',
        'also write one JSON line per input line, {"source","line","template"} (the template id; null for an empty line), to this file; - for standard output instead of the table',
      )
      .option('--fail-on-errors', 'exit 1 when any mined line is at error level or above')
      .addHelpText(
        'after',
        `
Output: a header, then one row per template: level, count, first and last seen (from the lines'
JSON time, "-" without one), lines per file (with more than one file) and the template, where
<*> and typed masks (<NUM>, <IP>, <ID>, ...) mark the variable parts.
-o json|yaml gives {sources, linesRead, linesMined, errorLines, templates: [{id, template, level,
count, firstSeen, lastSeen, pods: {source: count}, example}], dropped, notes}.
Memory is bounded: past a cap of distinct line shapes the rarest are dropped, with a note
"N templates dropped" on stderr and in "dropped".
Exit codes: 0 (also with error lines, unless --fail-on-errors: then 1), 2 bad flags or a file
that is missing or unreadable (named in the message).

Examples:
  mobius-deploy patterns incident.log
  kubectl logs deploy/preview-worker -n production | mobius-deploy patterns -
  mobius-deploy patterns worker-1.log.gz worker-2.log --top 20
  mobius-deploy patterns app.log -o json | jq '.templates[] | select(.level=="error")'
  mobius-deploy patterns app.log --assign assignments.ndjson`,
      )
      .action(
        runCommand<PatternsCommandOptions>(async (ctx, opts, args) => {
          const { mineLogFiles } = await import('./run.js');
          const { renderAssignment, renderFilePatterns, renderNote } = await import('./print.js');
          const files = args.length === 0 ? ['-'] : args;
          const assignToStdout = opts.assign === '-';
          let write: ((s: string) => void) | undefined;
          let close: (() => Promise<void>) | undefined;
          if (opts.assign !== undefined && !assignToStdout) {
            const { openAssignFile } = await import('./assign-file.js');
            ({ write, close } = await openAssignFile(opts.assign));
          } else if (assignToStdout) {
            write = (s) => ctx.io.stdout.write(s);
          }
          let result: Awaited<ReturnType<typeof mineLogFiles>>;
          try {
            result = await mineLogFiles(
              { sources: files.map((name) => ({ name })), stdin: process.stdin, assign: write !== undefined },
              write ? (a) => write(renderAssignment(a)) : undefined,
            );
          } finally {
            await close?.();
          }
          if (!ctx.globals.quiet) for (const n of result.notes) ctx.io.stderr.write(renderNote(n));
          const exitCode = opts.failOnErrors && result.errorLines > 0 ? 1 : 0;
          if (assignToStdout) return exitCode;
          const data = opts.top ? { ...result, templates: result.templates.slice(0, opts.top) } : result;
          return {
            data,
            exitCode,
            render: (d, c) => renderFilePatterns(d as typeof data, c.colors, c.width),
          };
        }),
      );
  },
};
