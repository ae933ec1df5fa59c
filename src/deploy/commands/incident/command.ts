/**
 * `mobius-deploy incident open|update|resolve|list|show`: the playbook's incidents, stored in the
 * deployment ledger (ConfigMaps in the namespace, or --ledger-dir). Logic: actions/incident.ts.
 */
import { type Command, Option } from 'commander';
import { durationParser } from '../../cli/global-options.js';
import { type CommandContext, runCommand } from '../../cli/run-command.js';
import type { Colors } from '../../output/color.js';
import type {
  IncidentContext,
  IncidentGuidance,
  IncidentListResult,
  IncidentOutcome,
  IncidentReport,
} from './run.js';

interface LedgerOptions {
  ledgerDir?: string;
  actor?: string;
}

async function incidentContext(ctx: CommandContext, opts: LedgerOptions): Promise<IncidentContext> {
  const ledgerMod = await import('../../ledger/index.js');
  const pctx = await ledgerMod.processProvenanceContext();
  const { actor } = ledgerMod.resolveProvenance({ actor: opts.actor }, { ...pctx, env: ctx.io.env });
  const ledger = ledgerMod.openLedger({
    namespace: ctx.globals.namespace,
    transport: opts.ledgerDir ? undefined : await ctx.kube(),
    ledgerDir: opts.ledgerDir,
  });
  return {
    ledger,
    namespace: ctx.globals.namespace,
    environment: ctx.globals.environment ?? null,
    actor,
    now: ctx.now,
    where: opts.ledgerDir ? `--ledger-dir ${opts.ledgerDir}` : 'the ledger ConfigMaps',
  };
}

