/**
 * Version ranges for the tool manifest: ">=X.Y[.Z]" optionally followed by "<X[.Y[.Z]]", compared
 * part by part as numbers (missing parts count as 0). Enough for program versions, which are not
 * semver (Chromium has four parts, Debian adds "+ds" suffixes that the manifest's patterns drop).
 */

export interface VersionRange {
  min: number[];
  below?: number[];
}

function parts(version: string, what: string): number[] {
  if (!/^\d+(\.\d+)*$/.test(version))
    throw new Error(`${what} "${version}" is not a dotted number like 5.1.2`);
  return version.split('.').map(Number);
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function parseRange(range: string): VersionRange {
  const m = /^>=\s*(\S+)(?:\s+<\s*(\S+))?$/.exec(range.trim());
  if (!m) throw new Error(`version range "${range}" must look like ">=5.1" or ">=2.42 <3"`);
  const min = parts(m[1]!, 'minimum version');
  return m[2] ? { min, below: parts(m[2], 'upper bound') } : { min };
}

export function satisfies(version: string, range: string): boolean {
  const r = parseRange(range);
  const v = parts(version, 'version');
  return compareVersions(v, r.min) >= 0 && (!r.below || compareVersions(v, r.below) < 0);
}
