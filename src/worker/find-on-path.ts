/**
 * The first executable of a name in a PATH-style list, as a shell would find it: used by `npm start`
 * for redis-server and by the test toolchain (test/toolchain/) for every tool the tests run.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first executable named `command` in the PATH-style list `pathEnv`, or null. */
export function findOnPath(command: string, pathEnv: string | undefined): string | null {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
