/**
 * The external programs a test runs, by name from PATH: `npm test` (test/runner.ts) puts .tools/bin
 * first on PATH, with every program of test/toolchain/manifest.ts found or fetched. A test never
 * skips for a missing program; run outside `npm test` without one, it fails saying how to get it.
 */
import { findOnPath } from '../../src/worker/find-on-path.js';
import { toolSpec } from '../toolchain/manifest.js';

export function requireTool(name: string): string {
  const spec = toolSpec(name);
  const path = findOnPath(name, process.env.PATH);
  if (!path) {
    throw new Error(
      `${name} is not on PATH. Run the tests with npm test (or node test/run.mjs), which finds or fetches it, ` +
        `or run npm run tools and put .tools/bin first on PATH (apt: ${spec.install.apt}; brew: ${spec.install.brew}).`,
    );
  }
  return path;
}
