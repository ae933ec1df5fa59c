/**
 * The report as one self-contained HTML file: inline CSS, inline SVG charts, no script, no
 * external reference (fonts, images, styles), so it opens offline, attaches to an e-mail and prints
 * well (@media print: no backgrounds, sections kept together, charts scaled to the page).
 */

import type { Band } from '../../metrics/dora.js';
import {
  alertRows,
  causeRows,
  DRILL_HEADERS,
  detailRows,
  drillHeadline,
  drillRow,
  fmtBand,
  fmtDuration,
  fmtTime,
  infraRows,
  periodLabel,
  reasonText,
  reportTitle,
  summaryRows,
  thresholdRows,
  VIA_TEXT,
} from './format.js';
import type { InfraHealth } from './infra.js';
import type { DeploymentReport } from './run.js';
import { deploysPerDayChart, durationTrendChart, esc, resetChartIds, timeToRestoreChart } from './svg.js';

export const HTML_LIST_LIMIT = 100;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: #1f2933; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 48px; background: #fff; }
header { border-bottom: 3px solid #2f6fb0; padding-bottom: 12px; margin-bottom: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid #d9dde3; }
h3 { font-size: 15px; margin: 20px 0 8px; }
.meta { color: #52606d; margin: 0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { border: 1px solid #d9dde3; border-radius: 6px; padding: 12px; background: #fff; }
.card .label { font-size: 12px; color: #52606d; text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 22px; font-weight: 600; margin: 4px 0; }
.card .prev { font-size: 12px; color: #52606d; }
.band { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid; }
.band-elite { color: #0b5e2a; border-color: #0b5e2a; background: #e6f4ea; }
.band-high { color: #1d4f91; border-color: #1d4f91; background: #e8f0fb; }
.band-medium { color: #7a4b00; border-color: #7a4b00; background: #fff4de; }
.band-low { color: #8a1f11; border-color: #8a1f11; background: #fdecea; }
.band-na { color: #52606d; border-color: #9aa5b1; background: #f5f7fa; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f0f3f7; font-weight: 600; }
td.num, th.num { text-align: right; }
figure { margin: 12px 0 20px; }
figcaption { font-size: 12px; color: #52606d; }
svg.chart { width: 100%; height: auto; border: 1px solid #e4e7eb; border-radius: 4px; }
.note { color: #52606d; font-size: 13px; }
.warn { color: #8a1f11; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
footer { margin-top: 32px; font-size: 12px; color: #52606d; border-top: 1px solid #d9dde3; padding-top: 8px; }
@media (max-width: 700px) { .cards { grid-template-columns: repeat(2, 1fr); } }
@media print {
  @page { size: A4; margin: 14mm; }
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section, figure, table, .cards { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .card, th { background: #fff !important; }
  svg.chart { border: none; }
  a { color: inherit; text-decoration: none; }
}
`;

function bandBadge(b: Band | null): string {
  return `<span class="band band-${b ?? 'na'}">${esc(fmtBand(b))}</span>`;
}

function table(headers: string[], rows: string[][], numeric: number[] = [], caption?: string): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="num"' : '');
  return (
    `<table>${caption ? `<caption class="sr-only">${esc(caption)}</caption>` : ''}<thead><tr>${headers.map((h, i) => `<th scope="col"${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

function capNote(total: number, limit: number): string {
  return total > limit
    ? `<p class="note">Showing ${limit} of ${total}; <code>--format json</code> lists all.</p>`
    : '';
}

function infraSection(infra: InfraHealth): string {
  const rows = infraRows(infra, {
    cpu: 'CPU peak / limit',
    memory: 'Memory peak / limit',
    durationNote: 'preview_worker_job_duration_seconds',
  }).map((r) => r.map(esc));
  const alerts = !infra.alerts.available
    ? `<p class="note">${esc(infra.alerts.note ?? 'not available')}</p>`
    : infra.alerts.firing.length === 0
      ? '<p>No alert fired in the period.</p>'
      : table(
          ['Alert', 'Severity', 'Times fired', 'Time firing'],
          alertRows(infra).map((r) => r.map(esc)),
          [2, 3],
        );
  return (
    `<section><h2>Infrastructure health</h2><p><strong>Source: ${infra.source === 'prometheus' ? 'Prometheus' : 'current cluster state'}</strong>: ${esc(infra.sourceDetail)}.</p>` +
    table(['Figure', 'Value', 'Note'], rows) +
    `<h3>Alerts fired</h3>${alerts}${infra.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}</section>`
  );
}

export function renderHtml(r: DeploymentReport): string {
  resetChartIds();
  const L = periodLabel(r);
  const c = r.current;
  const title = reportTitle(r);
  const parts: string[] = [];
  parts.push(
    `<header><h1>${esc(title)}</h1><p class="meta">${esc(
      `${L.current}: ${fmtTime(c.start)} → ${fmtTime(c.end)} (${c.days} days); ${L.previous.toLowerCase()}: ${fmtTime(r.previous.start)} → ${fmtTime(r.previous.end)}. Failure window ${fmtDuration(r.failureWindowMs)}. Ledger: ${r.ledger.records} deploy/rollback records, ${r.ledger.incidents} incidents (${r.ledger.driver} driver).`,
    )}</p></header>`,
  );

  const cards = summaryRows(r)
    .map(
      ([k, cur, prev, band]) =>
        `<div class="card"><div class="label">${esc(k)}</div><div class="value">${esc(cur.replace(/ \(.*\)$/, ''))}</div><div>${bandBadge(band)}</div><div class="prev">${esc(`${L.previous}: ${prev}`)}</div></div>`,
    )
    .join('');
  parts.push(
    `<section aria-labelledby="keys"><h2 id="keys">DORA keys</h2><div class="cards">${cards}</div></section>`,
  );

  parts.push(
    `<section><h2>Deployments</h2>${table(
      ['', L.current, L.previous],
      detailRows(r).map(([a, b, cc]) => [esc(a), esc(b), esc(cc)]),
      [1, 2],
    )}`,
  );
  if (c.deployments.inProgress.length > 0)
    parts.push(
      `<h3>In progress (excluded from every rate)</h3>${table(
        ['Deploy', 'Started', 'Image', 'By', 'Note'],
        c.deployments.inProgress.map((d) => [
          esc(d.id),
          esc(fmtTime(d.startedAt)),
          esc(d.image ?? ''),
          esc(d.actor),
          d.stale ? '<span class="warn">running for over 6 hours: the CLI may have died</span>' : '',
        ]),
      )}`,
    );
  parts.push('</section>');

  const perDayTitle = `Deploys per day, ${L.current.toLowerCase()}`;
  parts.push(
    `<section><h2>Charts</h2><figure>${deploysPerDayChart(c.daily, perDayTitle)}<figcaption>${esc(perDayTitle)}; failed changes hatched red.</figcaption>` +
      table(
        ['Day', 'Deploys', 'Failed changes'],
        c.daily.map((d) => [d.date, String(d.deploys), String(d.failedChanges)]),
        [1, 2],
        perDayTitle,
      ).replace('<table>', '<table class="sr-only">') +
      '</figure>',
  );
  const trendTitle = `Deploy duration, ${L.previous.toLowerCase()} and ${L.current.toLowerCase()}`;
  const trend = [...r.previous.deploys, ...c.deploys];
  parts.push(
    `<figure>${durationTrendChart(trend, r.previous.start, c.end, trendTitle, { at: c.start, label: `${L.current.toLowerCase()} →` })}<figcaption>${esc(trendTitle)}: p50 ${fmtDuration(c.deployDuration.p50Ms)} (was ${fmtDuration(r.previous.deployDuration.p50Ms)}), p95 ${fmtDuration(c.deployDuration.p95Ms)} (was ${fmtDuration(r.previous.deployDuration.p95Ms)}).</figcaption>` +
      table(
        ['Period', 'Deploys', 'p50', 'p95'],
        [
          [
            L.previous,
            String(r.previous.deployDuration.count),
            fmtDuration(r.previous.deployDuration.p50Ms),
            fmtDuration(r.previous.deployDuration.p95Ms),
          ],
          [
            L.current,
            String(c.deployDuration.count),
            fmtDuration(c.deployDuration.p50Ms),
            fmtDuration(c.deployDuration.p95Ms),
          ],
        ],
        [1, 2, 3],
        trendTitle,
      ).replace('<table>', '<table class="sr-only">') +
      '</figure>',
  );
  const ttrTitle = `Time to restore per failure, ${L.current.toLowerCase()}`;
  parts.push(
    `<figure>${timeToRestoreChart(c.timeToRestore.samples, ttrTitle)}<figcaption>${esc(ttrTitle)}: median ${fmtDuration(c.timeToRestore.p50Ms)}, worst ${fmtDuration(c.timeToRestore.maxMs)}.</figcaption></figure></section>`,
  );

  parts.push('<section><h2>Failed changes</h2>');
  if (c.failedChanges.length === 0) parts.push(`<p>No failed change ${esc(L.current.toLowerCase())}.</p>`);
  else
    parts.push(
      table(
        ['Deploy', 'Started', 'Failure class', 'Counted because'],
        c.failedChanges
          .slice(0, HTML_LIST_LIMIT)
          .map((x) => [
            esc(x.deployId),
            esc(fmtTime(x.startedAt)),
            esc(x.failureClass ?? ''),
            esc(x.reasons.map(reasonText).join('; ')),
          ]),
      ) + capNote(c.failedChanges.length, HTML_LIST_LIMIT),
    );
  parts.push('</section><section><h2>Rollbacks by cause</h2>');
  if (c.rollbacks.causes.length === 0) parts.push(`<p>No rollback ${esc(L.current.toLowerCase())}.</p>`);
  else
    parts.push(
      table(
        ['Rank', 'Cause', 'Rollbacks', 'Automatic', 'Manual'],
        causeRows(r).map((row) => row.map(esc)),
        [0, 2, 3, 4],
      ),
    );
  parts.push('</section><section><h2>Time to restore</h2>');
  if (c.timeToRestore.samples.length === 0 && c.timeToRestore.unrestored.length === 0)
    parts.push(`<p>No failure ${esc(L.current.toLowerCase())}.</p>`);
  else {
    if (c.timeToRestore.samples.length > 0)
      parts.push(
        table(
          ['Failure', 'Detected', 'Restored', 'Time to restore', 'Restored by'],
          c.timeToRestore.samples
            .slice(0, HTML_LIST_LIMIT)
            .map((s) => [
              esc(s.failureId),
              esc(fmtTime(s.detectedAt)),
              esc(fmtTime(s.restoredAt)),
              fmtDuration(s.durationMs),
              esc(VIA_TEXT[s.via] ?? s.via),
            ]),
          [3],
        ) + capNote(c.timeToRestore.samples.length, HTML_LIST_LIMIT),
      );
    if (c.timeToRestore.unrestored.length > 0)
      parts.push(
        `<p class="warn">Not restored yet (left out of the median): ${esc(c.timeToRestore.unrestored.map((u) => `${u.failureId} (detected ${fmtTime(u.detectedAt)})`).join(', '))}</p>`,
      );
  }
  parts.push(
    `</section><section><h2>Rollback drills</h2><p${r.drills.overdue ? ' class="warn"' : ''}>${esc(drillHeadline(r))}</p>`,
  );
  if (r.drills.items.length > 0)
    parts.push(
      table(
        DRILL_HEADERS,
        r.drills.items.slice(0, HTML_LIST_LIMIT).map((d) => drillRow(d).map(esc)),
        [4, 5, 6],
      ) + capNote(r.drills.items.length, HTML_LIST_LIMIT),
    );
  parts.push(
    `</section><section><h2>DORA bands and thresholds</h2>${table(
      ['Key', 'Elite', 'High', 'Medium', 'Low'],
      thresholdRows(r).map((row) => row.map(esc)),
    )}<p class="note">Source: ${esc(r.thresholds.source)}. The published bands describe survey clusters; this report uses them as contiguous thresholds (docs/FOUR_KEYS_COMPARISON.md).</p></section>`,
  );
  if (r.infrastructure) parts.push(infraSection(r.infrastructure));
  else if (r.period === 'month')
    parts.push(
      `<section><h2>Infrastructure health</h2><p class="note">${esc(r.infrastructureNote ?? 'not available')}</p></section>`,
    );
  const quality = [
    ...(r.ledger.coverageNote ? [`incomplete history: ${r.ledger.coverageNote}`] : []),
    ...r.clockSkew.map((x) => `clock skew: ${x.recordId}: ${x.detail}`),
    ...r.ledger.problems.map((p) => `skipped ledger entry ${p.location}: ${p.message}`),
  ];
  if (quality.length > 0)
    parts.push(
      `<section><h2>Data quality</h2><ul>${quality
        .slice(0, HTML_LIST_LIMIT)
        .map((q) => `<li>${esc(q)}</li>`)
        .join('')}</ul>${capNote(quality.length, HTML_LIST_LIMIT)}</section>`,
    );
  parts.push(
    `<footer>Records belong to the period their start falls in. A failed change is a deploy that failed, was rolled back, or was followed by an incident within ${esc(fmtDuration(r.failureWindowMs))}; it counts once. Generated by mobius-deploy report at ${esc(fmtTime(r.generatedAt))}.</footer>`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.join('\n')}
</main>
</body>
</html>
`;
}