function guidanceLines(g: IncidentGuidance, c: Colors, status: string): string[] {
  const lines = [`Level ${g.level} (${g.name}): ${g.meaning}`, `Playbook: ${g.response}`];
  if (status !== 'open') return lines;
  if (g.level === 1 && g.escalateAt) {
    lines.push(
      g.escalate
        ? c.red(`ESCALATE: open for more than 30 minutes (since ${g.escalateAt}); raise it to level 2.`)
        : `Escalate at ${g.escalateAt} if it is still open.`,
    );
  }
  if (g.rollbackCommand) lines.push('Suggested rollback:', `  ${c.bold(g.rollbackCommand)}`);
  if (g.escalationSteps) {
    lines.push(c.red('Escalation steps:'));
    g.escalationSteps.forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s}`);
    });
  }
  return lines;
}

function renderOutcome(o: IncidentOutcome, c: Colors): string {
  const i = o.incident;
  const lines = [
    o.message,
    `  id:       ${i.id}`,
    `  status:   ${i.status}`,
    `  summary:  ${i.summary}`,
    ...(i.relatedDeployId ? [`  deploy:   ${i.relatedDeployId}`] : []),
    ...(i.cause ? [`  cause:    ${i.cause}`] : []),
    '',
    ...guidanceLines(o.guidance, c, i.status),
  ];
  return `${lines.join('\n')}\n`;
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
Examples:
  mobius-deploy incident open -e production --level 2 --summary "renders fail with 500" --deploy <deploy-id>
  mobius-deploy incident update <id> -e production --note "rolled back to 1.4.2" --level 1
  mobius-deploy incident resolve <id> -e production --cause "missing font in image 1.5.0"
  mobius-deploy incident list -e production --open
  mobius-deploy incident show <id> -e production > postmortem.md`,
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
        '\n-o json: { incident: {id, level, summary, status, openedAt, ...}, guidance, message }',
      )
      .action(
        runCommand<LedgerOptions & { level: string; summary: string; deploy?: string; impact?: string }>(
          async (ctx, opts) => {
            const act = await import('./run.js');
            const level = act.parseIncidentLevel(opts.level);
            const ictx = await incidentContext(ctx, opts);
            const out = await act.openIncident(ictx, {
              level,
              summary: opts.summary,
              deployId: opts.deploy,
              impact: opts.impact,
            });
            return { data: out, render: () => renderOutcome(out, ctx.colors) };
          },
        ),
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
      .action(
        runCommand<LedgerOptions & { note?: string; level?: string; impact?: string; action?: string[] }>(
          async (ctx, opts, args) => {
            const act = await import('./run.js');
            const level = opts.level === undefined ? undefined : act.parseIncidentLevel(opts.level);
            const ictx = await incidentContext(ctx, opts);
            const out = await act.updateIncident(ictx, args[0], {
              note: opts.note,
              level,
              impact: opts.impact,
              action: opts.action,
            });
            return { data: out, render: () => renderOutcome(out, ctx.colors) };
          },
        ),
      );

    incident
      .command('resolve')
      .description('Resolve an incident with its root cause (time to restore ends now)')
      .argument('<id>', 'incident id (or a unique prefix/suffix of it)')
      .requiredOption('--cause <text>', 'the root cause')
      .option('--note <text>', 'a last timeline note (how it was restored)')
      .addOption(ledgerDirOption())
      .addOption(actorOption())
      .action(
        runCommand<LedgerOptions & { cause: string; note?: string }>(async (ctx, opts, args) => {
          const act = await import('./run.js');
          const ictx = await incidentContext(ctx, opts);
          const out = await act.resolveIncident(ictx, args[0], { cause: opts.cause, note: opts.note });
          return { data: out, render: () => renderOutcome(out, ctx.colors) };
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
-o json: { namespace, incidents: [ { id, level, status, summary, openedAt, resolvedAt?, durationMs, escalate } ], escalate: [ids], problems }`,
      )
      .action(
        runCommand<LedgerOptions & { open?: boolean; since?: number }>(async (ctx, opts) => {
          const [act, { renderTable }, { humanDuration }] = await Promise.all([
            import('./run.js'),
            import('../../output/table.js'),
            import('../../output/duration.js'),
          ]);
          const ictx = await incidentContext(ctx, opts);
          const result = await act.listIncidentEntries(ictx, {
            openOnly: opts.open,
            since: opts.since === undefined ? undefined : new Date(ctx.now() - opts.since),
          });
          const render = (r: IncidentListResult) => {
            const c = ctx.colors;
            if (r.incidents.length === 0)
              return `No incidents in ${r.namespace}${opts.open ? ' open' : ''}.\n`;
            const table = renderTable(
              [
                { header: 'id' },
                { header: 'level' },
                { header: 'status' },
                { header: 'opened' },
                { header: 'duration', align: 'right' },
                { header: 'flag' },
                { header: 'summary', flex: true },
              ],
              r.incidents.map((i) => [
                i.id,
                String(i.level),
                i.status === 'open' ? c.yellow(i.status) : c.green(i.status),
                i.openedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
                humanDuration(i.durationMs),
                i.escalate ? c.red('escalate') : '',
                i.summary,
              ]),
              { width: ctx.width },
            );
            const lines = [table.trimEnd()];
            for (const id of r.escalate) {
              lines.push(
                c.red(
                  `ESCALATE ${id}: level 1 open over 30 minutes; raise it: mobius-deploy incident update ${id} --level 2 --note "..."`,
                ),
              );
            }
            for (const p of r.problems)
              lines.push(c.yellow(`warning: skipped ledger entry ${p.location}: ${p.message}`));
            return `${lines.join('\n')}\n`;
          };
          return {
            data: result,
            exitCode: result.escalate.length > 0 ? 1 : 0,
            render: () => render(result),
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
        '\n-o json: { incident, guidance, window, durationMs, timeToRestoreMs?, timeline: [ {at, source, by?, text} ], changes, events, eventsNote?, markdown }',
      )
      .action(
        runCommand<LedgerOptions & { events: boolean }>(async (ctx, opts, args) => {
          const act = await import('./run.js');
          const ictx = await incidentContext(ctx, opts);
          let events: { events?: import('./run.js').WarningEvent[]; note?: string } = {};
          if (!opts.events) events = { note: 'not read (--no-events)' };
          else {
            try {
              const kube = await ctx.kube();
              events = { events: await act.readWarningEvents(kube, ctx.globals.namespace) };
            } catch (err) {
              events = {
                note: `the cluster could not be read (${err instanceof Error ? err.message : String(err)})`,
              };
              ctx.debug(`events: ${String(err)}`);
            }
          }
          const report = await act.buildIncidentReport(ictx, args[0], events);
          return { data: report, render: (r) => (r as IncidentReport).markdown };
        }),
      );
  },
};
