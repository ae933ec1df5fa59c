/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough to read a
 * worker's /metrics: `# HELP` / `# TYPE` lines, samples with optional labels (escapes \\ \" \n)
 * and an optional timestamp, values including NaN, +Inf and -Inf.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** Metric family → type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
  /** Lines that could not be parsed, with their line numbers. */
  errors: Array<{ line: number; text: string; error: string }>;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * Special values are matched case-insensitively, as Prometheus itself parses them (Go's ParseFloat):
 * prom-client writes NaN as `Nan`.
 */
function parseValue(s: string): number {
  const lower = s.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`invalid value "${s}"`);
  return Number(s);
}

function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1; // after '{'
  while (true) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) throw new Error(`invalid label name at column ${i + 1}`);
    const key = m[0];
    i += key.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') throw new Error(`expected '=' after label ${key}`);
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') throw new Error(`expected '"' for label ${key}`);
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next ?? ''}`;
        i += 2;
      } else {
        value += text[i];
        i++;
      }
    }
    if (text[i] !== '"') throw new Error(`unterminated value for label ${key}`);
    labels[key] = value;
    i++;
  }
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const out: ParsedMetrics = { samples: [], types: new Map(), help: new Map(), errors: [] };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (m?.[1] === 'TYPE') out.types.set(m[2], m[3].trim());
      else if (m?.[1] === 'HELP') out.help.set(m[2], m[3].replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      continue;
    }
    try {
      const nm = NAME_RE.exec(line);
      if (!nm) throw new Error('invalid metric name');
      const name = nm[0];
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') {
        const parsed = parseLabels(line, i);
        labels = parsed.labels;
        i = parsed.end;
      }
      const rest = line.slice(i).trim().split(/\s+/);
      if (rest.length < 1 || rest[0] === '') throw new Error('missing value');
      const value = parseValue(rest[0]);
      const sample: Sample = { name, labels, value };
      if (rest[1] !== undefined) {
        const ts = Number(rest[1]);
        if (!Number.isFinite(ts)) throw new Error(`invalid timestamp "${rest[1]}"`);
        sample.timestamp = ts;
      }
      out.samples.push(sample);
    } catch (err) {
      out.errors.push({ line: n + 1, text: line.slice(0, 200), error: (err as Error).message });
    }
  }
  return out;
}

/** Samples of one metric whose labels include all of `match`. */
export function findSamples(
  metrics: ParsedMetrics,
  name: string,
  match: Record<string, string> = {},
): Sample[] {
  return metrics.samples.filter(
    (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the first matching sample, or undefined. */
export function sampleValue(
  metrics: ParsedMetrics,
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  return findSamples(metrics, name, match)[0]?.value;
}

/** Metric family names present (histogram/summary series counted under their family name). */
export function metricFamilies(metrics: ParsedMetrics): Set<string> {
  const names = new Set<string>(metrics.types.keys());
  for (const s of metrics.samples) {
    names.add(s.name);
    // histogram/summary series (x_bucket, x_sum, x_count) belong to family x
    const family = s.name.replace(/_(bucket|sum|count|created)$/, '');
    names.add(family);
  }
  return names;
}
