/**
 * The options deploy and rollback share (waiting, verifying, locking, recording), declared once,
 * and the DeployEnvironment both commands build from them.
 */
import { type Command, Option } from 'commander';
import type { ProvenanceFlags } from '../ledger/index.js';
import type { DeployEnvironment, WatchSettings } from '../release/environment.js';
import { durationParser, parseNonNegativeInt, parsePositiveInt } from './global-options.js';
import { targetOptions } from './invocation.js';
import type { CommandContext } from './run-command.js';

/** Options shared by deploy and rollback (waiting, verifying, locking, recording). */
export function addSafeChangeOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--timeout <duration>', 'give up waiting for the rollout after this long')
        .argParser(durationParser('s'))
        .default(10 * 60_000, '10m'),
    )
    .option(
      '--max-restarts <n>',
      'a new pod in CrashLoopBackOff with more restarts than this fails the rollout',
      parseNonNegativeInt,
      2,
    )
    .addOption(
      new Option(
        '--grace-period <duration>',
        'how long ImagePullBackOff, CreateContainerConfigError, Unschedulable… may last before the rollout fails',
      )
        .argParser(durationParser('s'))
        .default(30_000, '30s'),
    )
    .option('--log-lines <n>', "log lines to show from a failing pod's container", parseNonNegativeInt, 20)
    .addOption(
      new Option(
        '--lock-timeout <duration>',
        'wait this long for the deploy lock (0: fail at once when it is held)',
      )
        .argParser(durationParser('s'))
        .default(0, '0'),
    )
    .addOption(
      new Option('--force-unlock', 'take the deploy lock even if someone holds it (a stale lock)').default(
        false,
      ),
    )
    .option(
      '--history-max <n>',
      'keep at most this many deploy/rollback records in the ledger',
      parsePositiveInt,
      50,
    )
    .addOption(new Option('--smoke', 'verification also runs a dry-run preview job').default(false))
    .option(
      '--api-token-secret <name>',
      'Secret holding the worker API token for --smoke (default: the environment file)',
    )
    .option('--actor <name>', 'who is deploying (default: $GITHUB_ACTOR and similar, else user@host)')
    .option('--ledger-dir <dir>', 'keep the ledger in this directory instead of ConfigMaps in the namespace')
    .addOption(
      new Option('--poll-interval <duration>', 'rollout poll interval')
        .argParser(durationParser('ms'))
        .default(250)
        .hideHelp(),
    );
}

/** The flags of addSafeChangeOptions, as both commands receive them. */
export interface SafeChangeFlags {
  timeout: number;
  maxRestarts: number;
  gracePeriod: number;
  logLines: number;
  lockTimeout: number;
  forceUnlock: boolean;
  historyMax: number;
  smoke: boolean;
  apiTokenSecret?: string;
  actor?: string;
  ledgerDir?: string;
  pollInterval: number;
}

/** The waiting/locking/recording flags as the actions' WatchSettings (deploy and rollback). */
export function watchSettings(opts: SafeChangeFlags): WatchSettings {
  return {
    timeoutMs: opts.timeout,
    maxRestarts: opts.maxRestarts,
    gracePeriodMs: opts.gracePeriod,
    logLines: opts.logLines,
    lockTimeoutMs: opts.lockTimeout,
    forceUnlock: opts.forceUnlock,
    historyMax: opts.historyMax,
    smoke: opts.smoke,
    pollIntervalMs: opts.pollInterval,
  };
}

/**
 * The DeployEnvironment of deploy and rollback: the ledger (--ledger-dir or ConfigMaps), progress,
 * signal handling, and verify with the worker API token ($PREVIEW_API_TOKEN, --api-token-secret or
 * the environment file's apiToken).
 */
export async function createSafeChangeEnvironment(
  ctx: CommandContext,
  opts: SafeChangeFlags,
  provenance: ProvenanceFlags,
): Promise<DeployEnvironment> {
  const { createDeployEnvironment } = await import('../release/environment.js');
  const apiToken = (
    ctx.globals.environmentConfig as { apiToken?: { secretName?: string; secretKey?: string } } | undefined
  )?.apiToken;
  const kube = await ctx.kube();
  const reach = {
    namespace: ctx.globals.namespace,
    context: ctx.globals.context,
    kubeconfig: ctx.globals.kubeconfig,
  };
  return createDeployEnvironment(kube, {
    namespace: ctx.globals.namespace,
    ledgerDir: opts.ledgerDir,
    provenance,
    progress: ctx.progress(),
    handleSignals: true,
    hintTargets: {
      cluster: targetOptions(reach),
      ledger: targetOptions({ ...reach, ledgerDir: opts.ledgerDir }),
    },
    verify: {
      apiToken: ctx.io.env.PREVIEW_API_TOKEN || undefined,
      apiTokenSecret: opts.apiTokenSecret ?? apiToken?.secretName,
      apiTokenKey: apiToken?.secretKey,
    },
  });
}
