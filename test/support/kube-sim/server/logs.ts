/**
 * Pod logs (GET pods/NAME/log): container choice, previous, tailLines, sinceSeconds/sinceTime,
 * timestamps, limitBytes, and follow streams that get appended lines at once.
 */
import type { ServerResponse } from 'node:http';
import type { LogLine } from '../logs.js';
import { findResource } from '../resources.js';
import { badRequest, type KObj, notFound, StatusError } from '../status.js';
import type { ServerContext } from './context.js';

const PODS = findResource('', 'v1', 'pods')!;

/** RFC3339 with nanoseconds, like the kubelet's log timestamps. */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

export function serveLogs(
  ctx: ServerContext,
  res: ServerResponse,
  ns: string,
  name: string,
  query: URLSearchParams,
): unknown {
  const { store, logs, state } = ctx;
  const pod = store.get(PODS, ns, name);
  if (!pod) throw notFound(PODS, name);
  const containers = ((pod.spec?.containers ?? []) as KObj[]).map((c) => c.name as string);
  let container = query.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0];
  }
  if (!containers.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  const previous = query.get('previous') === 'true';
  const follow = query.get('follow') === 'true';
  const timestamps = query.get('timestamps') === 'true';
  const tail = query.get('tailLines');
  const sinceSeconds = query.get('sinceSeconds');
  const sinceTime = query.get('sinceTime');
  const limitBytes = Number(query.get('limitBytes') ?? 0);
  if (sinceSeconds && sinceTime)
    throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== null && !(Number(sinceSeconds) >= 1)) {
    throw new StatusError(
      422,
      'Invalid',
      `PodLogOptions "${name}" is invalid: sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`,
    );
  }
  if (tail !== null && !(Number(tail) >= 0)) {
    throw new StatusError(
      422,
      'Invalid',
      `PodLogOptions "${name}" is invalid: tailLines: Invalid value: ${tail}: must be greater than or equal to 0`,
    );
  }
  if (!pod.spec?.nodeName) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  const cs = ((pod.status?.containerStatuses ?? []) as KObj[]).find((c) => c.name === container);
  const cstate = cs?.state ?? {};
  const lastTerminated = cs?.lastState?.terminated;
  let running = false;
  if (previous) {
    if (!lastTerminated?.containerID) {
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
  } else if (cstate.running) {
    running = true;
  } else if (cstate.terminated) {
    // terminated current container: its lines
  } else if (lastTerminated) {
    // waiting after a crash: the last terminated instance's lines
  } else if (cstate.waiting || !cs) {
    const reason = cstate.waiting?.reason ?? 'ContainerCreating';
    const why =
      reason === 'ErrImagePull'
        ? "image can't be pulled"
        : reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : reason;
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  const usePrevious = previous || (!running && !cstate.terminated && !!lastTerminated);
  let lines: LogLine[] = [...(logs.read(ns, name, container, usePrevious) ?? [])];
  let minTime = -Infinity;
  if (sinceSeconds) minTime = ctx.now() - Number(sinceSeconds) * 1000;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t))
      throw badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
    minTime = t;
  }
  lines = lines.filter((l) => l.time >= minTime);
  if (tail !== null) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  let written = 0;
  const fmt = (l: LogLine) => `${timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`;
  const write = (l: LogLine): boolean => {
    let s = fmt(l);
    if (limitBytes > 0) {
      if (written >= limitBytes) return false;
      const buf = Buffer.from(s);
      if (written + buf.length > limitBytes) s = buf.subarray(0, limitBytes - written).toString();
    }
    written += Buffer.byteLength(s);
    if (!res.destroyed) res.write(s);
    return limitBytes === 0 || written < limitBytes;
  };
  for (const l of lines) if (!write(l)) break;
  if (!follow || !running || (limitBytes > 0 && written >= limitBytes)) {
    res.end();
    return;
  }
  res.flushHeaders();
  state.logStreams.add(res);
  const stop = logs.follow(ns, name, container, (l) => {
    if (l === null) {
      stop();
      state.logStreams.delete(res);
      if (!res.destroyed) res.end();
      return;
    }
    if (!write(l)) {
      stop();
      state.logStreams.delete(res);
      res.end();
    }
  });
  res.on('close', () => {
    stop();
    state.logStreams.delete(res);
  });
}
