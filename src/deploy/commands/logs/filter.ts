/** Which log lines `logs` keeps: --level, --grep and --exclude. */
import type { LogRecord } from '../../patterns/log-record.js';
import type { LogsRequest } from './types.js';

export function makeFilter(req: LogsRequest): (r: LogRecord) => boolean {
  const { grep, exclude, minLevel } = req;
  return (r) => {
    if (minLevel !== undefined && r.level !== undefined && r.level < minLevel) return false;
    if (grep && !grep.test(r.raw)) return false;
    if (exclude?.test(r.raw)) return false;
    return true;
  };
}
