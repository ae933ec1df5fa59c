/**
 * `mobius-deploy status`: the Deployment, its pods, resource use, autoscaler, queue and recent
 * warnings at a glance; exit 1 when anything needs attention. Options → run.ts (the action, over
 * health/status-read.ts) → print.ts (the view).
 */

import { type Command, Option } from 'commander';
import {
  durationParser,
  parseNonNegativeInt,
  parsePercent,
  parsePositiveInt,
} from '../../cli/global-options.js';
import { runCommand } from '../../cli/run-command.js';
import { deploymentOption } from '../../cli/shared-options.js';
import {
  DEFAULT_EVENTS_SINCE_MS,
  DEFAULT_PROXY_TIMEOUT_MS,
  DEFAULT_QUEUE_PODS,
  DEFAULT_THRESHOLDS,
} from '../../health/status-types.js';
import { DEFAULT_SELECTOR } from '../../kube/find-deployment.js';
import { HTTP_PORT } from '../../manifests/labels.js';
import type { StatusCommandOptions } from './run.js';

/** `--queue-pods 5` or `--queue-pods all` (0: every running pod). */
function parseQueuePods(value: string): number {
  if (value.trim().toLowerCase() === 'all') return 0;
  return parsePositiveInt(value);
}

export const statusCommand = {
  register(program: Command): void {
    program
      .command('status')
      .description(
        'Show the worker Deployment, pods (with the reason when one is unhealthy), resource use against requests and limits, the autoscaler, the queue and recent warnings. Exits 1 when anything needs attention.',
      )
      .addOption(deploymentOption())
      .option(
        '-l, --selector <labels>',
        'label selector to find the Deployment when --deployment is not found',
        DEFAULT_SELECTOR,
      )
      .option(
        '--warn-cpu <percent>',
        'warn when a pod uses more than this % of its CPU limit',
        parsePercent,
        DEFAULT_THRESHOLDS.warnCpuPercent,
      )
      .option(
        '--warn-memory <percent>',
        'warn when a pod uses more than this % of its memory limit',
        parsePercent,
        DEFAULT_THRESHOLDS.warnMemoryPercent,
      )
      .option(
        '--max-restarts <n>',
        'container restarts tolerated within --restart-window',
        parseNonNegativeInt,
        DEFAULT_THRESHOLDS.maxRestarts,
      )
      .addOption(
        new Option('--restart-window <duration>', 'how far back restarts count (e.g. 60m, 2h)')
          .argParser(durationParser('m'))
          .default(DEFAULT_THRESHOLDS.restartWindowMs, '60m'),
      )
      .addOption(
        new Option('--events-since <duration>', 'show Warning events from this far back')
          .argParser(durationParser('m'))
          .default(DEFAULT_EVENTS_SINCE_MS, '60m'),
      )
      .addOption(
        new Option('--pending-timeout <duration>', 'a pod Pending longer than this needs attention')
          .argParser(durationParser('m'))
          .default(DEFAULT_THRESHOLDS.pendingTimeoutMs, '5m'),
      )
      .option(
        '--queue-backlog-warn <n>',
        'warn when more jobs than this are waiting',
        parseNonNegativeInt,
        DEFAULT_THRESHOLDS.queueBacklogWarn,
      )
      .option(
        '--queue-failed-warn <n>',
        'warn when more jobs than this have failed (off by default)',
        parseNonNegativeInt,
      )
      .option(
        '--port <n>',
        "the worker's HTTP port (for the queue, read through the pod proxy)",
        parsePositiveInt,
        HTTP_PORT,
      )
      .addOption(
        new Option('--proxy-timeout <duration>', 'timeout for each pod proxy request')
          .argParser(durationParser('ms'))
          .default(DEFAULT_PROXY_TIMEOUT_MS, '3s'),
      )
      .addOption(
        new Option(
          '--queue-pods <n|all>',
          "read the queue from this many pods' /metrics (they all report the one shared queue); all: every running pod",
        )
          .argParser(parseQueuePods)
          .default(DEFAULT_QUEUE_PODS, String(DEFAULT_QUEUE_PODS)),
      )
      .addOption(new Option('--no-queue', 'do not read the queue through the pod proxy'))
      .addHelpText(
        'after',
        `
Sections: Deployment, Pods, Resources (metrics.k8s.io), Autoscaler, Queue (the worker's /metrics
through the API server's pod proxy), Events (Warning), Findings. -o json gives the same as data.
Each finding names the threshold it crossed and the section of docs/RUNBOOKS.md to open
(-o json: findings: [ { severity, code, message, pods?, runbook } ]).

Queue: waiting, active, failed and delayed are the shared Redis queue's counts as the workers report
them (preview_worker_queue_jobs); every worker reports the same numbers, so they are read from the
first --queue-pods ready pods that answer (default 3; a pod that fails is replaced by the next).
Workers: the running pods whose worker is ready (its /readyz: the BullMQ worker runs, Redis
answers). --queue-pods all reads every running pod's /metrics (each failure is listed); per-pod
health checks of /livez, /readyz and /metrics are what \`mobius-deploy verify\` does.

Examples:
  mobius-deploy status --namespace production
  mobius-deploy status -e staging --warn-memory 90 --max-restarts 2 --restart-window 2h
  mobius-deploy status -n production -o json | jq '.findings'`,
      )
      .action(
        runCommand<StatusCommandOptions>(async (ctx, opts) => {
          // Load the action, the renderer and the kubeconfig at the same time.
          const [{ runStatus }, { renderStatus }, clients] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
            ctx.kube(),
          ]);
          const { result, exitCode } = await runStatus(clients, ctx.globals.namespace, opts, ctx.now);
          return { data: result, exitCode, render: () => renderStatus(result, ctx) };
        }),
      );
  },
};
