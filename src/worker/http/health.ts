/** The probes: `/livez` (never touches Redis), `/readyz` (503 with reasons) and `/metrics`. */
import type { ServerResponse } from 'node:http';
import type { HttpDeps } from './deps.js';
import { describeError } from './failure.js';
import { sendJson } from './respond.js';

/** How long /readyz waits for the service's readiness check before answering 503. */
const READINESS_TIMEOUT_MS = 3_000;

export function handleLivez(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
}

export async function handleReadyz(deps: HttpDeps, res: ServerResponse): Promise<void> {
  if (deps.isShuttingDown()) {
    sendJson(res, 503, { ready: false, reasons: ['shutdown has begun; this process takes no new work'] });
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const report = await Promise.race([
      deps.service.readiness(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the readiness check did not answer within ${READINESS_TIMEOUT_MS} ms`)),
          READINESS_TIMEOUT_MS,
        );
      }),
    ]);
    if (deps.isShuttingDown()) {
      sendJson(res, 503, { ready: false, reasons: ['shutdown has begun; this process takes no new work'] });
    } else if (report.ready) {
      sendJson(res, 200, { ready: true });
    } else {
      sendJson(res, 503, { ready: false, reasons: report.reasons });
    }
  } catch (err) {
    sendJson(res, 503, { ready: false, reasons: [`readiness check failed: ${describeError(err).message}`] });
  } finally {
    clearTimeout(timer);
  }
}

export async function handleMetrics(deps: HttpDeps, res: ServerResponse): Promise<void> {
  const text = await deps.metrics.render();
  res.statusCode = 200;
  res.setHeader('Content-Type', deps.metrics.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
