/** The table rendering of a VerifyResult: one line per check with its evidence. */
import type { VerifyResult } from '../actions/verify.js';
import type { Colors } from './color.js';

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
  const width = Math.max(...r.checks.map((x) => x.name.length), 10);
  for (const check of r.checks) {
    lines.push(`${mark[check.status]}  ${check.name.padEnd(width)}  ${check.evidence}`);
  }
  const s = r.summary;
  lines.push('');
  lines.push(
    `${r.passed ? c.green('Verification passed') : c.red('Verification failed')}: ${s.pass} passed, ${s.fail} failed, ${s.warn} warnings, ${s.skip} skipped (${(r.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}
