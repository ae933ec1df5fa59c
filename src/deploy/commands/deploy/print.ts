/** The views of `deploy`: the record of a deploy, and the objects and diffs of --dry-run. */
import type { Colors } from '../../output/color.js';
import { formatMs, formatPhases, resultColor } from '../../output/record.js';
import type { DeployResult } from './run.js';

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
    ['duration', `${formatMs(r.durationMs)} (${formatPhases(r)})`],
  ];
  if (r.verify) pairs.push(['verify', `${r.verify.total - r.verify.failed}/${r.verify.total} checks passed`]);
  if (r.failureClass) pairs.push(['failure', `${c.red(r.failureClass)}: ${r.failureMessage ?? ''}`]);
  if (r.rollback?.toRevision === undefined && r.rollback?.failureMessage) {
    pairs.push(['rollback', `not attempted: ${r.rollback.failureMessage}`]);
  } else if (r.rollback) {
    pairs.push([
      'rollback',
      `to revision ${r.rollback.toRevision ?? '?'} (${r.rollback.toImage ?? '?'}): ${r.rollback.result ?? 'not attempted'}`,
    ]);
    if (r.rollback.why) pairs.push(['target', r.rollback.why]);
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
