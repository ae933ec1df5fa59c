/**
 * Inline SVG charts for the HTML report, generated as strings (no library, no script, no external
 * reference). Each chart has a <title> and <desc> (role="img", aria-labelledby) and the HTML puts
 * a data table next to it for screen readers. Colours work on white paper and in greyscale
 * (failures are also marked by shape, not only by colour).
 */
import type { DailyPoint, DeployPoint, RestoreSample } from '../../metrics/dora.js';
import { fmtDuration } from './format.js';

export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const COLORS = {
  ok: '#2f6fb0',
  fail: '#c23b22',
  grid: '#d9dde3',
  axis: '#5b6470',
  text: '#1f2933',
  band: '#eef3f8',
};
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"';

let idCounter = 0;
/** Resets chart ids (deterministic output for tests and diffs). */
export function resetChartIds(): void {
  idCounter = 0;
}

function frame(width: number, height: number, title: string, desc: string, body: string): string {
  const id = `chart${++idCounter}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-t ${id}-d">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`
  );
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** Bars of completed deploys per day; the failed part of each bar in red with a cross-hatch. */
export function deploysPerDayChart(days: DailyPoint[], title: string): string {
  const width = 720;
  const height = 240;
  const m = { l: 44, r: 16, t: 16, b: 44 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const tickStep = Math.max(1, Math.ceil(Math.max(1, ...days.map((d) => d.deploys)) / 4));
  const max = tickStep * 4;
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, Math.min(36, slot * 0.7));
  const y = (v: number) => m.t + plotH - (v / max) * plotH;
  let body = `<defs><pattern id="hatch${idCounter + 1}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${COLORS.fail}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>`;
  for (let i = 0; i <= 4; i++) {
    const v = tickStep * i;
    body += `<line x1="${m.l}" x2="${width - m.r}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${COLORS.grid}" stroke-width="1"/>`;
    body += `<text x="${m.l - 6}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11" fill="${COLORS.axis}" ${FONT}>${f(v)}</text>`;
  }
  const labelEvery = Math.ceil(days.length / 10);
  days.forEach((d, i) => {
    const x = m.l + i * slot + (slot - barW) / 2;
    const ok = d.deploys - d.failedChanges;
    if (ok > 0)
      body += `<rect x="${f(x)}" y="${f(y(d.deploys))}" width="${f(barW)}" height="${f(y(d.failedChanges) - y(d.deploys))}" fill="${COLORS.ok}"><title>${esc(`${d.date}: ${d.deploys} deploys, ${d.failedChanges} failed`)}</title></rect>`;
    if (d.failedChanges > 0)
      body += `<rect x="${f(x)}" y="${f(y(d.failedChanges))}" width="${f(barW)}" height="${f(y(0) - y(d.failedChanges))}" fill="url(#hatch${idCounter + 1})" stroke="${COLORS.fail}" stroke-width="1"><title>${esc(`${d.date}: ${d.failedChanges} failed changes`)}</title></rect>`;
    if (i % labelEvery === 0)
      body += `<text x="${f(m.l + i * slot + slot / 2)}" y="${height - m.b + 16}" text-anchor="middle" font-size="11" fill="${COLORS.axis}" ${FONT}>${esc(d.date.slice(5))}</text>`;
  });
  body += `<line x1="${m.l}" x2="${width - m.r}" y1="${f(y(0))}" y2="${f(y(0))}" stroke="${COLORS.axis}"/>`;
  body += legend(
    m.l,
    height - 10,
    [
      ['ok', 'successful change'],
      ['fail', 'failed change'],
    ],
    `hatch${idCounter + 1}`,
  );
  const total = days.reduce((s, d) => s + d.deploys, 0);
  const failed = days.reduce((s, d) => s + d.failedChanges, 0);
  return frame(
    width,
    height,
    title,
    `${total} completed deploys over ${days.length} days, ${failed} of them failed changes. Bars per UTC day; the hatched red part is failed changes.`,
    body,
  );
}

