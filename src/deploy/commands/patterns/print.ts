// The view of `mobius-deploy patterns`: the same template table as `logs --patterns`.

import type { Colors } from '../../output/color.js';
import { plural } from '../../output/plural.js';
import { errorTemplateCount, renderTemplateTable } from '../../patterns/log-pattern-table.js';
import type { LineAssignment, PatternsFileResult } from './run.js';

function sourceName(name: string): string {
  return name === '-' ? 'standard input' : name;
}

export function renderFilePatterns(result: PatternsFileResult, colors: Colors, width?: number): string {
  const lines: string[] = [];
  lines.push(
    `Log patterns of ${result.sources.map(sourceName).join(', ')}: ${plural(result.linesMined, 'line')}, ` +
      `${plural(result.templates.length, 'template')}, ${errorTemplateCount(result.templates)} at error level (${plural(result.errorLines, 'error line')}).`,
  );
  if (result.templates.length === 0) {
    lines.push('', 'No log lines to group.');
    return `${lines.join('\n')}\n`;
  }
  lines.push('');
  // A per-file column only when there is more than one file to tell apart.
  const table = renderTemplateTable(result.templates, colors, width, {
    sourceHeader: result.sources.length > 1 ? 'files' : undefined,
  });
  return `${lines.join('\n')}\n${table}`;
}

/** One NDJSON line of --assign. */
export function renderAssignment(a: LineAssignment): string {
  return `${JSON.stringify({ source: a.source, line: a.line, template: a.template })}\n`;
}

export function renderNote(note: { message: string }): string {
  return `note: ${note.message}\n`;
}
