/**
 * `render --out-dir`: write one file per object into a directory, replacing an earlier render
 * there (the objects come from manifests/render.ts; the YAML stream printed is render/print.ts's).
 *
 *   writeManifestDir(renderManifests({ environment: 'production' }), 'out/')
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { manifestFileName } from '../../manifests/index.js';
import type { RenderResult } from '../../manifests/render.js';
import { renderObjectFiles } from '../../manifests/rendered-files.js';
import { renderedHeader } from './header.js';

/** Files written by --out-dir follow this pattern; only such files are ever removed from the directory. */
export const RENDERED_FILE_PATTERN = /^\d{2}-[a-z]+-[a-z0-9.-]+\.yaml$/;

export interface WriteResult {
  dir: string;
  files: string[];
  /** Files of an earlier render that no longer exist in this one (removed). */
  removed: string[];
}

/** Writes one file per object into `dir` (created if needed), replacing an earlier render there. */
export function writeManifestDir(result: RenderResult, dir: string): WriteResult {
  const target = resolve(dir);
  try {
    mkdirSync(target, { recursive: true });
  } catch (err) {
    throw new ConfigError(`Cannot create --out-dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}.`, {
      hint: 'Give a directory you can write to.',
      cause: err,
    });
  }
  const files = renderObjectFiles(result.objects, renderedHeader(result));
  const removed = readdirSync(target).filter((name) => RENDERED_FILE_PATTERN.test(name) && !files.has(name));
  for (const name of removed) rmSync(join(target, name));
  for (const [name, content] of files) writeFileSync(join(target, name), content);
  return { dir: target, files: result.objects.map((o, i) => manifestFileName(o, i)), removed };
}