function legend(x: number, y: number, items: Array<['ok' | 'fail', string]>, failPattern?: string): string {
  let out = '';
  let cx = x;
  for (const [kind, label] of items) {
    out +=
      kind === 'ok'
        ? `<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${COLORS.ok}"/>`
        : failPattern
          ? `<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="url(#${failPattern})" stroke="${COLORS.fail}"/>`
          : `<path d="M${cx},${y - 9} l10,10 M${cx + 10},${y - 9} l-10,10" stroke="${COLORS.fail}" stroke-width="2.5"/>`;
    out += `<text x="${cx + 14}" y="${y}" font-size="11" fill="${COLORS.text}" ${FONT}>${esc(label)}</text>`;
    cx += 24 + label.length * 6.2;
  }
  return out;
}

/** Deploy durations over time: a dot per deploy (a red cross when it was a failed change) and the running median. */
export function durationTrendChart(
  deploys: DeployPoint[],
  start: string,
  end: string,
  title: string,
  boundary?: { at: string; label: string },
): string {
  const width = 720;
  const height = 240;
  const m = { l: 56, r: 16, t: 16, b: 44 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const t0 = Date.parse(start);
  const t1 = Date.parse(end);
  const worst = Math.max(60_000, ...deploys.map((d) => d.durationMs));
  const max =
    [2, 4, 8, 12, 16, 20, 30, 40, 60, 120, 240].map((m) => m * 60_000).find((v) => v >= worst) ??
    niceMax(worst / 3_600_000) * 3_600_000;
  const x = (t: number) => m.l + ((t - t0) / Math.max(1, t1 - t0)) * plotW;
  const y = (v: number) => m.t + plotH - (v / max) * plotH;
  let body = '';
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    body += `<line x1="${m.l}" x2="${width - m.r}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="${COLORS.grid}"/>`;
    body += `<text x="${m.l - 6}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11" fill="${COLORS.axis}" ${FONT}>${esc(fmtDuration(v))}</text>`;
  }
  const dayMs = 86_400_000;
  const totalDays = Math.round((t1 - t0) / dayMs);
  const every = Math.ceil(totalDays / 8);
  for (let d = 0; d <= totalDays; d += every) {
    const t = t0 + d * dayMs;
    body += `<text x="${f(x(t))}" y="${height - m.b + 16}" text-anchor="middle" font-size="11" fill="${COLORS.axis}" ${FONT}>${new Date(t).toISOString().slice(5, 10)}</text>`;
  }
  if (boundary) {
    const bx = x(Date.parse(boundary.at));
    body += `<line x1="${f(bx)}" x2="${f(bx)}" y1="${m.t}" y2="${f(y(0))}" stroke="${COLORS.axis}" stroke-width="1" stroke-dasharray="2 2"/>`;
    body += `<text x="${f(bx + 4)}" y="${m.t + 10}" font-size="11" fill="${COLORS.axis}" ${FONT}>${esc(boundary.label)}</text>`;
  }
  // Rolling median of the last 9 deploys: the trend line.
  const sorted = deploys.slice().sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const points: string[] = [];
  sorted.forEach((d, i) => {
    const window = sorted
      .slice(Math.max(0, i - 8), i + 1)
      .map((w) => w.durationMs)
      .sort((a, b) => a - b);
    const med = window[Math.floor((window.length - 1) / 2)] as number;
    points.push(`${f(x(Date.parse(d.startedAt)))},${f(y(med))}`);
  });
  const dots = sorted
    .map((d) => {
      const cx = x(Date.parse(d.startedAt));
      const cy = y(d.durationMs);
      const tip = `<title>${esc(`${d.id}: ${fmtDuration(d.durationMs)}${d.failed ? ' (failed change)' : ''}`)}</title>`;
      return d.failed
        ? `<path d="M${f(cx - 4)},${f(cy - 4)} l8,8 M${f(cx + 4)},${f(cy - 4)} l-8,8" stroke="${COLORS.fail}" stroke-width="2">${tip}</path>`
        : `<circle cx="${f(cx)}" cy="${f(cy)}" r="3" fill="${COLORS.ok}" fill-opacity="0.75">${tip}</circle>`;
    })
    .join('');
  body += dots;
  if (points.length > 1)
    body += `<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.text}" stroke-width="1.5" stroke-dasharray="4 3"/>`;
  body += `<line x1="${m.l}" x2="${width - m.r}" y1="${f(y(0))}" y2="${f(y(0))}" stroke="${COLORS.axis}"/>`;
  body += legend(m.l, height - 10, [
    ['ok', 'deploy'],
    ['fail', 'failed change'],
  ]);
  body += `<line x1="${m.l + 190}" x2="${m.l + 214}" y1="${height - 14}" y2="${height - 14}" stroke="${COLORS.text}" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${m.l + 218}" y="${height - 10}" font-size="11" fill="${COLORS.text}" ${FONT}>running median (9 deploys)</text>`;
  return frame(
    width,
    height,
    title,
    `Duration of each of ${deploys.length} deploys by start time; crosses mark failed changes; the dashed line is the running median.`,
    body,
  );
}

