/**
 * A strict parser for the Prometheus text exposition format (0.0.4): every line must be a
 * `# HELP`, a `# TYPE` or a sample of a declared family, with valid names, correctly quoted and
 * escaped label values and a float value. Throws on the first line that is not.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Special values case-insensitively, as Prometheus parses them (prom-client writes NaN as `Nan`). */
function parseValue(text: string, line: number): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value of ${name} is not quoted`);
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape in label ${name}`);
        j += 2;
      } else {
        value += text[j];
        j += 1;
      }
    }
    if (text[j] !== '"') throw new Error(`line ${line}: unterminated label value of ${name}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    labels[name] = value;
    j += 1;
    if (j < text.length) {
      if (text[j] !== ',') throw new Error(`line ${line}: expected ',' after label ${name}`);
      j += 1;
    }
    i = j;
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`line ${n}: bad metric name "${name}"`);
      const f = families.get(name) ?? { name, type: 'untyped' as const, help: '', samples: [] };
      if (kind === 'HELP') f.help = rest;
      else {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: bad type "${rest}"`);
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples of ${name}`);
        f.type = rest as Family['type'];
      }
      families.set(name, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
    if (!m) throw new Error(`line ${n}: not a sample: ${raw}`);
    const name = m[1]!;
    const family = familyOf(name, families);
    if (!family) throw new Error(`line ${n}: sample ${name} of an undeclared family`);
    family.samples.push({ name, labels: m[3] ? parseLabels(m[3], n) : {}, value: parseValue(m[4]!, n) });
  });
  for (const f of families.values()) {
    if (f.type === 'histogram') {
      const buckets = f.samples.filter((s) => s.name === `${f.name}_bucket`);
      if (buckets.some((b) => !('le' in b.labels))) throw new Error(`histogram ${f.name}: bucket without le`);
      if (buckets.length && !buckets.some((b) => b.labels.le === '+Inf')) {
        throw new Error(`histogram ${f.name}: no +Inf bucket`);
      }
    }
  }
  return families;
}
