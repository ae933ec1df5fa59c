/**
 * `mobius-deploy verify`: a pass/fail checklist of a deployment (or of a worker URL), each line
 * with its evidence. The action is run.ts, the checklist health/verify.ts (reused by deploy and
 * rollback), the view print.ts.
 */

import { type Command, Option } from 'commander';
import { API_TOKEN_ENV, WORKER_PORT } from '../../../contract/http.js';
import { durationParser, parsePositiveInt } from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import { API_TOKEN_SECRET_NAME } from '../../manifests/labels.js';
import type { VerifyCommandOptions } from './run.js';

export const verifyCommand = {
  register(program: Command): void {
    program
      .command('verify')
      .description(
        "Check that the worker is rolled out and serving: namespace, rollout, pod readiness and restarts, Service endpoints, each pod's /livez and /readyz, /metrics, and (with --smoke) a dry-run preview job. Exits 1 when any check fails.",
      )
      .addOption(deploymentOption())
      .option(
        '--service <name>',
        'Service name (default: the Deployment name, else a Service selecting its pods)',
      )
      .option(
        '--url <url>',
        'check a worker directly at this URL instead of through the cluster (no kubeconfig needed)',
      )
      .addOption(
        new Option('--restart-window <duration>', 'a container restart within this window fails the check')
          .argParser(durationParser('m'))
          .default(10 * 60_000, '10m'),
      )
      .addOption(
        new Option('--timeout <duration>', 'timeout for each health request')
          .argParser(durationParser('ms'))
          .default(5000, '5s'),
      )
      .addOption(
        new Option('--smoke', 'also submit a dry-run preview job and wait for it to complete').default(false),
      )
      .addOption(
        new Option('--smoke-timeout <duration>', 'how long the smoke job may take')
          .argParser(durationParser('s'))
          .default(60_000, '60s'),
      )
      .option('--api-token <token>', 'bearer token for /v1 (default: $PREVIEW_API_TOKEN); never printed')
      .option('--api-token-secret <name>', 'read the bearer token from this Secret in the namespace')
      .option('--api-token-key <key>', 'key inside --api-token-secret', API_TOKEN_ENV)
      .option('--port <n>', "the worker's HTTP port (pod proxy)", parsePositiveInt, WORKER_PORT)
      .addHelpText(
        'after',
        `
Each check is pass, fail, warn or skip, with evidence. -o json gives the checklist for CI:
  { "passed": bool, "checks": [ { "name", "status", "evidence" } ], ... }

Examples:
  mobius-deploy verify --namespace production
  mobius-deploy verify -e staging --smoke --api-token-secret ${API_TOKEN_SECRET_NAME}
  mobius-deploy verify --url http://localhost:3000 --smoke -o json
  read -rs ${API_TOKEN_ENV} && export ${API_TOKEN_ENV}      # paste the token; nothing is echoed
  mobius-deploy verify -n production --smoke --smoke-timeout 2m`,
      )
      .action(
        runCommand<VerifyCommandOptions>(async (ctx, opts) => {
          const [{ runVerifyCommand }, { renderVerify }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
          ]);
          const result = await runVerifyCommand(ctx, opts);
          return { data: result, exitCode: result.passed ? 0 : 1, render: () => renderVerify(result, ctx) };
        }),
      );
  },
};
