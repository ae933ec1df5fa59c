/**
 * The package root (where package.json, deploy/environments and assets live), found by walking up
 * from a module's own location to the first directory holding a package.json. Robust to where the
 * code runs from: src/ through tsx, dist/ from tsc, or the bundled CLI, dist/cli-bundle/main.cjs
 * (which sits at another depth than the files it was built from).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRootAbove } from '../contract/package-root.js';

/**
 * Walk up from `moduleUrl` (an import.meta.url) to the nearest directory with a package.json
 * (three levels up when there is none).
 */
export function findPackageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  return packageRootAbove(start) ?? join(start, '..', '..', '..');
}
