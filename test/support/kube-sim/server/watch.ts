/**
 * Watches: from a resourceVersion (410 Expired when too old) or with the current objects first,
 * ADDED/DELETED when an object enters/leaves the selector, sendInitialEvents and bookmarks,
 * timeoutSeconds; open streams are kept for cutWatchStreams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf } from '../resources.js';
import { parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { gone, type KObj } from '../status.js';
import type { WatchEvent } from '../store.js';
import { buildTable, wantsTable } from '../table.js';
import type { ParsedPath, ServerContext } from './context.js';

export function serveWatch(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  p: ParsedPath,
  query: URLSearchParams,
): unknown {
  const { store, state } = ctx;
  const label = parseLabelSelector(query.get('labelSelector'));
  const fieldSel = query.get('fieldSelector') ?? (p.name ? `metadata.name=${p.name}` : undefined);
  const field = parseFieldSelector(fieldSel, p.r.plural);
  const matches = (o: KObj | undefined) => !!o && label(o.metadata?.labels) && field(o);
  const inScope = (ev: WatchEvent) =>
    ev.resource === p.r && (p.namespace === undefined || ev.namespace === p.namespace);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  const asTable = wantsTable(req.headers.accept);
  const includeObject = query.get('includeObject');
  const write = (type: string, object: KObj) => {
    if (res.destroyed || res.writableEnded) return;
    const out =
      asTable && type !== 'BOOKMARK' && type !== 'ERROR'
        ? buildTable(p.r, [object], String(object.metadata?.resourceVersion ?? ''), ctx.now(), includeObject)
        : object;
    res.write(`${JSON.stringify({ type, object: out })}\n`);
  };
  const toWatchEvent = (ev: WatchEvent) => {
    const now = matches(ev.object);
    if (ev.type === 'MODIFIED' && ev.old) {
      const before = matches(ev.old);
      if (now && !before) return write('ADDED', ev.object);
      if (!now && before) return write('DELETED', ev.object);
    }
    if (now) write(ev.type, ev.object);
  };
  const rvParam = query.get('resourceVersion');
  const sendInitial = query.get('sendInitialEvents') === 'true';
  if (!rvParam || rvParam === '0' || sendInitial) {
    for (const o of store.peekList(p.r, p.namespace)) if (matches(o)) write('ADDED', o);
    if (sendInitial) {
      write('BOOKMARK', {
        kind: p.r.kind,
        apiVersion: apiVersionOf(p.r),
        metadata: {
          resourceVersion: store.currentResourceVersion(),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    }
  } else {
    const rv = Number(rvParam);
    if (!Number.isFinite(rv) || rv < store.oldestResourceVersion()) {
      write(
        'ERROR',
        gone(`too old resource version: ${rvParam} (${store.oldestResourceVersion()})`).toStatus(),
      );
      res.end();
      return;
    }
    for (const ev of store.eventsSince(rv, p.r)) if (inScope(ev)) toWatchEvent(ev);
  }
  const unsubscribe = store.subscribe((ev) => {
    if (inScope(ev)) toWatchEvent(ev);
  });
  state.watchStreams.add(res);
  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const finish = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    state.watchStreams.delete(res);
  };
  const timeout = Number(query.get('timeoutSeconds') ?? 0);
  if (timeout > 0) {
    timer = setTimeout(() => {
      finish();
      res.end();
    }, timeout * 1000);
  }
  if (query.get('allowWatchBookmarks') === 'true') {
    bookmarkTimer = setInterval(() => {
      write('BOOKMARK', {
        kind: p.r.kind,
        apiVersion: apiVersionOf(p.r),
        metadata: { resourceVersion: store.currentResourceVersion() },
      });
    }, 1000);
    bookmarkTimer.unref();
  }
  res.on('close', finish);
  req.on('close', finish);
}
