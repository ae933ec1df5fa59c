/**
 * The artifact directory: where it is, the temporary directory beside it, and container.json
 * (every file with its size and sha256, sorted by path).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ArtifactEntry, ContainerManifest } from '../../contract/payload.js';

export const CONTAINER_FILE = 'container.json';

export interface ArtifactPaths {
  /** `<dataDir>/previews` */
  root: string;
  /** `<dataDir>/previews/<projectId>` */
  projectDir: string;
  /** `<dataDir>/previews/<projectId>/<jobId>` */
  finalDir: string;
  /** `<dataDir>/previews/<projectId>/.tmp-<jobId>-<random>` */
  tempDir: string;
}

/**
 * Computes the artifact paths for a job. The ids are validated by the payload schema; this checks
 * again (defence in depth) that every path stays strictly under `<dataDir>/previews`.
 */
export function artifactPaths(dataDir: string, projectId: string, jobId: string): ArtifactPaths {
  const root = resolve(dataDir, 'previews');
  const projectDir = resolve(root, projectId);
  const finalDir = resolve(projectDir, jobId);
  const tempDir = resolve(projectDir, `.tmp-${jobId}-${randomBytes(6).toString('hex')}`);
  for (const p of [projectDir, finalDir, tempDir]) {
    const rel = relative(root, p);
    if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..') || resolve(root, rel) !== p) {
      throw new Error(`refusing to write outside ${root}: ${p}`);
    }
  }
  if (relative(projectDir, finalDir).includes(sep) || relative(root, projectDir).includes(sep)) {
    throw new Error(`projectId and jobId must each name a single directory (got ${projectId}/${jobId})`);
  }
  return { root, projectDir, finalDir, tempDir };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        const buf = chunk as Buffer;
        bytes += buf.length;
        hash.update(buf);
      })
      .on('error', reject)
      .on('end', () => resolvePromise({ sha256: hash.digest('hex'), bytes }));
  });
}

/** Every file under `dir` (recursively), as posix paths relative to it, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    for (const e of entries) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  await walk('');
  return out.sort(comparePaths);
}

/** Byte-wise (code point) order, the same on every machine and locale. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the container entries for every file in `dir` except container.json. Hashes already
 * computed while writing (`known`) are reused; anything else is read from disk.
 */
export async function buildContainer(
  dir: string,
  known: Map<string, ArtifactEntry>,
): Promise<ArtifactEntry[]> {
  const files = (await listFiles(dir)).filter((p) => p !== CONTAINER_FILE);
  const entries: ArtifactEntry[] = [];
  for (const path of files) {
    const entry = known.get(path) ?? { path, ...(await sha256File(join(dir, path))) };
    entries.push({ path, bytes: entry.bytes, sha256: entry.sha256 });
  }
  return entries;
}

/** Serialises container.json (stable: two-space JSON, sorted entries, trailing newline). */
export function serializeContainer(files: ArtifactEntry[]): string {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  return JSON.stringify({ files: sorted }, null, 2) + '\n';
}

/**
 * Reads `<dir>/container.json`: the artifact list of a finished preview. Used when a jobId is
 * repeated, and by the HTTP layer to list a job's artifacts.
 */
export async function readContainerManifest(dir: string): Promise<ArtifactEntry[]> {
  const text = await readFile(join(dir, CONTAINER_FILE), 'utf8');
  const parsed = JSON.parse(text) as Partial<ContainerManifest>;
  if (!parsed || !Array.isArray(parsed.files))
    throw new Error(`${join(dir, CONTAINER_FILE)} has no "files" list`);
  return parsed.files.map((f) => {
    if (typeof f?.path !== 'string' || typeof f.bytes !== 'number' || typeof f.sha256 !== 'string') {
      throw new Error(`${join(dir, CONTAINER_FILE)} holds a malformed entry`);
    }
    return { path: f.path, bytes: f.bytes, sha256: f.sha256 };
  });
}

/** Temporary directories older than this are leftovers of a killed process. */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

/**
 * Removes `.tmp-*` directories in a project directory that are older than `maxAgeMs`: what a
 * process killed mid-render (SIGKILL, OOM) leaves behind. Best effort; never throws.
 */
export async function removeStaleTempDirs(
  projectDir: string,
  now = Date.now(),
  maxAgeMs = STALE_TEMP_AGE_MS,
): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(projectDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith('.tmp-')) continue;
    const full = join(projectDir, name);
    try {
      const s = await stat(full);
      if (now - s.mtimeMs > maxAgeMs) {
        await rm(full, { recursive: true, force: true });
        removed.push(name);
      }
    } catch {
      // raced with another cleaner or the owner's rename: fine
    }
  }
  return removed;
}
