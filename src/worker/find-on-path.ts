/**
 * Executables in a PATH-style list, as a shell would find them: used by `npm start` for
 * redis-server and by the test toolchain (test/toolchain/) for every tool the tests run.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `path` is a file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every executable named `command` in the PATH-style list `pathEnv`, in PATH order. */
export function executablesOnPath(command: string, pathEnv: string | undefined): string[] {
  const out: string[] = [];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate) && !out.includes(candidate)) out.push(candidate);
  }
  return out;
}

/** The first executable named `command` in the PATH-style list `pathEnv`, or null. */
export function findOnPath(command: string, pathEnv: string | undefined): string | null {
  return executablesOnPath(command, pathEnv)[0] ?? null;
}
