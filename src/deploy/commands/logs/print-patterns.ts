// The --patterns view of `mobius-deploy logs`. Pure string building; the command writes the
// string. The template table is shared with `mobius-deploy patterns` (patterns/log-pattern-table.ts);
// the line printer is print.ts.

import type { Colors } from '../../output/color.js';
import { plural } from '../../output/plural.js';
import { errorTemplateCount, renderTemplateTable, shortPodNames } from '../../patterns/log-pattern-table.js';
import type { PatternsResult } from './types.js';

export { shortPodNames };

/** The --patterns table. */
export function renderPatterns(result: PatternsResult, colors: Colors, width?: number): string {
  const allPods = [
    ...new Set([...result.pods, ...result.templates.flatMap((t) => Object.keys(t.pods))]),
  ].sort();
  const { prefix, short } = shortPodNames(allPods);
  const lines: string[] = [];
  lines.push(
    `Log patterns of deployment ${result.deployment} in ${result.namespace}: ${plural(result.linesMined, 'line')} from ${plural(result.pods.length, 'pod')}, ` +
      `${plural(result.templates.length, 'template')}, ${errorTemplateCount(result.templates)} at error level (${plural(result.errorLines, 'error line')}).`,
  );
  if (prefix) lines.push(`Pods: ${prefix}{${allPods.map((p) => short.get(p)).join(',')}}`);
  if (result.templates.length === 0) {
    lines.push('', 'No log lines to group.');
    return `${lines.join('\n')}\n`;
  }
  lines.push('');
  const table = renderTemplateTable(result.templates, colors, width, { sourceHeader: 'pods', short });
  return `${lines.join('\n')}\n${table}`;
}
