/** `doctor`'s view: the checklist, one line per check with its fix, and the permissions reviewed. */
import type { Colors } from '../../output/color.js';
import { plural } from '../../output/plural.js';
import type { DoctorResult } from './run.js';

export function renderDoctor(r: DoctorResult, c: Colors): string {
  const mark = {
    pass: c.green('✔ pass'),
    warn: c.yellow('! warn'),
    fail: c.red('✖ fail'),
    skip: c.dim('- skip'),
  };
  const lines: string[] = [
    c.bold(`mobius-deploy doctor: namespace ${r.namespace}${r.context ? `, context ${r.context}` : ''}`),
  ];
  for (const check of r.checks) {
    lines.push(`${mark[check.status]}  ${check.name}: ${check.evidence}`);
    if (check.fix && check.status !== 'pass') lines.push(`          fix: ${check.fix}`);
    if (check.name === 'permissions') {
      // Every review, one line per resource: the verbs allowed and denied.
      const groups = new Map<string, { allowed: string[]; denied: string[]; why: string }>();
      for (const p of r.permissions) {
        const key = `${p.resource}${p.apiGroup ? `.${p.apiGroup}` : ''}${p.resourceName ? `/${p.resourceName}` : ''}`;
        const g = groups.get(key) ?? { allowed: [], denied: [], why: p.why };
        (p.allowed ? g.allowed : g.denied).push(p.verb);
        groups.set(key, g);
      }
      for (const [key, g] of groups) {
        const parts: string[] = [];
        if (g.allowed.length) parts.push(c.green(`allowed ${g.allowed.join(',')}`));
        if (g.denied.length) parts.push(c.red(`DENIED ${g.denied.join(',')}`));
        lines.push(`          ${key}: ${parts.join('; ')}${g.denied.length ? `  (needed: ${g.why})` : ''}`);
      }
    }
  }
  const s = r.summary;
  lines.push(
    '',
    `${s.pass} passed, ${plural(s.warn, 'warning')}, ${s.fail} failed, ${s.skip} skipped: ${r.ok ? c.green('ready') : c.red('fix the failures above')}`,
  );
  return `${lines.join('\n')}\n`;
}
