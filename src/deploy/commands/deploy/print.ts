/** The views of `deploy`: the record of a deploy, and the objects and diffs of --dry-run. */
import { runbookForFailureClass } from '../../health/findings.js';
import type { LastTermination } from '../../kube/pod-health.js';
import { shortEvidence } from '../../kube/rollout-watch.js';
import type { Colors } from '../../output/color.js';
import { formatDuration } from '../../output/duration.js';
import { plural } from '../../output/plural.js';
import { formatPhases, resultColor } from '../../output/record.js';
import { formatReadable, logLineStyle } from '../../patterns/log-format.js';
import { parseLogLine } from '../../patterns/log-record.js';
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
    ['duration', `${formatDuration(r.durationMs)} (${formatPhases(r)})`],
  ];
  if (r.verify) pairs.push(['verify', `${r.verify.total - r.verify.failed}/${r.verify.total} checks passed`]);
  if (r.failureClass) pairs.push(['failure', `${c.red(r.failureClass)}: ${r.failureMessage ?? ''}`]);
  const runbook = runbookForFailureClass(r.failureClass);
  if (runbook) pairs.push(['runbook', runbook]);
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
  lines.push(...terminationLines(failure?.pod, failure?.lastTermination));
  if (failure?.logs?.length) {
    lines.push('', `Last ${plural(failure.logs.length, 'log line')} of ${failure.pod}:`);
    const style = logLineStyle(c);
    for (const l of failure.logs) lines.push(`  ${formatReadable(parseLogLine(l), style)}`);
  }
  // A failed deploy's sentence is the error the command ends with (stderr): said once, there.
  if (r.result === 'succeeded') lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}

/** Lines of a termination message shown in full (the failure line carries only its start). */
const TERMINATION_LINES = 20;

/**
 * The container's last termination, when its message says more than the failure line does (the
 * failure line carries the reason, exit code and the message's first line): the message wrapped
 * and indented, at most TERMINATION_LINES lines.
 */
function terminationLines(pod: string | undefined, t: LastTermination | undefined): string[] {
  if (!t?.message || shortEvidence(t.message) === t.message.trim()) return [];
  const wrapped = t.message
    .trimEnd()
    .split('\n')
    .flatMap((l) => (l.length <= 120 ? [l] : (l.match(/.{1,120}/g) ?? [])));
  const shown = wrapped.slice(0, TERMINATION_LINES).map((l) => `  ${l}`);
  if (wrapped.length > shown.length) {
    shown.push(
      `  … ${plural(wrapped.length - shown.length, 'more line')} (logs --previous shows the container's output)`,
    );
  }
  return ['', `Termination message of ${pod}/${t.container}:`, ...shown];
}
