/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), parsed exactly.
 *
 *   <quantity> ::= <signedNumber><suffix>
 *   <suffix>   ::= <binarySI> (Ki Mi Gi Ti Pi Ei) | <decimalSI> (n u m "" k M G T P E) | <decimalExponent> (e<n> / E<n>)
 *
 * Values are held as an exact integer count of nano-units (BigInt), the precision Kubernetes keeps
 * (finer fractions round up, as the API server does). `1.5Gi` = 1610612736 exactly; `12345678n`
 * = 0.012345678; `250m` = 0.25; `1e3` = 1000.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value × 10^9, exactly (rounded up past nano precision). */
  nanos: bigint;
  format: QuantityFormat;
  /** The text parsed. */
  text: string;
}

const NANO = 1_000_000_000n;

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|([numkMGTPE]))?$/;

export class QuantityParseError extends Error {
  constructor(text: string) {
    super(`"${text}" is not a Kubernetes quantity (examples: 250m, 1.5Gi, 512Ki, 1e3, 12345678n)`);
    this.name = 'QuantityParseError';
  }
}

/** Divide rounding toward +infinity (Kubernetes rounds up values finer than nano). */
function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** Parse a quantity; throws QuantityParseError for anything Kubernetes would reject. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const m = QUANTITY_RE.exec(text);
  if (!m) throw new QuantityParseError(String(input));
  const [, sign, number, binary, exponent, decimal] = m;
  const [intPart, fracPart = ''] = number.split('.');
  // mantissa as an integer and a power-of-ten scale: value = digits × 10^-fracLen
  const digits = BigInt((intPart || '0') + fracPart);
  const fracLen = fracPart.length;
  let nanos: bigint;
  let format: QuantityFormat;
  if (binary) {
    format = 'BinarySI';
    const mult = 1n << BigInt(BINARY_SUFFIX[binary]);
    nanos = divCeil(digits * mult * NANO, 10n ** BigInt(fracLen));
  } else {
    const exp10 = exponent ? Number(exponent.slice(1)) : DECIMAL_SUFFIX[decimal ?? ''];
    format = exponent ? 'DecimalExponent' : 'DecimalSI';
    // value × 1e9 = digits × 10^(exp10 + 9 - fracLen)
    const shift = exp10 + 9 - fracLen;
    if (Math.abs(shift) > 400) throw new QuantityParseError(String(input));
    nanos = shift >= 0 ? digits * 10n ** BigInt(shift) : divCeil(digits, 10n ** BigInt(-shift));
  }
  if (sign === '-') nanos = -nanos;
  return { nanos, format, text };
}

/** The quantity as a JavaScript number (may round for very large or very precise values). */
export function quantityToNumber(q: Quantity): number {
  const whole = q.nanos / NANO;
  const frac = q.nanos % NANO;
  return Number(whole) + Number(frac) / 1e9;
}

/** Parse and convert to a number in base units (cores for CPU, bytes for memory). */
export function parseQuantityNumber(input: string | number): number {
  return quantityToNumber(parseQuantity(input));
}

/** Like parseQuantityNumber but undefined for absent or invalid input. */
export function tryParseQuantityNumber(input: string | number | undefined | null): number | undefined {
  if (input === undefined || input === null || input === '') return undefined;
  try {
    return parseQuantityNumber(input);
  } catch {
    return undefined;
  }
}

/** Compare two quantities: negative, zero or positive. */
export function compareQuantities(a: string, b: string): number {
  const d = parseQuantity(a).nanos - parseQuantity(b).nanos;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

function trimNumber(n: number, maxDecimals: number): string {
  const s = n.toFixed(maxDecimals);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** CPU cores, readably: 0.25 → "250m", 1.5 → "1.5", 0.0005 → "500u", 0.000001234 → "1234n". */
export function formatCpu(cores: number): string {
  if (!Number.isFinite(cores)) return String(cores);
  if (cores === 0) return '0';
  const abs = Math.abs(cores);
  if (abs >= 1) return trimNumber(cores, 2);
  if (abs >= 0.001) return `${trimNumber(cores * 1000, 1)}m`;
  if (abs >= 0.000001) return `${trimNumber(cores * 1e6, 1)}u`;
  return `${Math.round(cores * 1e9)}n`;
}

const BINARY_UNITS: Array<[string, number]> = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/** Bytes, readably in binary units: 536870912 → "512Mi", 1610612736 → "1.5Gi", 100 → "100". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const abs = Math.abs(bytes);
  for (const [unit, size] of BINARY_UNITS) {
    if (abs >= size) return `${trimNumber(bytes / size, abs / size >= 100 ? 0 : 1)}${unit}`;
  }
  return trimNumber(bytes, 0);
}

/** Canonical text of a quantity the way the API server serialises it (e.g. "1500m" → "1500m", "1.5" → "1500m"). */
export function canonicalQuantity(q: Quantity): string {
  const n = q.nanos;
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const sign = neg ? '-' : '';
  if (q.format === 'BinarySI' && abs % NANO === 0n) {
    const bytes = abs / NANO;
    if (bytes === 0n) return '0';
    for (const [unit, bits] of [
      ['Ei', 60n],
      ['Pi', 50n],
      ['Ti', 40n],
      ['Gi', 30n],
      ['Mi', 20n],
      ['Ki', 10n],
    ] as const) {
      if (bytes % (1n << bits) === 0n) return `${sign}${bytes >> bits}${unit}`;
    }
    return `${sign}${bytes}`;
  }
  if (abs === 0n) return '0';
  for (const [suffix, exp] of [
    ['E', 27n],
    ['P', 24n],
    ['T', 21n],
    ['G', 18n],
    ['M', 15n],
    ['k', 12n],
    ['', 9n],
    ['m', 6n],
    ['u', 3n],
  ] as const) {
    const unit = 10n ** exp;
    if (abs % unit === 0n) return `${sign}${abs / unit}${suffix}`;
  }
  return `${sign}${abs}n`;
}
