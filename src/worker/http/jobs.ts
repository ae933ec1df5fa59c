/**
 * The job endpoints: `POST /v1/previews` (JSON within the body limit, validated, submitted),
 * `GET /v1/previews/:jobId` (the job's state) and `GET /v1/previews/:jobId/artifacts/<path>`
 * (one file of its directory, never outside it, single byte ranges).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { WORKER_PATH } from '../../contract/http.js';
import { parsePreviewPayload } from '../payload.js';
import { SAFE_ID_PATTERN } from '../payload-checker.js';
import { openArtifact, parseArtifactPath } from './artifact-path.js';
import { readBody } from './body.js';
import type { HttpDeps } from './deps.js';
import { describeError } from './failure.js';
import { parseRange } from './range.js';
import { HttpError, sendJson } from './respond.js';

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export async function handleSubmit(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (deps.isShuttingDown()) {
    throw new HttpError(
      503,
      'shutting_down',
      'this worker is shutting down and accepts no new jobs; retry (another replica will take it)',
      undefined,
      { 'Retry-After': '5' },
    );
  }
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'send the preview payload as JSON with the header "Content-Type: application/json"',
      { received: req.headers['content-type'] ?? null },
    );
  }
  const body = await readBody(req, deps.maxBodyBytes);
  if (body.length === 0) {
    throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON preview payload');
  }
  let input: unknown;
  try {
    input = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(
      400,
      'invalid_json',
      `the request body is not valid JSON: ${describeError(err).message}`,
    );
  }
  const parsed = parsePreviewPayload(input);
  if (!parsed.ok) {
    throw new HttpError(
      400,
      'invalid_payload',
      `the preview payload has ${parsed.issues.length} problem${parsed.issues.length === 1 ? '' : 's'}: ` +
        parsed.issues.map((i) => i.message).join('; '),
      { issues: parsed.issues },
    );
  }
  const result = await deps.service.submit(parsed.value);
  const statusUrl = `${WORKER_PATH.previews}/${encodeURIComponent(result.jobId)}`;
  sendJson(
    res,
    result.created ? 202 : 200,
    { jobId: result.jobId, state: result.state, created: result.created, statusUrl },
    { Location: statusUrl },
  );
}

function decodeJobId(raw: string): string {
  let jobId: string;
  try {
    jobId = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'invalid_job_id', 'the job id is not valid percent-encoding');
  }
  if (!SAFE_ID_PATTERN.test(jobId) || jobId === '.' || jobId === '..') {
    throw new HttpError(
      400,
      'invalid_job_id',
      "a job id is 1-128 characters of letters, digits, '.', '_' and '-', and not '.' or '..'",
    );
  }
  return jobId;
}

export async function handleStatus(deps: HttpDeps, res: ServerResponse, rawJobId: string): Promise<void> {
  const jobId = decodeJobId(rawJobId);
  const status = await deps.service.status(jobId);
  if (!status) throw new HttpError(404, 'not_found', `no preview job with id "${jobId}"`);
  sendJson(res, 200, status);
}

export async function handleArtifact(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  rawJobId: string,
  rawPath: string,
): Promise<void> {
  const jobId = decodeJobId(rawJobId);
  const parsed = parseArtifactPath(rawPath);
  if (!parsed.ok) throw new HttpError(400, 'invalid_artifact_path', parsed.reason);
  const dir = await deps.service.artifactDir(jobId);
  if (!dir) {
    throw new HttpError(
      404,
      'not_found',
      `preview job "${jobId}" is unknown or has no artifacts yet; GET ${WORKER_PATH.previews}/${jobId} shows its state`,
    );
  }
  const opened = await openArtifact(dir, parsed.segments);
  if (!opened.ok) {
    throw new HttpError(
      404,
      'not_found',
      `preview job "${jobId}" has no artifact "${parsed.segments.join('/')}"`,
    );
  }
  const { handle, size, contentType } = opened.artifact;
  const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, size);
  if (range.kind === 'unsatisfiable') {
    await handle.close();
    throw new HttpError(
      416,
      'range_not_satisfiable',
      `the requested range is outside the ${size}-byte artifact`,
      { size },
      { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' },
    );
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  res.statusCode = range.kind === 'partial' ? 206 : 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', length);
  res.setHeader('Accept-Ranges', 'bytes');
  if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  // A job's directory only appears once complete and a jobId never renders twice, so the bytes
  // never change; still private because the API may need a token.
  res.setHeader('Cache-Control', 'private, max-age=3600');
  if (req.method === 'HEAD' || length === 0) {
    await handle.close();
    res.end();
    return;
  }
  // Exactly the bytes promised in Content-Length.
  const stream = handle.createReadStream({ start, end, autoClose: false });
  try {
    await pipeline(stream, res);
  } catch (err) {
    // The client went away mid-download, or the file could not be read: nothing more to send.
    deps.logger.debug({ err: describeError(err) }, 'artifact stream ended early');
    res.destroy();
  } finally {
    await handle.close().catch(() => {});
  }
}
