// The template table that `logs --patterns` and `patterns` both print: one row per template
// (level, count, first and last seen, lines per source, template). Pure string building.

import type { Colors } from '../output/color.js';
import { renderTable } from '../output/table.js';
import { formatClock } from './log-format.js';
import type { LogLevelName } from './log-record.js';
import type { MinerDropped, TemplateSummary } from './log-templates.js';

/** The part of source names after their longest common "-"-ended prefix (all pods of one Deployment share it). */
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

/** Templates at error level or above. */
export function errorTemplateCount(templates: readonly TemplateSummary[]): number {
  return templates.filter((t) => t.level === 'error' || t.level === 'fatal').length;
}

/** The note for what the miner's cap dropped, or undefined when it dropped nothing. */
export function droppedNote(dropped: MinerDropped | undefined): string | undefined {
  if (!dropped || dropped.templates === 0) return undefined;
  return (
    `${dropped.templates} templates dropped (${dropped.lines} lines): the miner keeps a bounded number of ` +
    'distinct line shapes and drops the rarest when it is full; the counts above leave those lines out'
  );
}

export interface TemplateTableOptions {
  /** Header of the per-source column ("pods", "files"); no column when undefined. */
  sourceHeader?: string;
  /** Short names of the sources (pod names without their shared prefix). */
  short?: Map<string, string>;
}

/** The table of templates, in the order given. */
export function renderTemplateTable(
  templates: readonly TemplateSummary[],
  colors: Colors,
  width: number | undefined,
  options: TemplateTableOptions = {},
): string {
  const days = new Set(
    templates.flatMap((t) => [t.firstSeen?.slice(0, 10), t.lastSeen?.slice(0, 10)]).filter(Boolean),
  );
  const multiDay = days.size > 1;
  const levelText = (l: LogLevelName) => {
    const label = l.toUpperCase();
    if (!colors.enabled) return label;
    if (l === 'error' || l === 'fatal') return colors.red(label);
    if (l === 'warn') return colors.yellow(label);
    return label;
  };
  const withSources = options.sourceHeader !== undefined;
  const rows = templates.map((t) => {
    const row = [
      levelText(t.level),
      String(t.count),
      clock(t.firstSeen, multiDay),
      clock(t.lastSeen, multiDay),
    ];
    if (withSources) {
      row.push(
        Object.entries(t.pods)
          .map(([p, n]) => `${options.short?.get(p) ?? p}:${n}`)
          .join(' '),
      );
    }
    row.push(t.template);
    return row;
  });
  return renderTable(
    [
      { header: 'level' },
      { header: 'count', align: 'right' },
      { header: 'first' },
      { header: 'last' },
      ...(withSources ? [{ header: options.sourceHeader as string }] : []),
      { header: 'template', flex: true },
    ],
    rows,
    { width },
  );
}
