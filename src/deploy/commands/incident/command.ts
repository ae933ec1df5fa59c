/**
 * `mobius-deploy incident open|update|resolve|list|show`: the playbook's incidents, stored in the
 * deployment ledger (ConfigMaps in the namespace, or --ledger-dir). Deciding: run.ts (open, update,
 * resolve, list), run-report.ts and show.ts (the report), errors.ts; the views: print.ts.
 */
import { type Command, Option } from 'commander';
import { durationParser } from '../../cli/global-options.js';
import { targetOptions } from '../../cli/invocation.js';
import { type CommandContext, runCommand } from '../../cli/run-command.js';
import type { IncidentLedgerOptions, IncidentLedgerSource } from './run.js';
import type { IncidentReport } from './run-report.js';

/** What opening the ledger needs from the command's context. */
function ledgerSource(ctx: CommandContext): IncidentLedgerSource {
  return {
    namespace: ctx.globals.namespace,
    environment: ctx.globals.environment,
    env: ctx.io.env,
    now: ctx.now,
    kube: () => ctx.kube(),
    targetOptions: (ledgerDir) =>
      targetOptions({
        namespace: ctx.globals.namespace,
        ledgerDir,
        context: ctx.globals.context,
        kubeconfig: ctx.globals.kubeconfig,
      }),
  };
}

const ledgerDirOption = () =>
  new Option(
    '--ledger-dir <dir>',
    'keep the ledger in this directory instead of ConfigMaps in the namespace',
  );
const actorOption = () =>
  new Option('--actor <name>', 'who is writing (default: $MOBIUS_DEPLOY_ACTOR, the CI actor, or user@host)');

