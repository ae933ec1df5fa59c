/**
 * `mobius-deploy deploy`: roll a new image out safely. Logic: actions/deploy.ts (runDeploy).
 * Exit codes: 0 deployed and verified; 3 failed and rolled back automatically (the previous version
 * serves, verified); 4 failed and a person must act (rollback disabled, impossible or failed; the
 * deploy lock is held); 2 bad flags; 5 cluster unreachable or access denied.
 */
import { type Command, Option } from 'commander';
import { durationParser, parseNonNegativeInt, parsePositiveInt } from '../../cli/global-options.js';
import { type CommandContext, printOutcome, runCommand } from '../../cli/run-command.js';
import { ActionRequiredError, RolledBackError, UsageError } from '../../errors.js';
import type { DeploymentRecord, ProvenanceFlags } from '../../ledger/index.js';
import type { Colors } from '../../output/color.js';
import type { DeployEnvironment, DeployResult, WatchSettings } from './run.js';

export interface DeployCommandOptions {
  imageTag?: string;
  image?: string;
  deployment: string;
  reason?: string;
  dryRun: boolean;
  rollback: boolean;
  timeout: number;
  maxRestarts: number;
  gracePeriod: number;
  logLines: number;
  lockTimeout: number;
  forceUnlock: boolean;
  historyMax: number;
  smoke: boolean;
  apiTokenSecret?: string;
  commit?: string;
  author?: string;
  commitTime?: string;
  actor?: string;
  ledgerDir?: string;
  pollInterval: number;
}

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
export type SafeChangeFlags = Pick<
  DeployCommandOptions,
  | 'timeout'
  | 'maxRestarts'
  | 'gracePeriod'
  | 'logLines'
  | 'lockTimeout'
  | 'forceUnlock'
  | 'historyMax'
  | 'smoke'
  | 'apiTokenSecret'
  | 'actor'
  | 'ledgerDir'
  | 'pollInterval'
>;

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
  const { createDeployEnvironment } = await import('./run.js');
  const apiToken = (
    ctx.globals.environmentConfig as { apiToken?: { secretName?: string; secretKey?: string } } | undefined
  )?.apiToken;
  const kube = await ctx.kube();
  return createDeployEnvironment(kube, {
    namespace: ctx.globals.namespace,
    ledgerDir: opts.ledgerDir,
    provenance,
    progress: ctx.progress(),
    handleSignals: true,
    verify: {
      apiToken: ctx.io.env.PREVIEW_API_TOKEN || undefined,
      apiTokenSecret: opts.apiTokenSecret ?? apiToken?.secretName,
      apiTokenKey: apiToken?.secretKey,
    },
  });
}

export const deployCommand = {
  register(program: Command): void {
    const cmd = program
      .command('deploy')
      .description(
        'Deploy a new image: take the deploy lock, apply the manifests (server-side apply), wait for the rollout (failing fast on CrashLoopBackOff, ImagePullBackOff, OOMKilled, Unschedulable…), verify, and on failure roll back automatically to the last version that verified good. Every deploy is recorded in the ledger.',
      )
      .option('--image-tag <tag>', "deploy this tag of the environment's image repository (needs -e/--env)")
      .option(
        '--image <ref>',
        'deploy this full image reference (with -n alone: only the image of the live Deployment changes)',
      )
      .option('-d, --deployment <name>', 'Deployment name', 'preview-worker')
      .option('--reason <text>', 'why (recorded in the ledger and the change-cause annotation)')
      .addOption(
        new Option(
          '--dry-run',
          'server-side dry run of every object and a diff against the live objects; changes nothing',
        ).default(false),
      )
      .option('--no-rollback', 'do not roll back automatically when the rollout or verification fails')
      .option('--commit <sha>', 'git commit being deployed (default: $GITHUB_SHA, $CI_COMMIT_SHA…)')
      .option('--author <name>', 'author of the commit')
      .option('--commit-time <iso>', 'commit time, for lead-time reports');
    addSafeChangeOptions(cmd)
      .addHelpText(
        'after',
        `
Exit codes: 0 deployed and verified; 3 failed and rolled back (the previous version serves);
4 failed and a person must act (also: the deploy lock is held); 2 bad flags; 5 cluster unreachable.
-o json prints the ledger record of the deploy (with --dry-run: the objects and their diffs).

Examples:
  mobius-deploy deploy --env production --image-tag 1.4.2 --reason "render speedup"
  mobius-deploy deploy -e staging --image-tag 1.4.2 --dry-run
  mobius-deploy deploy -n sandbox --image ghcr.io/mobius-org/mobius-preview-worker:1.4.2
  mobius-deploy deploy -e production --image-tag 1.4.3 --lock-timeout 5m -o json`,
      )
      .action(runCommand<DeployCommandOptions>((ctx, opts) => runDeployCommand(ctx, opts)));
  },
};

