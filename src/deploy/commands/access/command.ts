/**
 * `mobius-deploy access review`: who can do what in the namespace (Roles, ClusterRoles bound into
 * it, ClusterRoleBindings, subjects), with risky grants flagged. Logic: actions/access-review.ts
 * and rbac-analysis/analyze.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand } from '../../cli/run-command.js';
import type { Colors } from '../../output/color.js';
import type { AccessReviewResult } from './run.js';

export function renderAccessReview(
  r: AccessReviewResult,
  c: Colors,
  renderTable: typeof import('../../output/table.js').renderTable,
  width?: number,
): string {
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
    if (!d.found)
      out.push(
        `  ${c.yellow('not found')} in ${r.namespace}: apply k8s/<env>/ as a cluster admin to create it`,
      );
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

export const accessCommand = {
  register(program: Command): void {
    const access = program.command('access').description('Review RBAC access to the namespace');
    access
      .command('review')
      .description(
        'List who can do what in the namespace (Roles, ClusterRoles bound into it, ClusterRoleBindings, subjects) and flag wildcards, Secret reads, pods/exec, escalate, bind, impersonate and default ServiceAccount bindings',
      )
      .addOption(
        new Option('--fail-on <severity>', 'exit 1 when a finding of this severity or higher exists').choices(
          ['high', 'medium', 'low'],
        ),
      )
      .option('--include-system', "also review the cluster's own system:* bindings")
      .addHelpText(
        'after',
        `
Severities: high = wildcard verbs/resources, reading every Secret, pods/exec or attach, escalate,
bind, impersonate, unauthenticated users; medium = wildcard apiGroups, pods/portforward, the
namespace's default ServiceAccount bound to a role, every authenticated user or ServiceAccount;
low = get on named Secrets only, a binding to a missing role.
Exit codes: 0 reviewed (findings do not fail unless --fail-on); 1 with --fail-on when a finding at
or above that severity exists; 5 when the cluster cannot be read.

-o json (for audits): { namespace, context, grants: [ {subject, subjectKind, subjectName,
  subjectNamespace?, binding, scope, role, roleFound, rules, findings} ], findings: [ {severity,
  code, message, subject, binding, role, rule?} ], summary, deployer: {role, found, missing, extra,
  matches}, notes, failOn?, failed }

Examples:
  mobius-deploy access review -e production
  mobius-deploy access review -n staging --fail-on high -o json > access-review.json`,
      )
      .action(
        runCommand<{ failOn?: 'high' | 'medium' | 'low'; includeSystem?: boolean }>(async (ctx, opts) => {
          const [{ runAccessReview }, { renderTable }] = await Promise.all([
            import('./run.js'),
            import('../../output/table.js'),
          ]);
          const result = await runAccessReview(await ctx.kube(), {
            namespace: ctx.globals.namespace,
            environment: ctx.globals.environmentConfig as
              | import('../../manifests/environment.js').Environment
              | undefined,
            includeSystem: opts.includeSystem,
            failOn: opts.failOn,
          });
          return {
            data: result,
            exitCode: result.failed ? 1 : 0,
            render: () => renderAccessReview(result, ctx.colors, renderTable, ctx.width),
          };
        }),
      );
  },
};
