/** `access review`'s view: the grants table, the findings, and the deployer Role against what the CLI needs. */
import type { Colors } from '../../output/color.js';
import { renderTable } from '../../output/table.js';
import type { AccessReviewResult } from './run.js';

export function renderAccessReview(r: AccessReviewResult, c: Colors, width?: number): string {
  const sev = (s: string) => (s === 'high' ? c.red(s) : s === 'medium' ? c.yellow(s) : c.dim(s));
  const out: string[] = [
    c.bold(`Who can do what in namespace ${r.namespace}${r.context ? ` (context ${r.context})` : ''}`),
  ];
  if (r.grants.length === 0) out.push('  no bindings apply to this namespace');
  else {
    out.push(
      renderTable(
        [{ header: 'subject' }, { header: 'via' }, { header: 'role' }, { header: 'rules', flex: true }],
        r.grants.flatMap((g) => {
          const rules = g.rules.length ? g.rules : [g.roleFound ? '(no rules)' : '(role not found)'];
          return rules.map((rule, i) => [
            i === 0 ? g.subject : '',
            i === 0 ? `${g.binding}${g.scope === 'cluster' ? ' (cluster-wide)' : ''}` : '',
            i === 0 ? g.role : '',
            rule,
          ]);
        }),
        { width },
      ).trimEnd(),
    );
  }
  out.push('', c.bold(`Findings: ${r.summary.high} high, ${r.summary.medium} medium, ${r.summary.low} low`));
  if (r.findings.length === 0) out.push('  none');
  else {
    out.push(
      renderTable(
        [
          { header: 'severity' },
          { header: 'finding' },
          { header: 'subject' },
          { header: 'role' },
          { header: 'detail', flex: true },
        ],
        r.findings.map((f) => [sev(f.severity), f.code, f.subject, f.role, f.message]),
        { width },
      ).trimEnd(),
    );
  }
  if (r.deployer) {
    const d = r.deployer;
    out.push('', c.bold(`Deployer ${d.role} against the permissions the CLI needs (DEPLOYER_PERMISSIONS)`));
    if (!d.found) out.push(`  ${c.red('not found')} in ${r.namespace} (a high finding; see Findings above)`);
    else if (d.matches) out.push(`  ${c.green('matches')}: grants exactly what the CLI needs`);
    else {
      if (d.missing.length)
        out.push(`  ${c.red('missing')} (the CLI will be denied): ${d.missing.join(', ')}`);
      if (d.extra.length) out.push(`  ${c.yellow('exceeds')} (not needed by the CLI): ${d.extra.join(', ')}`);
    }
  }
  for (const n of r.notes) out.push(c.yellow(`note: ${n}`));
  if (r.failOn)
    out.push(
      '',
      r.failed ? c.red(`findings at or above ${r.failOn}: exit 1`) : `no findings at or above ${r.failOn}`,
    );
  return `${out.join('\n')}\n`;
}
