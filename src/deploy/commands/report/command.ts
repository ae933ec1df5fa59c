/**
 * `mobius-deploy report`: the weekly or monthly delivery report (DORA keys, rollbacks and their
 * causes, durations, time to restore, lead time; monthly: infrastructure health) as Markdown, HTML
 * or JSON. Logic: run.ts; views: print.ts (markdown.ts, html.ts, svg.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { durationParser } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';

export interface ReportCommandOptions {
  period: 'week' | 'month';
  format?: 'md' | 'html' | 'json';
  out?: string;
  at?: Date;
  failureWindow: number;
  ledgerDir?: string;
  prometheusUrl?: string;
  prometheusTokenFile?: string;
  prometheusSelector?: string;
}

function parseAt(value: string): Date {
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(`expected an ISO-8601 time such as 2026-03-15T00:00:00Z, got "${value}".`);
  return new Date(t);
}

export const reportCommand = {
  register(program: Command): void {
    program
      .command('report')
      .description(
        'Weekly or monthly delivery report from the deployment ledger: deployments, success rate, change failure rate, rollbacks ranked by cause, deploy duration p50/p95, time to restore, lead time and the DORA bands, for the period and the one before it. The monthly report adds infrastructure health (Prometheus, else the current cluster state; as of a past --at, only Prometheus).',
      )
      .addOption(
        new Option('--period <period>', 'the report period (rolling: week = 7 days, month = 30 days)')
          .choices(['week', 'month'])
          .default('week'),
      )
      .addOption(
        new Option(
          '--format <format>',
          'md (GitHub job summaries), html (one self-contained file) or json',
        ).choices(['md', 'html', 'json']),
      )
      .option('--out <file>', 'write the report to this file instead of stdout')
      .option(
        '--at <time>',
        'the end of the period (ISO-8601; default now); the report counts only what had happened by then, so the same --at gives the same figures whenever it is run',
        parseAt,
      )
      .addOption(
        new Option(
          '--failure-window <duration>',
          'an incident opened this long after a deploy went live, while it was the live version, makes it a failed change',
        )
          .argParser(durationParser('m'))
          .default(24 * 3_600_000, '24h'),
      )
      .option('--ledger-dir <dir>', 'read the ledger from this directory (file driver) instead of ConfigMaps')
      .option('--prometheus-url <url>', 'Prometheus base URL for infrastructure health (monthly report)')
      .option(
        '--prometheus-token-file <file>',
        'bearer token for --prometheus-url (else $PROMETHEUS_TOKEN, or basic auth from $PROMETHEUS_USERNAME/$PROMETHEUS_PASSWORD)',
      )
      .option(
        '--prometheus-selector <matchers>',
        'PromQL label matchers for the worker series (default: namespace="<namespace>")',
      )
      .addHelpText(
        'after',
        `
Formats: md (default; also with -o table), html, json (also with -o json). --out FILE writes the
file and prints one line. JSON shape (schema "mobius-deploy/report@1"):
  { schema, kind: "DeploymentReport", generatedAt, period, now, failureWindowMs,
    scope: { namespace, environment }, thresholds: { source, deploymentFrequency: [ { band, label, minPerDay } ],
      leadTime|timeToRestore: [ { band, label, maxMs (null: no bound) } ], changeFailureRate: [ { band, label, max } ] },
    current|previous: { start, end, days,
      deployments: { completed, succeeded, rolledBack, failed, skipped, perWeek, successfulPerDay, inProgress: [...] },
      successRate|changeFailureRate: { value (0..1 or null = N/A), numerator, denominator },
      failedChanges: [ { deployId, startedAt, failureClass, reasons: [...] } ],
      rollbacks: { total, automatic, manual, causes: [ { cause, count, automatic, manual } ] },
      deployDuration|leadTime|timeToRestore: { count, p50Ms, p95Ms, maxMs, ... },
      incidents: { opened, byLevel, resolved }, bands: { deploymentFrequency|leadTime|changeFailureRate|timeToRestore: { band, value } },
      daily: [ { date, deploys, failedChanges } ], deploys: [ { id, startedAt, durationMs, failed } ] },
    clockSkew: [ { recordId, kind, problem, detail } ],
    infrastructure: null | { source: "prometheus"|"cluster", sourceDetail, restarts, oomKills, cpu, memory, alerts, jobs, notes },
    drills: { count, passed, failed, overdue, last: null | drill, items: [ drill ] } (rollback --drill; never in the DORA keys),
      drill = { id, startedAt, result, actor, fromImage, targetRevision, targetImage, rollbackMs, rollbackResult,
        rollForwardMs, rollForwardResult, durationMs, failureMessage },
    ledger: { driver, records, incidents, problems } }

Prometheus credentials: --prometheus-token-file, else $PROMETHEUS_TOKEN (bearer), else
$PROMETHEUS_USERNAME and $PROMETHEUS_PASSWORD (basic auth), else a user and password in the URL;
they are never printed (a URL's are shown as ***).

Examples:
  mobius-deploy report --env production --period week --format md >> "$GITHUB_STEP_SUMMARY"
  mobius-deploy report --env production --period month --format html --out report.html \\
      --prometheus-url http://prometheus.monitoring:9090
  mobius-deploy report --env production --period month --prometheus-url https://prom.example.com \\
      --prometheus-token-file ~/.config/mobius/prometheus-token
  mobius-deploy report -n production --ledger-dir ./ledger --at 2026-03-15T00:00:00Z --format json`,
      )
      .action(
        runCommand<ReportCommandOptions>(async (ctx, opts) => {
          const [{ runReport }, ledgerMod, { renderReport }, { PrometheusClient }, { prometheusAuthFrom }] =
            await Promise.all([
              import('./run.js'),
              import('../../ledger/index.js'),
              import('./print.js'),
              import('../../metrics/prometheus-client.js'),
              import('../../metrics/prometheus-auth.js'),
            ]);
          const ledger = ledgerMod.openLedger({
            namespace: ctx.globals.namespace,
            transport: opts.ledgerDir ? undefined : await ctx.kube(),
            ledgerDir: opts.ledgerDir,
          });
          const report = await runReport(
            {
              ledger,
              kube: () => ctx.kube(),
              ...(opts.prometheusUrl
                ? {
                    prometheus: new PrometheusClient({
                      baseUrl: opts.prometheusUrl,
                      auth: prometheusAuthFrom({ tokenFile: opts.prometheusTokenFile, env: ctx.io.env }),
                    }),
                  }
                : {}),
            },
            {
              period: opts.period,
              now: opts.at ?? new Date(ctx.now()),
              asOf: opts.at !== undefined,
              namespace: ctx.globals.namespace,
              environment: ctx.globals.environment,
              failureWindowMs: opts.failureWindow,
              prometheusSelector: opts.prometheusSelector,
            },
          );
          const format = opts.format ?? (ctx.globals.output === 'json' ? 'json' : 'md');
          const text = renderReport(report, format);
          if (opts.out) {
            const { writeFile } = await import('node:fs/promises');
            await writeFile(opts.out, text);
            const summary = { written: opts.out, format, bytes: Buffer.byteLength(text) };
            return {
              data: summary,
              render: () =>
                `wrote the ${opts.period}ly ${format} report to ${opts.out} (${summary.bytes} bytes)\n`,
            };
          }
          if (ctx.globals.output === 'yaml') return { data: report };
          ctx.io.stdout.write(text);
          return undefined;
        }),
      );
  },
};
