/**
 * `mobius-deploy access review`: who can do what in the namespace (Roles, ClusterRoles bound into
 * it, ClusterRoleBindings, subjects), with risky grants flagged. Logic: run.ts and
 * rbac-analysis/analyze.ts; the view: print.ts.
 */
import { type Command, Option } from 'commander';
import { runCommand } from '../../cli/run-command.js';

export const accessCommand = {
  register(program: Command): void {
    const access = program
      .command('access')
      .description('Review RBAC access to the namespace')
      .addHelpText(
        'after',
        `
Examples:
  mobius-deploy access review -e production
  mobius-deploy access review -e production --fail-on high
  mobius-deploy access review --help`,
      );
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
bind, impersonate, unauthenticated users, the deployer's Role, RoleBinding or ServiceAccount
(mobius-deployer) missing from the namespace; medium = wildcard apiGroups, pods/portforward, the
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
          const [{ runAccessReview }, { renderAccessReview }] = await Promise.all([
            import('./run.js'),
            import('./print.js'),
          ]);
          const result = await runAccessReview(await ctx.kube(), {
            namespace: ctx.globals.namespace,
            environment: ctx.globals.environmentConfig as
              | import('../../manifests/environment.js').Environment
              | undefined,
            environmentName: ctx.globals.environment,
            includeSystem: opts.includeSystem,
            failOn: opts.failOn,
          });
          return {
            data: result,
            exitCode: result.failed ? 1 : 0,
            render: () => renderAccessReview(result, ctx.colors, ctx.width),
          };
        }),
      );
  },
};
