/** Injected faults: a matching request is delayed, dropped, or answered with an error Status. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalError, StatusError, tooManyRequests } from '../status.js';
import { sendError } from './context.js';
import type { ServerState } from './types.js';

/** Applies the first matching fault; true when the request was answered (or dropped). */
export async function applyFaults(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  query: string,
): Promise<boolean> {
  for (const f of state.faults) {
    const { rule } = f;
    if (f.remaining === 0) continue;
    if (rule.method && rule.method.toUpperCase() !== req.method) continue;
    const pathOk = typeof rule.path === 'string' ? pathname.includes(rule.path) : rule.path.test(pathname);
    if (!pathOk) continue;
    if (rule.query && !rule.query.test(query)) continue;
    if (f.remaining > 0) f.remaining--;
    f.hits++;
    if (rule.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
    if (rule.drop) {
      req.socket.destroy();
      return true;
    }
    if (rule.status) {
      const code = rule.status;
      if (code === 429) sendError(res, tooManyRequests(rule.retryAfterSeconds ?? 1));
      else if (code === 500) sendError(res, internalError(rule.message ?? 'injected fault'));
      else {
        const reasons: Record<number, string> = {
          503: 'ServiceUnavailable',
          504: 'Timeout',
          404: 'NotFound',
          409: 'Conflict',
          403: 'Forbidden',
          401: 'Unauthorized',
        };
        sendError(
          res,
          new StatusError(code, reasons[code] ?? 'InternalError', rule.message ?? `injected fault (${code})`),
        );
      }
      return true;
    }
    return false;
  }
  return false;
}
