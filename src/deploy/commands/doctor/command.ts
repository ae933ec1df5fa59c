/**
 * `mobius-deploy doctor`: checks the operator's setup (Node, kubeconfig, cluster, namespace, every
 * permission the CLI needs, metrics API, image pull secret and its age, Prometheus, backups) and
 * says how to fix each problem. Logic: actions/doctor.ts.
 */

import { type Command, Option } from 'commander';
import { durationParser, parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import type { Colors } from '../../output/color.js';
import type { DoctorResult } from './run.js';

interface DoctorCommandOptions {
  pullSecret?: string;
  maxTokenAge?: number;
  maxRdbAge: number;
  prometheusUrl?: string;
  url?: string;
  apiTokenSecret?: string;
  apiTokenKey?: string;
  deployment: string;
  pvc?: string;
}

export function renderDoctor(r: DoctorResult, c: Colors): string {
  const mark = {
    pass: c.green('✔ pass'),
    warn: c.yellow('! warn'),
    fail: c.red('✖ fail'),
    skip: c.dim('- skip'),
  };
  const lines: string[] = [
    c.bold(`mobius-deploy doctor: namespace ${r.namespace}${r.context ? `, context ${r.context}` : ''}`),
  ];
  for (const check of r.checks) {
    lines.push(`${mark[check.status]}  ${check.name}: ${check.evidence}`);
    if (check.fix && check.status !== 'pass') lines.push(`          fix: ${check.fix}`);
    if (check.name === 'permissions') {
      // Every review, one line per resource: the verbs allowed and denied.
      const groups = new Map<string, { allowed: string[]; denied: string[]; why: string }>();
      for (const p of r.permissions) {
        const key = `${p.resource}${p.apiGroup ? `.${p.apiGroup}` : ''}${p.resourceName ? `/${p.resourceName}` : ''}`;
        const g = groups.get(key) ?? { allowed: [], denied: [], why: p.why };
        (p.allowed ? g.allowed : g.denied).push(p.verb);
        groups.set(key, g);
      }
      for (const [key, g] of groups) {
        const parts: string[] = [];
        if (g.allowed.length) parts.push(c.green(`allowed ${g.allowed.join(',')}`));
        if (g.denied.length) parts.push(c.red(`DENIED ${g.denied.join(',')}`));
        lines.push(`          ${key}: ${parts.join('; ')}${g.denied.length ? `  (needed: ${g.why})` : ''}`);
      }
    }
  }
  const s = r.summary;
  lines.push(
    '',
    `${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped: ${r.ok ? c.green('ready') : c.red('fix the failures above')}`,
  );
  return `${lines.join('\n')}\n`;
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
        '--url <url>',
        "read Redis persistence from a local worker's /v1/queue instead of the pod proxy",
      )
      .option(
        '--api-token-secret <name>',
        "Secret holding the worker's API token (default: from -e, else preview-worker-api-token)",
      )
      .option('--api-token-key <key>', 'key inside --api-token-secret', 'PREVIEW_API_TOKEN')
      .addOption(deploymentOption())
      .option('--pvc <name>', 'the DATA_DIR PersistentVolumeClaim', 'preview-worker-data')
      .addHelpText(
        'after',
        `
Each check is pass, warn, fail or skip, with evidence and a fix line. Exit 0 when nothing fails
(warnings allowed), 1 when a check fails. The token for /v1/queue comes from $PREVIEW_API_TOKEN or
the API token Secret; it is never printed.

-o json: { ok, namespace, context, server, checks: [ {name, status, evidence, fix?} ],
  permissions: [ {apiGroup, resource, verb, resourceName?, allowed, reason?, why} ], summary }

Examples:
  mobius-deploy doctor -e production
  mobius-deploy doctor -n staging --prometheus-url http://127.0.0.1:9090
  mobius-deploy doctor -e production -o json | jq '.checks[] | select(.status != "pass")'`,
      )
      .action(
        runCommand<DoctorCommandOptions>(async (ctx, opts) => {
          const { runDoctor } = await import('./run.js');
          const environment = ctx.globals.environmentConfig as
            | import('../../manifests/environment.js').Environment
            | undefined;
          const result = await runDoctor({
            namespace: ctx.globals.namespace,
            environment,
            kube: () => ctx.kube(),
            pullSecret: opts.pullSecret,
            maxTokenAgeDays: opts.maxTokenAge,
            maxRdbAgeMs: opts.maxRdbAge,
            prometheusUrl: opts.prometheusUrl,
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