export const incidentCommand = {
  register(program: Command): void {
    const incident = program
      .command('incident')
      .description(
        'Open, update, resolve, list and report incidents (stored in the deployment ledger). Levels: 1 minor (escalate after 30 minutes), 2 major (roll back), 3 critical (outage, breach or data loss).',
      )
      .addHelpText(
        'after',
        `
Incident ids look like inc-20260315-021400-k3f9 (\`incident list\` shows them; a unique prefix
or suffix of an id is enough); deploy ids come from \`history\`. Every subcommand works on the
namespace's incidents only (with -e: of that environment or of none, as \`report\` counts them), also
in a --ledger-dir shared by several namespaces.

Examples:
  mobius-deploy incident open -e production --level 2 --summary "renders fail with 500" --deploy 20260315t020100000z-00-k3x9qa2m
  mobius-deploy incident update inc-20260315-021400-k3f9 -e production --note "rolled back to 1.4.2" --level 1
  mobius-deploy incident resolve inc-20260315-021400-k3f9 -e production --cause "missing font in image 1.5.0"
  mobius-deploy incident list -e production --open
  mobius-deploy incident show inc-20260315-021400-k3f9 -e production > postmortem.md`,
      );

    incident
      .command('open')
      .description('Open an incident (prints what the playbook says to do for its level)')
      .requiredOption('--level <n>', 'incident level: 1 (minor), 2 (major) or 3 (critical)')
      .requiredOption('--summary <text>', 'what is wrong, in one sentence')
      .option('--deploy <id>', 'the ledger id of the deploy it relates to')
      .option('--impact <text>', 'who or what is affected')
      .addOption(ledgerDirOption())
      .addOption(actorOption())
      .addHelpText(
        'after',
        `
-o json: { incident: {id, level, summary, status, openedAt, ...}, guidance, message }

Examples:
  mobius-deploy incident open -e production --level 1 --summary "renders slow since 14:00"
  mobius-deploy incident open -e production --level 2 --summary "renders fail with 500" --impact "all previews" --deploy 20260315t020100000z-00-k3x9qa2m
  mobius-deploy incident open -n staging --ledger-dir ./ledger --level 3 --summary "artifacts lost" -o json`,
      )
      .action(
        runCommand<
          IncidentLedgerOptions & { level: string; summary: string; deploy?: string; impact?: string }
        >(async (ctx, opts) => {
          const [act, view] = await Promise.all([import('./run.js'), import('./print.js')]);
          const level = act.parseIncidentLevel(opts.level);
          const ictx = await act.openIncidentContext(ledgerSource(ctx), opts);
          const out = await act.openIncident(ictx, {
            level,
            summary: opts.summary,
            deployId: opts.deploy,
            impact: opts.impact,
          });
          return { data: out, render: () => view.renderOutcome(out, ctx.colors) };
        }),
      );

    incident
      .command('update')
      .description('Add a note to an incident, change its level, impact or action items')
      .argument('<id>', 'incident id (or a unique prefix/suffix of it)')
      .option('--note <text>', 'a timeline note')
      .option('--level <n>', 'new level: 1, 2 or 3')
      .option('--impact <text>', 'who or what is affected (replaces the previous text)')
      .option('--action <text...>', 'action items to add')
      .addOption(ledgerDirOption())
      .addOption(actorOption())
      .addHelpText(
        'after',
        `
Examples:
  mobius-deploy incident update inc-20260315-021400-k3f9 -e production --note "rolled back to 1.4.2"
  mobius-deploy incident update k3f9 -e production --level 1 --impact "only mp4 previews"
  mobius-deploy incident update k3f9 -e production --action "alert on font errors" "add a font check to CI"`,
      )
      .action(
        runCommand<
          IncidentLedgerOptions & { note?: string; level?: string; impact?: string; action?: string[] }
        >(async (ctx, opts, args) => {
          const [act, view] = await Promise.all([import('./run.js'), import('./print.js')]);
          const level = opts.level === undefined ? undefined : act.parseIncidentLevel(opts.level);
          const ictx = await act.openIncidentContext(ledgerSource(ctx), opts);
          const out = await act.updateIncident(ictx, args[0], {
            note: opts.note,
            level,
            impact: opts.impact,
            action: opts.action,
          });
          return { data: out, render: () => view.renderOutcome(out, ctx.colors) };
        }),
      );

    incident
      .command('resolve')
      .description('Resolve an incident with its root cause (time to restore ends now)')
      .argument('<id>', 'incident id (or a unique prefix/suffix of it)')
      .requiredOption('--cause <text>', 'the root cause')
      .option('--note <text>', 'a last timeline note (how it was restored)')
      .addOption(ledgerDirOption())
      .addOption(actorOption())
      .addHelpText(
        'after',
        `
Examples:
  mobius-deploy incident resolve inc-20260315-021400-k3f9 -e production --cause "missing font in image 1.5.0"
  mobius-deploy incident resolve k3f9 -e production --cause "Redis out of memory" --note "raised maxmemory, drained the queue"`,
      )
      .action(
        runCommand<IncidentLedgerOptions & { cause: string; note?: string }>(async (ctx, opts, args) => {
          const [act, view] = await Promise.all([import('./run.js'), import('./print.js')]);
          const ictx = await act.openIncidentContext(ledgerSource(ctx), opts);
          const out = await act.resolveIncident(ictx, args[0], { cause: opts.cause, note: opts.note });
          return { data: out, render: () => view.renderOutcome(out, ctx.colors) };
        }),
      );

    incident
      .command('list')
      .description('List incidents, newest first; flags level-1 incidents open over 30 minutes as "escalate"')
      .option('--open', 'only open incidents')
      .addOption(
        new Option('--since <duration>', 'only incidents opened within this long (30d, 12h)').argParser(
          durationParser('m'),
        ),
      )
      .addOption(ledgerDirOption())
      .addHelpText(
        'after',
        `
Exit code 1 when an open incident must be escalated (level 1 open over 30 minutes), else 0.
-o json: { namespace, environment (the -e scope, or null), incidents: [ { id, level, status, summary, openedAt, resolvedAt?, durationMs, escalate } ], escalate: [ids], problems }

Examples:
  mobius-deploy incident list -e production --open
  mobius-deploy incident list -e production --since 30d
  mobius-deploy incident list -n staging --ledger-dir ./ledger -o json | jq '.escalate'`,
      )
      .action(
        runCommand<IncidentLedgerOptions & { open?: boolean; since?: number }>(async (ctx, opts) => {
          const [act, view] = await Promise.all([import('./run.js'), import('./print.js')]);
          const ictx = await act.openIncidentContext(ledgerSource(ctx), opts);
          const result = await act.listIncidentEntries(ictx, {
            openOnly: opts.open,
            since: opts.since === undefined ? undefined : new Date(ctx.now() - opts.since),
          });
          return {
            data: result,
            exitCode: result.escalate.length > 0 ? 1 : 0,
            render: () =>
              view.renderIncidentList(result, ctx.colors, {
                width: ctx.width,
                openOnly: opts.open,
                target: ictx.target,
              }),
          };
        }),
      );

    incident
      .command('show')
      .description(
        'Print the post-incident report draft (markdown): level, timeline from the notes, the ledger and Warning events, impact, root cause, time to restore, action items',
      )
      .argument('<id>', 'incident id (or a unique prefix/suffix of it)')
      .option('--no-events', 'do not read Kubernetes events')
      .addOption(ledgerDirOption())
      .addHelpText(
        'after',
        `
-o json: { incident, guidance, window, durationMs, timeToRestoreMs?, timeline: [ {at, source, by?, text} ], changes, events, eventsNote?, markdown }

Examples:
  mobius-deploy incident show inc-20260315-021400-k3f9 -e production > postmortem.md
  mobius-deploy incident show k3f9 -e production --no-events
  mobius-deploy incident show k3f9 -n staging --ledger-dir ./ledger -o json | jq '.timeToRestoreMs'`,
      )
      .action(
        runCommand<IncidentLedgerOptions & { events: boolean }>(async (ctx, opts, args) => {
          const [act, show] = await Promise.all([import('./run.js'), import('./show.js')]);
          const ictx = await act.openIncidentContext(ledgerSource(ctx), opts);
          const report = await show.showIncident(ictx, args[0], {
            readEvents: opts.events,
            kube: () => ctx.kube(),
            debug: (message) => ctx.debug(message),
          });
          return { data: report, render: (r) => (r as IncidentReport).markdown };
        }),
      );
  },
};
