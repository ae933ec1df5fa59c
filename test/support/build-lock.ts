/**
 * One build into dist/ at a time across test processes (`node test/run.mjs` runs two files at
 * once, and the CLI and worker e2e files each build when dist/ is stale): a lock directory,
 * dist/.e2e-build.lock, and a second freshness check once it is held, so the process that waited
 * does not build again. The test toolchain fetches under the same kind of lock (.tools/.fetch.lock).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runs build() unless isFresh(), holding the dist/ build lock (taken over after 3 minutes). */
export function buildUnderLock(isFresh: () => boolean, build: () => void): void {
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  runUnderLock(join(ROOT, 'dist', '.e2e-build.lock'), isFresh, build, 180_000);
}

/**
 * Runs work() unless isDone(), holding the lock directory `lock` (one process at a time; a lock
 * older than takeoverMs is taken over); isDone() is asked again once the lock is held, so a process
 * that waited for another does not repeat its work.
 */
export function runUnderLock(
  lock: string,
  isDone: () => boolean,
  work: () => void,
  takeoverMs: number,
): void {
  if (isDone()) return;
  const deadline = Date.now() + takeoverMs;
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
    if (!isDone()) work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
