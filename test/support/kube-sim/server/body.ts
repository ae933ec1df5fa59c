/** Request bodies (JSON, YAML, the protobuf kubectl's generators send) and the field manager. */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobufObject, isProtobufEnvelope } from '../protobuf.js';
import { badRequest, type Json, StatusError } from '../status.js';

export function parseBody(req: IncomingMessage, body: Buffer): Json {
  const ct = String(req.headers['content-type'] ?? 'application/json').toLowerCase();
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  if (ct.includes('protobuf')) {
    const decoded = isProtobufEnvelope(body) ? decodeProtobufObject(body) : undefined;
    if (decoded) return decoded;
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  try {
    if (ct.includes('yaml')) return parseYaml(text);
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

/** `fieldManager`, else the client's user agent's program name, like the API server. */
export function fieldManager(req: IncomingMessage, query: URLSearchParams): string {
  const fm = query.get('fieldManager');
  if (fm) return fm;
  const ua = String(req.headers['user-agent'] ?? 'unknown');
  return ua.split('/')[0] || 'unknown';
}
