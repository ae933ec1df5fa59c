// Printers for `mobius-deploy logs`: one line per log line ("<pod> | <text>", NDJSON with -o json),
// the notes and the "no lines" message on stderr. Pure string building; the command writes the
// strings. The --patterns table is print-patterns.ts.

import type { Colors } from '../../output/color.js';
import { plural } from '../../output/plural.js';
import { formatReadable, logLineStyle, toJsonEntry } from '../../patterns/log-format.js';
import type { LogLineEvent, LogsResult } from './types.js';

// Distinct, readable 256-colour foregrounds for pod names (no reds: red means error).
const POD_PALETTE = [39, 214, 77, 171, 45, 178, 111, 149, 207, 80, 141, 116];

/** A stable palette index for a pod name (FNV-1a), the same in every run. */
export function podColorIndex(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % POD_PALETTE.length;
}

export interface LinePrinterOptions {
  colors: Colors;
  /** NDJSON (-o json). */
  json: boolean;
  /** Print JSON lines as written. */
  raw: boolean;
  /** Prefix the API server's timestamp. */
  timestamps: boolean;
}

/** Returns a function turning one log line event into its output text (with the newline). */
export function createLinePrinter(options: LinePrinterOptions): (event: LogLineEvent) => string {
  const { colors } = options;
  const style = logLineStyle(colors);
  const prefixes = new Map<string, string>();
  const prefix = (pod: string) => {
    let p = prefixes.get(pod);
    if (p === undefined) {
      p = colors.enabled ? `\u001b[38;5;${POD_PALETTE[podColorIndex(pod)]}m${pod}\u001b[39m | ` : `${pod} | `;
      prefixes.set(pod, p);
    }
    return p;
  };
  if (options.json) {
    return (e) => {
      const entry = toJsonEntry(e.record, e.pod, e.container);
      return `${JSON.stringify(options.timestamps ? { ...entry, kubeTime: e.record.kubeTime ?? null } : entry)}\n`;
    };
  }
  return (e) => {
    const text = options.raw ? e.record.raw : formatReadable(e.record, style);
    const ts = options.timestamps && e.record.kubeTime ? `${e.record.kubeTime} ` : '';
    return `${prefix(e.pod)}${ts}${text}\n`;
  };
}

/** A note (a pod without a previous container, a pod added or deleted, a reconnect) for stderr. */
export function renderNote(note: { message: string }): string {
  return `note: ${note.message}\n`;
}

/** Said on stderr when no line was shown. */
export function renderNoLines(result: Pick<LogsResult, 'linesRead' | 'pods' | 'deployment'>): string {
  const filtered = result.linesRead > 0 ? ` (${result.linesRead} read, none matched the filters)` : '';
  return `No log lines from ${plural(result.pods.length, 'pod')} of ${result.deployment}${filtered}.\n`;
}
