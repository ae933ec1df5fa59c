/**
 * The incident commands' errors a user can act on (all exit 2: the argument or the scope is wrong).
 */
import { UsageError } from '../../errors.js';
import type { IncidentRecord } from '../../incidents/record.js';

/** The incident id was not found (exit 2: the argument is wrong). */
export class IncidentNotFoundError extends UsageError {
  constructor(id: string, namespace: string, where: string, target = `-n ${namespace}`) {
    super(`No incident with id "${id}" in ${where} (namespace ${namespace}).`, {
      hint: `List the incidents with \`mobius-deploy incident list ${target}\` and pass one of their ids.`,
    });
  }
}

/** The incident (or deploy) is another namespace's or environment's, in a shared --ledger-dir (exit 2). */
export class OutOfScopeRecordError extends UsageError {
  constructor(
    what: string,
    record: { namespace: string; environment?: string | null },
    ctx: { namespace: string; environment?: string | null },
  ) {
    const theirs = `namespace ${record.namespace}${record.environment ? ` (environment ${record.environment})` : ''}`;
    const ours = `namespace ${ctx.namespace}${ctx.environment ? ` (environment ${ctx.environment})` : ''}`;
    super(`${what} belongs to ${theirs}, not ${ours}.`, {
      hint:
        record.namespace !== ctx.namespace
          ? `Pass -n ${record.namespace} (or the -e of that environment) to work on it.`
          : `Pass -e ${record.environment} to work on it.`,
    });
  }
}

/** Resolving an incident that is already resolved (exit 2). */
export class IncidentAlreadyResolvedError extends UsageError {
  constructor(incident: IncidentRecord, target = `-n ${incident.namespace}`) {
    super(
      `Incident ${incident.id} is already resolved (at ${incident.resolvedAt ?? '?'}, cause: ${incident.cause ?? 'not given'}).`,
      {
        hint: `To add information, use: mobius-deploy incident update ${incident.id} ${target} --note "..."`,
      },
    );
  }
}
