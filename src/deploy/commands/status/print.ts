/**
 * The table rendering of a StatusResult: sections Deployment, Pods, Resources, Autoscaler, Queue,
 * Events, Findings; colour for state on a TTY.
 */

import type { StatusResult } from '../../health/status-types.js';
import { formatBytes, formatCpu } from '../../kube/quantity.js';
import type { Colors } from '../../output/color.js';
import { ageOf } from '../../output/duration.js';
import { plural } from '../../output/plural.js';
import { renderKeyValues, renderTable } from '../../output/table.js';

export interface RenderContext {
  colors: Colors;
  width?: number;
  now: () => number;
}

function pctText(p: number | undefined, warn: number, c: Colors): string {
  if (p === undefined) return '-';
  const t = `${Math.round(p)}%`;
  return p > warn ? (p >= 95 ? c.red(t) : c.yellow(t)) : t;
}

export function renderStatus(r: StatusResult, ctx: RenderContext): string {
  const c = ctx.colors;
  const now = Date.parse(r.generatedAt) || ctx.now();
  const out: string[] = [];
  const heading = (s: string) => out.push(`\n${c.bold(s)}\n`);
  const d = r.deployment;
  const stateWord =
    d.rollout.phase === 'complete'
      ? c.green('complete')
      : d.rollout.phase === 'failed'
        ? c.red('failed')
        : c.yellow(d.rollout.phase);

  out.push(
    `${c.bold(`Deployment ${d.name}`)} in namespace ${r.namespace}${r.context ? ` (context ${r.context})` : ''}: ${r.healthy ? c.green('healthy') : c.red('needs attention')}\n`,
  );
  heading('Deployment');
  out.push(
    renderKeyValues(
      [
        ['Image', d.images.join(', ') || '-'],
        ['Revision', d.revision !== undefined ? String(d.revision) : '-'],
        [
          'Replicas',
          `${d.replicas.desired} desired, ${d.replicas.updated} updated, ${d.replicas.ready} ready, ${d.replicas.available} available${d.replicas.unavailable ? `, ${d.replicas.unavailable} unavailable` : ''}`,
        ],
        ['Rollout', `${stateWord}: ${d.rollout.message}`],
        [
          'Conditions',
          d.conditions.map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`).join(', ') ||
            '-',
        ],
        ['Age', ageOf(d.createdAt, now)],
      ],
      '  ',
    ),
  );

  heading(`Pods (${r.pods.length})`);
  if (r.pods.length === 0) out.push('  no pods match the Deployment selector\n');
  else {
    out.push(
      renderTable(
        [
          { header: 'name' },
          { header: 'status' },
          { header: 'ready' },
          { header: 'restarts', align: 'right' },
          { header: 'age' },
          { header: 'node' },
          { header: 'reason', flex: true },
        ],
        r.pods.map((p) => {
          const colour =
            p.health.state === 'healthy' ? c.green : p.health.state === 'unhealthy' ? c.red : c.yellow;
          const restarts = p.lastRestartAt
            ? `${p.restarts} (${ageOf(p.lastRestartAt, now)} ago)`
            : String(p.restarts);
          return [
            p.name,
            colour(p.status),
            p.ready,
            restarts,
            ageOf(p.createdAt, now),
            p.node ?? '<none>',
            p.health.message ?? '',
          ];
        }),
        { indent: '  ', width: ctx.width },
      ),
    );
  }

  heading('Resources');
  if (!r.resources.available) out.push(`  ${c.dim(r.resources.note ?? 'not available')}\n`);
  else if (r.resources.pods.length === 0) out.push('  no pod metrics reported yet\n');
  else {
    const th = r.thresholds;
    out.push(
      renderTable(
        [
          { header: 'pod' },
          { header: 'cpu', align: 'right' },
          { header: 'cpu req/lim', align: 'right' },
          { header: '%lim', align: 'right' },
          { header: 'memory', align: 'right' },
          { header: 'mem req/lim', align: 'right' },
          { header: '%req', align: 'right' },
          { header: '%lim', align: 'right' },
        ],
        r.resources.pods.map((p) => [
          p.pod,
          formatCpu(p.cpu.usage),
          `${p.cpu.request !== undefined ? formatCpu(p.cpu.request) : '-'}/${p.cpu.limit !== undefined ? formatCpu(p.cpu.limit) : '-'}`,
          pctText(p.cpu.pctOfLimit, th.warnCpuPercent, c),
          formatBytes(p.memory.usage),
          `${p.memory.request !== undefined ? formatBytes(p.memory.request) : '-'}/${p.memory.limit !== undefined ? formatBytes(p.memory.limit) : '-'}`,
          p.memory.pctOfRequest !== undefined ? `${Math.round(p.memory.pctOfRequest)}%` : '-',
          pctText(p.memory.pctOfLimit, th.warnMemoryPercent, c),
        ]),
        { indent: '  ', width: ctx.width },
      ),
    );
  }

  heading('Autoscaler');
  if (!r.autoscaler) out.push('  no HorizontalPodAutoscaler targets this Deployment\n');
  else {
    const h = r.autoscaler;
    out.push(
      renderKeyValues(
        [
          ['Name', h.name],
          [
            'Replicas',
            `${h.currentReplicas ?? '?'} current, ${h.desiredReplicas ?? '?'} desired (min ${h.minReplicas ?? 1}, max ${h.maxReplicas})`,
          ],
          [
            'Metrics',
            h.metrics.map((m) => `${m.name} ${m.current ?? '<unknown>'}/${m.target ?? '?'}`).join(', ') ||
              '-',
          ],
          [
            'Conditions',
            h.conditions.map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason})` : ''}`).join(', ') ||
              '-',
          ],
        ],
        '  ',
      ),
    );
  }

  heading('Queue');
  if (!r.queue) out.push('  not read (--no-queue)\n');
  else if (!r.queue.available) out.push(`  ${c.yellow('not available')}: ${r.queue.note ?? ''}\n`);
  else {
    const q = r.queue;
    const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
    out.push(
      renderKeyValues(
        [
          ['Waiting', n(q.waiting)],
          ['Active', n(q.active)],
          ['Failed', n(q.failed)],
          ['Delayed', n(q.delayed)],
          ['Workers', `${q.workers} ready`],
          [
            'Read from',
            `${q.podsAnswered} of ${plural(q.podsAsked, 'pod')} answered /metrics${q.podsAsked < q.podsRunning ? ` (asked ${q.podsAsked} of ${q.podsRunning} running: all report the one shared queue)` : ''}`,
          ],
        ],
        '  ',
      ),
    );
    for (const e of q.errors) out.push(`  ${c.yellow('!')} ${e.pod}: ${e.error}\n`);
  }

  heading(`Warning events (${r.events.length})`);
  if (r.events.length === 0) out.push('  none\n');
  else {
    const shown = r.events.slice(0, 20);
    out.push(
      renderTable(
        [
          { header: 'last seen' },
          { header: 'reason' },
          { header: 'object' },
          { header: 'count', align: 'right' },
          { header: 'message', flex: true },
        ],
        shown.map((e) => [
          e.lastSeen ? `${ageOf(e.lastSeen, now)} ago` : '-',
          e.reason,
          e.object,
          String(e.count),
          e.message.replace(/\s+/g, ' '),
        ]),
        { indent: '  ', width: ctx.width },
      ),
    );
    if (r.events.length > shown.length)
      out.push(`  … and ${r.events.length - shown.length} more (-o json shows all)\n`);
  }

  heading('Findings');
  if (r.findings.length === 0) out.push(`  ${c.green('✔')} everything within expected limits\n`);
  for (const f of r.findings) {
    out.push(`  ${f.severity === 'critical' ? c.red('✖') : c.yellow('!')} ${f.message}\n`);
    if (f.runbook) out.push(`    ${c.dim(`see ${f.runbook}`)}\n`);
  }
  for (const n of r.notes) out.push(`  ${c.dim(`note: ${n}`)}\n`);
  return out.join('');
}