/** Time to restore per failure as horizontal bars, with the 1 hour and 1 day band lines. */
export function timeToRestoreChart(samples: RestoreSample[], title: string, limit = 30): string {
  const shown = samples.slice(-limit);
  const width = 720;
  const rowH = 18;
  const m = { l: 200, r: 60, t: 24, b: 30 };
  const height = m.t + m.b + Math.max(1, shown.length) * rowH;
  const plotW = width - m.l - m.r;
  // Log scale from 1 minute to the worst (at least 1 day), so minutes and days both read.
  const lo = 60_000;
  const hi = Math.max(86_400_000, ...shown.map((s) => s.durationMs));
  const x = (v: number) => m.l + (Math.log(Math.max(lo, v) / lo) / Math.log(hi / lo)) * plotW;
  let body = '';
  for (const [v, label] of [
    [60_000, '1m'],
    [3_600_000, '1h (elite)'],
    [86_400_000, '1d (high)'],
    [7 * 86_400_000, '1w (medium)'],
  ] as Array<[number, string]>) {
    if (v > hi) continue;
    body += `<line x1="${f(x(v))}" x2="${f(x(v))}" y1="${m.t - 6}" y2="${height - m.b}" stroke="${COLORS.grid}" stroke-dasharray="3 3"/>`;
    body += `<text x="${f(x(v))}" y="${m.t - 10}" text-anchor="middle" font-size="10" fill="${COLORS.axis}" ${FONT}>${esc(label)}</text>`;
  }
  shown.forEach((s, i) => {
    const yy = m.t + i * rowH;
    const color = s.durationMs < 3_600_000 ? COLORS.ok : COLORS.fail;
    body += `<text x="${m.l - 8}" y="${yy + 12}" text-anchor="end" font-size="11" fill="${COLORS.text}" ${FONT}>${esc(`${s.failureId.slice(0, 24)} · ${s.detectedAt.slice(5, 10)}`)}</text>`;
    body += `<rect x="${m.l}" y="${yy + 3}" width="${f(Math.max(2, x(s.durationMs) - m.l))}" height="${rowH - 6}" fill="${color}"><title>${esc(`${s.failureId}: ${fmtDuration(s.durationMs)}`)}</title></rect>`;
    body += `<text x="${f(x(s.durationMs) + 4)}" y="${yy + 12}" font-size="11" fill="${COLORS.text}" ${FONT}>${esc(fmtDuration(s.durationMs))}</text>`;
  });
  if (shown.length === 0)
    body += `<text x="${m.l}" y="${m.t + 12}" font-size="12" fill="${COLORS.axis}" ${FONT}>No restored failure in the period.</text>`;
  return frame(
    width,
    height,
    title,
    `${shown.length} restored failures${samples.length > shown.length ? ` (the last ${shown.length} of ${samples.length})` : ''}; bar length on a log scale from 1 minute; blue under one hour, red above.`,
    body,
  );
}
