/** `doctor`'s first check: the Node.js version the CLI runs on. */
import type { DoctorCheck } from './types.js';

export const MIN_NODE = [20, 19, 0] as const;

function compareVersion(v: string, min: readonly number[]): number {
  const parts = v
    .replace(/^v/, '')
    .split('.')
    .map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (parts[i] ?? 0) - (min[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function checkNodeVersion(version: string): DoctorCheck {
  const ok = compareVersion(version, MIN_NODE) >= 0;
  return {
    name: 'node version',
    status: ok ? 'pass' : 'fail',
    evidence: `Node.js ${version} (${ok ? 'meets' : 'below'} the required ${MIN_NODE.join('.')})`,
    ...(ok
      ? {}
      : {
          fix: 'Install Node.js 20.19 or newer (for example `nvm install 20` or the nodejs.org installer).',
        }),
  };
}
