/**
 * The payload's media rules, which the renderer reads too: an asset's `data:` URI (PNG, JPEG or
 * SVG, at most 2 MiB decoded, no network URLs) and a resolution "WxH" within 160x90..1920x1080.
 */
export const MAX_ASSET_BYTES = 2 * 1024 * 1024;
const DATA_URI = /^data:(image\/png|image\/jpeg|image\/svg\+xml)(;charset=[A-Za-z0-9_-]+)?(;base64)?,(.*)$/s;

/** Decodes a `data:` URI into its media type and bytes, or returns null when it is not one we accept. */
export function decodeDataUri(source: string): { mediaType: string; bytes: Buffer } | null {
  const m = DATA_URI.exec(source);
  if (!m) return null;
  const mediaType = m[1]!;
  const isBase64 = Boolean(m[3]);
  const body = m[4] ?? '';
  try {
    const bytes = isBase64 ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
    return { mediaType, bytes };
  } catch {
    return null;
  }
}

export const RESOLUTION_MIN = { width: 160, height: 90 } as const;
export const RESOLUTION_MAX = { width: 1920, height: 1080 } as const;

/** Parses "WxH" into numbers, or null when malformed or out of the allowed range. */
export function parseResolution(value: string): { width: number; height: number } | null {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(value);
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < RESOLUTION_MIN.width || width > RESOLUTION_MAX.width) return null;
  if (height < RESOLUTION_MIN.height || height > RESOLUTION_MAX.height) return null;
  return { width, height };
}

/** The head of a data: URI we accept, up to and including the comma. */
const DATA_URI_HEAD = /^data:(image\/png|image\/jpeg|image\/svg\+xml)(;charset=[A-Za-z0-9_-]+)?(;base64)?,/;

/**
 * The decoded size of a data: URI we accept, or null when it is not one. A base64 body is sized
 * from its length (exactly, by decoding, only when that reaches the limit: whitespace inside
 * would make the estimate high); the renderer decodes the assets it draws.
 */
export function dataUriByteLength(source: string): number | null {
  const m = DATA_URI_HEAD.exec(source);
  if (!m) return null;
  if (m[3]) {
    const body = source.slice(m[0].length);
    const estimate = Buffer.byteLength(body, 'base64');
    return estimate <= MAX_ASSET_BYTES ? estimate : Buffer.from(body, 'base64').length;
  }
  const decoded = decodeDataUri(source);
  return decoded ? decoded.bytes.length : null;
}
