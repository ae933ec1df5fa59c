// The --patterns table of `mobius-deploy logs`. Pure string building; the command writes the
// string. The line printer is print.ts.

import type { Colors } from '../../output/color.js';
import { plural } from '../../output/plural.js';
import { renderTable } from '../../output/table.js';
import { formatClock } from '../../patterns/log-format.js';
import type { LogLevelName } from '../../patterns/log-record.js';
import type { PatternsResult } from './types.js';

/** The part of pod names after their longest common "-"-ended prefix (all pods of one Deployment share it). */
export function shortPodNames(pods: string[]): { prefix: string; short: Map<string, string> } {
  let prefix = '';
  if (pods.length > 1) {
    prefix = pods[0];
    for (const p of pods) {
      let i = 0;
      while (i < prefix.length && i < p.length && prefix[i] === p[i]) i++;
      prefix = prefix.slice(0, i);
    }
    const dash = prefix.lastIndexOf('-');
    prefix = dash >= 0 ? prefix.slice(0, dash + 1) : '';
  }
  const short = new Map<string, string>();
  for (const p of pods) short.set(p, p.slice(prefix.length) || p);
  return { prefix, short };
}

function clock(iso: string | undefined, multiDay: boolean): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  return multiDay ? `${iso.slice(5, 10)} ${formatClock(ms)}` : formatClock(ms);
}

/** The --patterns table. */
export function renderPatterns(result: PatternsResult, colors: Colors, width?: number): string {
  const allPods = [
    ...new Set([...result.pods, ...result.templates.flatMap((t) => Object.keys(t.pods))]),
  ].sort();
  const { prefix, short } = shortPodNames(allPods);
  const errorTemplates = result.templates.filter((t) => t.level === 'error' || t.level === 'fatal').length;
  const lines: string[] = [];
  lines.push(
    `Log patterns of deployment ${result.deployment} in ${result.namespace}: ${plural(result.linesMined, 'line')} from ${plural(result.pods.length, 'pod')}, ` +
      `${plural(result.templates.length, 'template')}, ${errorTemplates} at error level (${plural(result.errorLines, 'error line')}).`,
  );
  if (prefix) lines.push(`Pods: ${prefix}{${allPods.map((p) => short.get(p)).join(',')}}`);
  if (result.templates.length === 0) {
    lines.push('', 'No log lines to group.');
    return `${lines.join('\n')}\n`;
  }
  const days = new Set(
    result.templates.flatMap((t) => [t.firstSeen?.slice(0, 10), t.lastSeen?.slice(0, 10)]).filter(Boolean),
  );
  const multiDay = days.size > 1;
  const levelText = (l: LogLevelName) => {
    const label = l.toUpperCase();
    if (!colors.enabled) return label;
    if (l === 'error' || l === 'fatal') return colors.red(label);
    if (l === 'warn') return colors.yellow(label);
    return label;
  };
  const rows = result.templates.map((t) => [
    levelText(t.level),
    String(t.count),
    clock(t.firstSeen, multiDay),
    clock(t.lastSeen, multiDay),
    Object.entries(t.pods)
      .map(([p, n]) => `${short.get(p) ?? p}:${n}`)
      .join(' '),
    t.template,
  ]);
  lines.push('');
  const table = renderTable(
    [
      { header: 'level' },
      { header: 'count', align: 'right' },
      { header: 'first' },
      { header: 'last' },
      { header: 'pods' },
      { header: 'template', flex: true },
    ],
    rows,
    { width },
  );
  return `${lines.join('\n')}\n${table}`;
}
