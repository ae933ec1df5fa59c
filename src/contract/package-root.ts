/**
 * The package root (where package.json, assets/ and deploy/ live): the first directory above a
 * path that holds a package.json. Node built-ins only, so the worker and the CLI's start-up both use it
 * (src/deploy/package-root.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Walks up from `start` to the first directory holding a package.json; null when there is none. */
export function packageRootAbove(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
