/**
 * One build into dist/ at a time across test processes (`node test/run.mjs` runs two files at
 * once, and the CLI and worker e2e files each build when dist/ is stale): a lock directory,
 * dist/.e2e-build.lock, and a second freshness check once it is held, so the process that waited
 * does not build again.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs build() unless isFresh(), holding the dist/ build lock (taken over after 3 minutes). */
export function buildUnderLock(isFresh: () => boolean, build: () => void): void {
  if (isFresh()) return;
  const lock = join(ROOT, 'dist', '.e2e-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!isFresh()) build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
