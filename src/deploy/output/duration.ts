/** Human durations the way kubectl prints ages (k8s.io/apimachinery/pkg/util/duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${d}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/**
 * The one style for a duration in human output: "850ms" below a second, "1.1s" (one decimal, "30s"
 * when whole) below a minute, then kubectl's ages ("2m5s", "15m", "3h"); "-" when unknown.
 */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '-';
  const n = Math.max(0, ms);
  if (Math.round(n) < 1000) return `${Math.round(n)}ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  return humanDuration(n);
}

/** Age of a timestamp relative to `now`; '<unknown>' when absent. */
export function ageOf(timestamp: string | Date | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = timestamp instanceof Date ? timestamp.getTime() : Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

/**
 * Parse a duration flag: `90s`, `15m`, `1h30m`, `2d`, `500ms`, or a bare number of the given unit.
 * Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's' | 'm' = 's'): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return bareUnit === 'ms' ? n : bareUnit === 's' ? n * 1000 : n * 60_000;
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const n = Number(m[1]);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      m[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    total += n * unit;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== t.length) return undefined;
  return total;
}
