/**
 * Aligned text tables like kubectl's: upper-case headers, columns separated by three spaces.
 * On a TTY a column marked `flex` is shortened with an ellipsis so the table fits the terminal.
 */
import { stripAnsi, visibleWidth } from './color.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** This column may be truncated to fit the width (the widest free-text column). */
  flex?: boolean;
}

export interface TableOptions {
  /** Maximum line width (the terminal's columns on a TTY); undefined means unlimited. */
  width?: number;
  /** Left indent. */
  indent?: string;
}

const GAP = '   ';

function truncate(s: string, width: number): string {
  if (visibleWidth(s) <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  // Strip colour when truncating: partial escape sequences would corrupt the terminal.
  const plain = stripAnsi(s);
  return `${plain.slice(0, width - 1)}…`;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Render rows under headers; returns the text with a trailing newline (empty string for no columns). */
export function renderTable(columns: Column[], rows: string[][], options: TableOptions = {}): string {
  if (columns.length === 0) return '';
  const indent = options.indent ?? '';
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  );
  if (options.width !== undefined) {
    const total = () => indent.length + widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
    const flexIdx = columns.findIndex((c) => c.flex);
    if (flexIdx >= 0 && total() > options.width) {
      const over = total() - options.width;
      widths[flexIdx] = Math.max(visibleWidth(columns[flexIdx].header), 12, widths[flexIdx] - over);
    }
  }
  const lines: string[] = [];
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => {
        const align = columns[i].align ?? 'left';
        const text = truncate(cell ?? '', widths[i]);
        return i === cells.length - 1 && align === 'left' ? text : pad(text, widths[i], align);
      })
      .join(GAP)
      .replace(/\s+$/, '');
  lines.push(line(columns.map((c) => c.header.toUpperCase())));
  for (const row of rows) lines.push(line(columns.map((_, i) => row[i] ?? '')));
  return `${lines.join('\n')}\n`;
}

/** "key: value" lines with the keys aligned. */
export function renderKeyValues(pairs: Array<[string, string]>, indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return (
    pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${v}`).join('\n') + (pairs.length ? '\n' : '')
  );
}
