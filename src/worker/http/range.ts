/**
 * Single byte-range requests (RFC 9110 section 14) for artifact downloads, so a browser can seek
 * in `preview.mp4` (Safari will not play a video from a server without range support) and a
 * client can resume a download. Multiple ranges are not supported: such a request gets the whole
 * file (200), which the RFC allows.
 */

export type RangeResult =
  /** no Range header, a malformed one, or several ranges: send the whole file */
  | { kind: 'full' }
  /** send bytes start..end inclusive with 206 */
  | { kind: 'partial'; start: number; end: number }
  /** 416 with `Content-Range: bytes * /size` */
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, first, last] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // suffix range: the last N bytes
    const length = Number(last);
    if (!Number.isSafeInteger(length) || length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return { kind: 'unsatisfiable' };
  if (start >= size) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'partial', start, end: size - 1 };
  const end = Number(last);
  if (!Number.isSafeInteger(end) || end < start) return { kind: 'full' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
