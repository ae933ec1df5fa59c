/** The view of `rollback`: the ledger record of the rollback and the failing pod's last log lines. */
import type { Colors } from '../../output/color.js';
import { formatDuration } from '../../output/duration.js';
import { formatPhases, resultColor } from '../../output/record.js';
import type { RollbackResult } from './run.js';

export function renderRollback(result: RollbackResult, c: Colors): string {
  const r = result.record;
  const pairs: [string, string][] = [
    ['record', `${r.kind} ${r.id}`],
    ['result', resultColor(c, r.result)],
    ['namespace', r.namespace],
    [
      'image',
      `${r.image ?? '-'}${r.previousImage && r.previousImage !== r.image ? c.dim(` (was ${r.previousImage})`) : ''}`,
    ],
    [
      'revision',
      `${r.revisionBefore ?? '-'} → ${r.revisionAfter ?? '-'} (target revision ${result.targetRevision ?? '?'})`,
    ],
    ['duration', `${formatDuration(r.durationMs)} (${formatPhases(r)})`],
  ];
  if (r.reason) pairs.push(['reason', r.reason]);
  if (r.verify) pairs.push(['verify', `${r.verify.total - r.verify.failed}/${r.verify.total} checks passed`]);
  if (r.failureClass) pairs.push(['failure', `${c.red(r.failureClass)}: ${r.failureMessage ?? ''}`]);
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  const lines = pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`);
  const failure = result.rollout?.failure;
  if (failure?.logs?.length) {
    lines.push('', `Last ${failure.logs.length} log lines of ${failure.pod}:`);
    for (const l of failure.logs) lines.push(`  ${l}`);
  }
  lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}
