/**
 * `mobius-deploy doctor`: checks the operator's setup (Node, kubeconfig, cluster, namespace, every
 * permission the CLI needs, metrics API, image pull secret and its age, Prometheus, backups) and
 * says how to fix each problem. Logic: run.ts and its checks-*.ts; the view: print.ts.
 */

import { type Command, Option } from 'commander';
import { API_TOKEN_ENV } from '../../../contract/http.js';
import { describeNamespace, durationParser, parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import { PVC_NAME } from '../../manifests/labels.js';

interface DoctorCommandOptions {
  pullSecret?: string;
  maxTokenAge?: number;
  maxRdbAge: number;
  prometheusUrl?: string;
  prometheusTokenFile?: string;
  url?: string;
  apiTokenSecret?: string;
  apiTokenKey?: string;
  deployment: string;
  pvc?: string;
}

export const doctorCommand = {
  register(program: Command): void {
    program
      .command('doctor')
      .description(
        "Check the operator's setup and say how to fix each problem: Node, kubeconfig, cluster, namespace, every permission the CLI needs, metrics API, image pull secret age, Prometheus, data volume and Redis persistence",
      )
      .option(
        '--pull-secret <name>',
        "image pull Secret to check (default: the Deployment's imagePullSecrets, else ghcr-pull)",
      )
      .addOption(
        new Option(
          '--max-token-age <days>',
          'rotation policy for the pull secret token (default: stamped on the Secret, else 30)',
        ).argParser(parsePositiveInt),
      )
      .addOption(
        new Option('--max-rdb-age <duration>', 'without AOF, the last Redis RDB save must be newer than this')
          .argParser(durationParser('m'))
          .default(24 * 3_600_000, '24h'),
      )
      .option('--prometheus-url <url>', 'also check that Prometheus answers /-/ready')
      .option(
        '--prometheus-token-file <file>',
        'bearer token for --prometheus-url (else $PROMETHEUS_TOKEN, or basic auth from $PROMETHEUS_USERNAME/$PROMETHEUS_PASSWORD)',
      )
      .option(
        '--url <url>',
        "read Redis persistence from a local worker's /v1/queue instead of the pod proxy",
      )
      .option(
        '--api-token-secret <name>',
        "Secret holding the worker's API token (default: from -e, else preview-worker-api-token)",
      )
      .option('--api-token-key <key>', 'key inside --api-token-secret', API_TOKEN_ENV)
      .addOption(deploymentOption())
      .option('--pvc <name>', 'the DATA_DIR PersistentVolumeClaim', PVC_NAME)
      .addHelpText(
        'after',
        `
Each check is pass, warn, fail or skip, with evidence and a fix line. Exit 0 when nothing fails
(warnings allowed), 1 when a check fails. The token for /v1/queue comes from $PREVIEW_API_TOKEN or
the API token Secret; it is never printed. Prometheus credentials: --prometheus-token-file, else
$PROMETHEUS_TOKEN (bearer; read -rs PROMETHEUS_TOKEN && export PROMETHEUS_TOKEN), else
$PROMETHEUS_USERNAME and $PROMETHEUS_PASSWORD (basic auth), else a user and password in the URL;
credentials in any URL are printed as ***.

-o json: { ok, namespace, context, server, checks: [ {name, status, evidence, fix?} ],
  permissions: [ {apiGroup, resource, verb, resourceName?, allowed, reason?, why} ], summary }

Examples:
  mobius-deploy doctor -e production
  mobius-deploy doctor -n staging --prometheus-url http://127.0.0.1:9090
  mobius-deploy doctor -e production --prometheus-url https://prometheus.example.com \\
      --prometheus-token-file ~/.config/mobius/prometheus-token
  mobius-deploy doctor -e production -o json | jq '.checks[] | select(.status != "pass")'`,
      )
      .action(
        runCommand<DoctorCommandOptions>(async (ctx, opts) => {
          const [{ runDoctor }, { renderDoctor }, { prometheusAuthFrom }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
            import('../../metrics/prometheus-auth.js'),
          ]);
          const environment = ctx.globals.environmentConfig as
            | import('../../manifests/environment.js').Environment
            | undefined;
          const result = await runDoctor({
            namespace: ctx.globals.namespace,
            namespaceChosen: describeNamespace(ctx.globals),
            environment,
            kube: () => ctx.kube(),
            pullSecret: opts.pullSecret,
            maxTokenAgeDays: opts.maxTokenAge,
            maxRdbAgeMs: opts.maxRdbAge,
            prometheusUrl: opts.prometheusUrl,
            prometheusAuth: opts.prometheusUrl
              ? prometheusAuthFrom({ tokenFile: opts.prometheusTokenFile, env: ctx.io.env })
              : undefined,
            workerUrl: opts.url,
            apiToken: ctx.io.env.PREVIEW_API_TOKEN || undefined,
            apiTokenSecret: opts.apiTokenSecret,
            apiTokenKey: opts.apiTokenKey,
            deployment: opts.deployment,
            pvc: opts.pvc,
            now: ctx.now,
          });
          return {
            data: result,
            exitCode: result.ok ? 0 : 1,
            render: () => renderDoctor(result, ctx.colors),
          };
        }),
      );
  },
};
