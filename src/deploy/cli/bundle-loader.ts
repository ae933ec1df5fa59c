/**
 * Loads the bundled CLI (dist/cli-bundle/main.cjs, made by build/bundle-cli.mjs) with V8's code
 * cache, so that `mobius-deploy` starts without compiling its own code again on every run.
 *
 * Why: a daily `status` is a short process, and most of its time before the first request to the
 * API server used to go to loading and compiling JavaScript. A single CommonJS file compiled
 * through `vm.Script` with `cachedData` (the technique of v8-compile-cache, and of Node 22's
 * `module.enableCompileCache()`, which Node 20 lacks) skips that work.
 *
 * The cache file (`main.cjs.v8cache`, written at build time by `writeCache` after a warm-up run)
 * starts with one JSON line naming the bundle it was made from (size and mtime, as Python's .pyc
 * files do: V8 itself only checks the source length) and the CRC-32 of the data that follows (V8
 * does not checksum code caches in release builds, and damaged data would run as damaged code).
 * A cache that does not match, or that V8 rejects (another Node version or V8 flags), is ignored:
 * the bundle then compiles as usual. Nothing is written at run time.
 *
 * The bundle is wrapped like a CommonJS module, with one more parameter, `__mobiusImport`: V8 code
 * from a cache cannot run `import()` in Node 20 (the dynamic-import host options are not part of
 * the cache), so build/bundle-cli.mjs rewrites every `import()` of a package (@kubernetes/client-node
 * is ES-module only) to call this function, which runs here, outside the cached code.
 *
 * This file is itself bundled to dist/cli-bundle/loader.cjs (CommonJS, like cli/mobius-deploy.js,
 * which requires it: no ES module loader on the way to a command).
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';

/** The parameters the bundle's code sees, as a CommonJS module does, plus the import function. */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __mobiusImport) { ';
const WRAPPER_TAIL = '\n});';

export type CacheState = 'used' | 'rejected' | 'stale' | 'damaged' | 'missing';

export interface LoadedBundle<T> {
  exports: T;
  /**
   * What became of the code cache: used; rejected by V8 (another Node version or flags); stale
   * (made for another bundle); damaged (its checksum does not match); missing.
   */
  cache: CacheState;
  /** Write a code cache for this bundle (with every function compiled so far). */
  writeCache(): number;
}

interface CacheHeader {
  bundleSize: number;
  bundleMtimeMs: number;
  /** CRC-32 of the V8 data after the header line. */
  crc32: number;
  node: string;
}

export function cacheFileFor(bundle: string): string {
  return `${bundle}.v8cache`;
}

function readCache(bundle: string, size: number, mtimeMs: number): { data?: Buffer; state: CacheState } {
  let buf: Buffer;
  try {
    buf = readFileSync(cacheFileFor(bundle));
  } catch {
    return { state: 'missing' };
  }
  const nl = buf.indexOf(10);
  if (nl < 0) return { state: 'stale' };
  let head: Partial<CacheHeader>;
  try {
    head = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Partial<CacheHeader>;
  } catch {
    return { state: 'stale' };
  }
  if (head.bundleSize !== size || head.bundleMtimeMs !== mtimeMs) return { state: 'stale' };
  const data = buf.subarray(nl + 1);
  if (head.crc32 !== crc32(data)) return { state: 'damaged' };
  return { data, state: 'used' };
}

/**
 * Load and run the bundle at `file` (an absolute path); `useCache: false` compiles it without the
 * cache (the build's warm-up does, so the cache it writes is made from a fresh compile).
 */
export function loadBundle<T>(file: string, options: { useCache?: boolean } = {}): LoadedBundle<T> {
  // The bundle is ASCII (esbuild escapes the rest; build/bundle-cli.mjs checks): latin1 reads it
  // without UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  const st = statSync(file);
  const cached =
    options.useCache === false ? { state: 'missing' as CacheState } : readCache(file, st.size, st.mtimeMs);
  const script = new vm.Script(WRAPPER_HEAD + source + WRAPPER_TAIL, {
    filename: file,
    cachedData: cached.data,
  });
  const state: CacheState = cached.data && script.cachedDataRejected ? 'rejected' : cached.state;
  const module = { exports: {} as T };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const importPackage = (specifier: string) => import(specifier);
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), importPackage);
  return {
    exports: module.exports,
    cache: state,
    writeCache() {
      const data = script.createCachedData();
      const header: CacheHeader = {
        bundleSize: st.size,
        bundleMtimeMs: st.mtimeMs,
        crc32: crc32(data),
        node: process.version,
      };
      const target = cacheFileFor(file);
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), data]));
      renameSync(tmp, target);
      return data.length;
    },
  };
}