async function runDeployCommand(ctx: CommandContext, opts: DeployCommandOptions) {
  if (opts.image !== undefined && opts.imageTag !== undefined) {
    throw new UsageError('Give either --image or --image-tag, not both.');
  }
  const envConfig = ctx.globals.environmentConfig as
    | (import('../../manifests/index.js').Environment & Record<string, unknown>)
    | undefined;
  if (!envConfig && opts.image === undefined) {
    throw new UsageError(
      opts.imageTag !== undefined
        ? '--image-tag needs -e/--env (the environment names the image repository); or give --image <ref> with -n'
        : 'deploy needs an image: --image-tag <tag> with -e/--env, or --image <ref>',
      { hint: 'For example: mobius-deploy deploy --env production --image-tag 1.4.2' },
    );
  }
  const { runDeploy } = await import('./run.js');
  let objects: import('../../kube/apply.js').KubeObject[] | undefined;
  let image: string;
  if (envConfig) {
    const manifests = await import('../../manifests/index.js');
    const built = { image: opts.image, imageTag: opts.imageTag };
    image = manifests.resolveImage(envConfig, built).image;
    objects = manifests.buildApplicationManifests(
      envConfig,
      built,
    ) as unknown as import('../../kube/apply.js').KubeObject[];
  } else {
    image = opts.image as string;
  }
  const env = await createSafeChangeEnvironment(ctx, opts, {
    actor: opts.actor,
    commit: opts.commit,
    author: opts.author,
    commitTime: opts.commitTime,
  });
  const result = await runDeploy(env, {
    namespace: ctx.globals.namespace,
    environment: ctx.globals.environment,
    objects,
    image,
    deployment: opts.deployment,
    reason: opts.reason,
    dryRun: opts.dryRun,
    rollback: opts.rollback,
    ...watchSettings(opts),
  });
  if (result.dryRun) {
    return { data: dryRunData(result), render: () => renderDryRun(result, ctx.colors) };
  }
  const record = result.record!;
  const text = () => renderDeploy(result, ctx.colors);
  if (record.result === 'succeeded') return { data: record, render: text };
  await printOutcome(ctx, { data: record, render: text });
  if (record.result === 'rolled_back') {
    throw new RolledBackError(result.message, {
      hint: `The deploy is recorded as ${record.id}; see mobius-deploy history -n ${record.namespace}.`,
    });
  }
  throw new ActionRequiredError(result.message, {
    hint: result.nextSteps?.length ? `A person must act:\n  - ${result.nextSteps.join('\n  - ')}` : undefined,
  });
}

/** -o json for --dry-run: each object, what would happen, and its diff. */
export function dryRunData(result: DeployResult) {
  return {
    dryRun: true,
    message: result.message,
    objects: (result.applied ?? []).map((a) => ({
      ref: a.ref,
      action: a.action,
      ...(a.note ? { note: a.note } : {}),
      ...(a.diff ? { diff: a.diff } : {}),
    })),
  };
}

export function renderDryRun(result: DeployResult, c: Colors): string {
  const lines: string[] = [];
  for (const a of result.applied ?? []) {
    const mark =
      a.action === 'created'
        ? c.green('+ would create')
        : a.action === 'configured'
          ? c.yellow('~ would change')
          : a.action === 'skipped'
            ? c.dim('- skipped')
            : c.dim('= unchanged');
    lines.push(`${mark} ${a.ref}${a.note ? c.dim(` (${a.note})`) : ''}`);
    if (a.diff && a.action === 'configured') {
      for (const l of a.diff.replace(/\n$/, '').split('\n')) {
        lines.push(
          `    ${l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l}`,
        );
      }
    }
  }
  lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}

function ms(n: number | undefined): string {
  if (n === undefined) return '-';
  return n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`;
}

/** The phases of a record, e.g. "lock 12ms, apply 150ms, rollout 8.2s, verify 1.1s". */
export function formatPhases(record: DeploymentRecord): string {
  return Object.entries(record.phases)
    .map(([k, v]) => `${k} ${ms(v)}`)
    .join(', ');
}

export function resultColor(c: Colors, result: string): string {
  if (result === 'succeeded') return c.green(result);
  if (result === 'rolled_back' || result === 'skipped' || result === 'in_progress') return c.yellow(result);
  return c.red(result);
}

export function renderDeploy(result: DeployResult, c: Colors): string {
  const r = result.record!;
  const pairs: [string, string][] = [
    ['record', `${r.kind} ${r.id}`],
    ['result', resultColor(c, r.result)],
    ['namespace', `${r.namespace}${r.environment ? ` (env ${r.environment})` : ''}`],
    [
      'image',
      `${r.image ?? '-'}${r.previousImage && r.previousImage !== r.image ? c.dim(` (was ${r.previousImage})`) : ''}`,
    ],
    ['revision', `${r.revisionBefore ?? '-'} → ${r.revisionAfter ?? '-'}`],
    ['duration', `${ms(r.durationMs)} (${formatPhases(r)})`],
  ];
  if (r.verify) pairs.push(['verify', `${r.verify.total - r.verify.failed}/${r.verify.total} checks passed`]);
  if (r.failureClass) pairs.push(['failure', `${c.red(r.failureClass)}: ${r.failureMessage ?? ''}`]);
  if (r.rollback) {
    pairs.push([
      'rollback',
      `to revision ${r.rollback.toRevision ?? '?'} (${r.rollback.toImage ?? '?'}): ${r.rollback.result ?? 'not attempted'}`,
    ]);
  }
  if (r.restoredAt) pairs.push(['restored at', r.restoredAt]);
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  const lines = pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`);
  const failure = result.rollout?.failure;
  if (failure?.lastTermination) {
    const t = failure.lastTermination;
    lines.push(
      '',
      `Last termination of ${failure.pod}/${t.container}: ${t.reason ?? 'terminated'}${t.exitCode !== undefined ? ` (exit code ${t.exitCode})` : ''}${t.message ? `: ${t.message}` : ''}`,
    );
  }
  if (failure?.logs?.length) {
    lines.push('', `Last ${failure.logs.length} log lines of ${failure.pod}:`);
    for (const l of failure.logs) lines.push(`  ${l}`);
  }
  lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}
