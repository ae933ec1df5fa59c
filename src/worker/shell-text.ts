/**
 * Text for people to read or paste into a shell: used by `npm start` (the command it prints) and
 * the test toolchain (its messages and the sh wrappers it writes).
 */
import { isAbsolute, relative } from 'node:path';

/** Quotes a path for a POSIX shell when it holds anything beyond plain characters. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `path` relative to `cwd` when it lies inside it, else absolute. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
