/**
 * `logs`: the log lines of every pod of a Deployment (targets.ts), filtered (filter.ts), and either
 * handed to the caller line by line, merged by time, or mined into templates (`--patterns`).
 * Following is follow.ts. Never prints: results and callbacks only.
 *
 * Every log request asks the API server for timestamps, so plain lines have a time too (to merge
 * pods in order, to mine first/last seen, and to resume a cut stream with sinceTime without
 * repeating lines); they are shown only with --timestamps.
 */

import type { KubeClients } from '../../kube/client.js';
import { statusOf } from '../../kube/errors.js';
import { type PodLogQuery, streamPodLog } from '../../kube/log-stream.js';
import { droppedNote } from '../../patterns/log-pattern-table.js';
import { ERROR_LEVEL, type LogRecord, parseLogLine } from '../../patterns/log-record.js';
import { LogTemplateMiner, type MinerOptions } from '../../patterns/log-templates.js';
import { makeFilter } from './filter.js';
import { benignLogError, mapLogError } from './log-errors.js';
import { resolveTargets } from './targets.js';
import type { LogLineEvent, LogsNote, LogsRequest, LogsResult, PatternsResult, Target } from './types.js';

/** A one-shot read that gets no data for this long is given up (noted as incomplete). */
const ONE_SHOT_IDLE_TIMEOUT_MS = 30_000;

function sortKey(r: LogRecord): number {
  return r.time ?? 0;
}

async function readTarget(
  clients: KubeClients,
  req: LogsRequest,
  t: Target,
  notes: LogsNote[],
  onRecord: (r: LogRecord) => void,
): Promise<void> {
  const query: PodLogQuery = {
    container: t.container,
    previous: req.previous,
    tailLines: req.tail,
    sinceSeconds: req.sinceSeconds,
    timestamps: true,
  };
  try {
    let lines = 0;
    // Failures before the first byte (429, 5xx, a dropped connection) are retried with backoff;
    // nothing was delivered yet, so a retry cannot repeat lines.
    const end = await clients.retry(() =>
      streamPodLog(
        clients,
        req.namespace,
        t.pod,
        query,
        (line) => {
          lines++;
          onRecord(parseLogLine(line, { kubeTimestamps: true }));
        },
        req.signal,
        { idleTimeoutMs: ONE_SHOT_IDLE_TIMEOUT_MS },
      ),
    );
    if (end.reason === 'error') {
      notes.push({
        kind: 'stream-error',
        pod: t.pod,
        message: `the log of ${t.pod} was cut after ${lines} line(s) (${end.error?.message ?? 'connection lost'}); it may be incomplete`,
      });
    }
  } catch (err) {
    const benign = benignLogError(err);
    if (benign === 'no-previous') {
      notes.push({
        kind: 'no-previous',
        pod: t.pod,
        message: `pod ${t.pod} has no previous terminated container ${t.container}`,
      });
      return;
    }
    if (benign === 'waiting') {
      notes.push({
        kind: 'waiting',
        pod: t.pod,
        message: `pod ${t.pod}: ${statusOf(err)?.message ?? 'container has not started'}`,
      });
      return;
    }
    if (benign === 'gone') {
      notes.push({
        kind: 'pod-deleted',
        pod: t.pod,
        message: `pod ${t.pod} was deleted before its log was read`,
      });
      return;
    }
    throw mapLogError(clients, err, req.namespace, t.pod);
  }
}

/** Read every pod's log once and deliver the filtered lines merged in time order. */
export async function readDeploymentLogs(
  clients: KubeClients,
  req: LogsRequest,
  onLine: (event: LogLineEvent) => void,
): Promise<LogsResult> {
  const notes: LogsNote[] = [];
  const { selector, targets } = await resolveTargets(clients, req, notes);
  const keep = makeFilter(req);
  const collected: LogLineEvent[] = [];
  let linesRead = 0;
  await Promise.all(
    targets.map((t) =>
      readTarget(clients, req, t, notes, (record) => {
        linesRead++;
        if (keep(record)) collected.push({ pod: t.pod, container: t.container, record });
      }),
    ),
  );
  // Stable sort: lines of one pod keep their order; pods interleave by time.
  collected.sort((a, b) => sortKey(a.record) - sortKey(b.record));
  let errorLines = 0;
  for (const e of collected) {
    if ((e.record.level ?? 0) >= ERROR_LEVEL) errorLines++;
    onLine(e);
  }
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: targets.map((t) => t.pod),
    linesRead,
    linesShown: collected.length,
    errorLines,
    notes,
    interrupted: false,
  };
}

/** Read every pod's log once and mine the filtered lines into templates. */
export async function mineDeploymentLogPatterns(
  clients: KubeClients,
  req: LogsRequest,
  minerOptions: MinerOptions = {},
): Promise<PatternsResult> {
  const notes: LogsNote[] = [];
  const { selector, targets } = await resolveTargets(clients, req, notes);
  const keep = makeFilter(req);
  const miner = new LogTemplateMiner(minerOptions);
  let linesRead = 0;
  let errorLines = 0;
  await Promise.all(
    targets.map((t) =>
      readTarget(clients, req, t, notes, (record) => {
        linesRead++;
        if (!keep(record)) return;
        if ((record.level ?? 0) >= ERROR_LEVEL) errorLines++;
        miner.addRecord(record, t.pod);
      }),
    ),
  );
  const templates = miner.templates();
  const dropped = miner.dropped;
  const note = droppedNote(dropped);
  if (note) notes.push({ kind: 'templates-dropped', message: note });
  return {
    namespace: req.namespace,
    deployment: req.deployment,
    selector,
    pods: targets.map((t) => t.pod),
    linesRead,
    linesMined: miner.lines,
    errorLines,
    templates,
    dropped,
    notes,
  };
}
