/** The table rendering of a VerifyResult: one line per check with its evidence. */

import type { VerifyResult } from '../../health/verify-types.js';
import type { Colors } from '../../output/color.js';
import { formatDuration } from '../../output/duration.js';
import { plural } from '../../output/plural.js';

export interface VerifyRenderContext {
  colors: Colors;
  width?: number;
}

export function renderVerify(r: VerifyResult, ctx: VerifyRenderContext): string {
  const c = ctx.colors;
  const mark = {
    pass: c.green('✔ PASS'),
    fail: c.red('✖ FAIL'),
    warn: c.yellow('! WARN'),
    skip: c.dim('- SKIP'),
  };
  const where =
    r.target.url ??
    `deployment ${r.target.deployment} in namespace ${r.target.namespace}${r.target.context ? ` (context ${r.target.context})` : ''}`;
  const lines = [`${c.bold('Verify')} ${where}`, ''];
  // Many pods: passing per-pod checks are summarised in one line (-o json keeps every check).
  const perPodPass = r.checks.filter((x) => x.pod && x.status === 'pass');
  const collapse = perPodPass.length > 5;
  const shown = collapse ? r.checks.filter((x) => !(x.pod && x.status === 'pass')) : r.checks;
  const summaryName = 'pods /livez /readyz';
  const width = Math.max(...shown.map((x) => x.name.length), collapse ? summaryName.length : 0, 10);
  let summarised = false;
  for (const check of r.checks) {
    if (collapse && check.pod && check.status === 'pass') {
      if (!summarised) {
        summarised = true;
        const total = r.checks.filter((x) => x.pod).length;
        lines.push(
          `${mark.pass}  ${summaryName.padEnd(width)}  ${perPodPass.length} of ${plural(total, 'pod')} answered 200 (-o json lists each)`,
        );
      }
      continue;
    }
    lines.push(`${mark[check.status]}  ${check.name.padEnd(width)}  ${check.evidence}`);
  }
  const s = r.summary;
  lines.push('');
  lines.push(
    `${r.passed ? c.green('Verification passed') : c.red('Verification failed')}: ${s.pass} passed, ${s.fail} failed, ${plural(s.warn, 'warning')}, ${s.skip} skipped (${formatDuration(r.durationMs)})`,
  );
  return `${lines.join('\n')}\n`;
}
