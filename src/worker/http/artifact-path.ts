/**
 * Safe resolution of `GET /v1/previews/:jobId/artifacts/<path>`: a client-supplied path must
 * never reach a file outside that job's artifact directory.
 *
 * Two layers, both required:
 * 1. `parseArtifactPath` (pure): works on the raw, still percent-encoded path. It rejects
 *    backslashes and encoded slashes/backslashes before decoding, decodes each segment once, and
 *    then accepts only segments made of `[A-Za-z0-9._-]` that do not start with a dot (so `.`,
 *    `..`, `%2e%2e`, hidden files, NUL and control characters, absolute paths and empty segments
 *    all fail). Artifact names are ours (`frames/step-001.png`, `contact-sheet.png`, ...), so an
 *    allow-list costs nothing.
 * 2. `openArtifact` (filesystem): joins the segments under the job directory, resolves symlinks
 *    with realpath on both sides and requires the real target to stay inside the real job
 *    directory, requires a regular file (directories are never listed), then opens it with
 *    O_NOFOLLOW and takes the size from the open descriptor.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

export const MAX_ARTIFACT_PATH_LENGTH = 512;
export const MAX_ARTIFACT_PATH_DEPTH = 8;
const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export type ArtifactPathResult = { ok: true; segments: string[] } | { ok: false; reason: string };

/** Validates a raw (percent-encoded) artifact path, such as `frames/step-001.png`. */
export function parseArtifactPath(raw: string): ArtifactPathResult {
  if (raw.length === 0) return { ok: false, reason: 'the artifact path is empty' };
  if (raw.length > MAX_ARTIFACT_PATH_LENGTH) {
    return { ok: false, reason: `the artifact path is longer than ${MAX_ARTIFACT_PATH_LENGTH} characters` };
  }
  if (raw.includes('\\') || /%5c/i.test(raw)) {
    return { ok: false, reason: 'the artifact path must not contain backslashes' };
  }
  if (/%2f/i.test(raw)) return { ok: false, reason: 'the artifact path must not contain encoded slashes' };
  if (raw.startsWith('/')) return { ok: false, reason: 'the artifact path must be relative' };
  const rawSegments = raw.split('/');
  if (rawSegments.length > MAX_ARTIFACT_PATH_DEPTH) {
    return { ok: false, reason: `the artifact path is deeper than ${MAX_ARTIFACT_PATH_DEPTH} directories` };
  }
  const segments: string[] = [];
  for (const rawSegment of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(rawSegment);
    } catch {
      return { ok: false, reason: 'the artifact path is not valid percent-encoding' };
    }
    if (segment === '') return { ok: false, reason: 'the artifact path has an empty segment' };
    if (segment === '.' || segment === '..') {
      return { ok: false, reason: "the artifact path must not contain '.' or '..' segments" };
    }
    if (!SAFE_SEGMENT.test(segment)) {
      return {
        ok: false,
        reason:
          "artifact path segments may contain only letters, digits, '.', '_' and '-', and must not start with '.'",
      };
    }
    segments.push(segment);
  }
  return { ok: true, segments };
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json; charset=utf-8',
  '.mp4': 'video/mp4',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webm': 'video/webm',
};

/** The Content-Type for an artifact file name; unknown extensions are served as opaque bytes. */
export function artifactContentType(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/** True when `child` is `parent` itself or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(sep) ? parent : parent + sep;
  return child.startsWith(prefix);
}

export interface OpenedArtifact {
  handle: FileHandle;
  size: number;
  contentType: string;
  /** Relative path inside the job directory, with `/` separators. */
  relativePath: string;
}

export type OpenArtifactResult = { ok: true; artifact: OpenedArtifact } | { ok: false; reason: string };

/**
 * Opens `segments` (from parseArtifactPath) under `jobDir`. Every way of not getting a regular
 * file inside the job directory (missing, a directory, a symlink that leaves it) is `ok: false`,
 * which the HTTP layer answers with 404 without saying which case it was.
 */
export async function openArtifact(jobDir: string, segments: string[]): Promise<OpenArtifactResult> {
  let realDir: string;
  try {
    realDir = await realpath(jobDir);
  } catch {
    return { ok: false, reason: 'the job has no artifact directory' };
  }
  let realTarget: string;
  try {
    realTarget = await realpath(join(realDir, ...segments));
  } catch {
    return { ok: false, reason: 'no such artifact' };
  }
  if (realTarget === realDir || !isInside(realDir, realTarget)) {
    return { ok: false, reason: 'no such artifact' };
  }
  let handle: FileHandle;
  try {
    handle = await open(realTarget, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch {
    return { ok: false, reason: 'no such artifact' };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return { ok: false, reason: 'no such artifact' };
    }
    return {
      ok: true,
      artifact: {
        handle,
        size: stat.size,
        contentType: artifactContentType(realTarget),
        relativePath: segments.join('/'),
      },
    };
  } catch {
    await handle.close().catch(() => {});
    return { ok: false, reason: 'no such artifact' };
  }
}
