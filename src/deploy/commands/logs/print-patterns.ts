// The --patterns view of `mobius-deploy logs`. Pure string building; the command writes the
// string. The template table is shared with `mobius-deploy patterns` (patterns/log-pattern-table.ts);
// the line printer is print.ts.

import type { Colors } from '../../output/color.js';
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
    `Log patterns of deployment ${result.deployment} in ${result.namespace}: ${result.linesMined} lines from ${result.pods.length} pod(s), ` +
      `${result.templates.length} template(s), ${errorTemplateCount(result.templates)} at error level (${result.errorLines} error lines).`,
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
