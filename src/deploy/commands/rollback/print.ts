/**
 * The view of `rollback`: the ledger record of the rollback (or drill) and the failing pod's last
 * log lines; for --dry-run the target, why it was chosen, and every candidate with its verdict.
 */
import type { Colors } from '../../output/color.js';
import { formatDuration } from '../../output/duration.js';
import { formatPhases, resultColor } from '../../output/record.js';
import type { RollbackDryRun, RollbackResult } from './run.js';
import type { DrillInfo, DrillResult } from './run-drill.js';

function aligned(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`);
}

export function verdictColor(c: Colors, verdict: string): string {
  if (verdict === 'verified-good') return c.green(verdict);
  if (verdict === 'failed') return c.red(verdict);
  return c.yellow(verdict);
}

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
  ];
  if (r.rollback?.why) pairs.push(['target', r.rollback.why]);
  if (r.rollback?.warning) pairs.push(['warning', c.yellow(r.rollback.warning)]);
  pairs.push(['duration', `${formatDuration(r.durationMs)} (${formatPhases(r)})`]);
  if (r.reason) pairs.push(['reason', r.reason]);
  if (r.verify) pairs.push(['verify', `${r.verify.total - r.verify.failed}/${r.verify.total} checks passed`]);
  if (r.failureClass) pairs.push(['failure', `${c.red(r.failureClass)}: ${r.failureMessage ?? ''}`]);
  const lines = aligned(pairs);
  const failure = result.rollout?.failure;
  if (failure?.logs?.length) {
    lines.push('', `Last ${failure.logs.length} log lines of ${failure.pod}:`);
    for (const l of failure.logs) lines.push(`  ${l}`);
  }
  lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}

export function renderDryRun(plan: RollbackDryRun, c: Colors): string {
  const lines = aligned([
    ['deployment', `${plan.namespace}/${plan.deployment}`],
    ['live', `revision ${plan.currentRevision ?? '?'} (${plan.currentImage ?? 'unknown image'})`],
    [
      'target',
      `revision ${plan.target.revision} (${plan.target.image ?? 'unknown image'}), ${verdictColor(c, plan.target.verdict)}`,
    ],
    ['why', plan.target.why],
    ...(plan.warning ? ([['warning', c.yellow(plan.warning)]] as [string, string][]) : []),
  ]);
  lines.push('', 'Candidate revisions (newest first):');
  const imageWidth = Math.max(0, ...plan.candidates.map((r) => (r.image ?? '-').length));
  for (const r of plan.candidates) {
    lines.push(
      `  ${String(r.revision).padStart(3)}  ${verdictColor(c, r.verdict.padEnd(13))}  ${(r.image ?? '-').padEnd(imageWidth)}  ${c.dim(r.evidence ?? 'no ledger record')}`,
    );
  }
  lines.push('', plan.message);
  return `${lines.join('\n')}\n`;
}

export function renderDrill(result: DrillResult, c: Colors): string {
  const r = result.record;
  const legText = (leg: DrillInfo['rollback']) =>
    leg
      ? `${resultColor(c, leg.result)} to revision ${leg.toRevision ?? '?'} (${leg.image ?? '?'}) → now ${leg.revisionAfter ?? '?'}, ${formatDuration(leg.durationMs)}` +
        (leg.verify ? `, verify ${leg.verify.total - leg.verify.failed}/${leg.verify.total}` : '') +
        (leg.failureMessage ? `: ${leg.failureMessage}` : '')
      : '-';
  const lines = aligned([
    ['record', `${r.kind} ${r.id}`],
    ['result', resultColor(c, r.result)],
    ['namespace', r.namespace],
    ['live before', `revision ${r.drill.fromRevision ?? '?'} (${r.drill.fromImage ?? '?'})`],
    ['target', r.rollback?.why ?? '-'],
    ['rollback', legText(r.drill.rollback)],
    ['roll forward', legText(r.drill.rollForward)],
    ['duration', `${formatDuration(r.durationMs)} (${formatPhases(r)})`],
  ]);
  lines.push('', result.message);
  return `${lines.join('\n')}\n`;
}
