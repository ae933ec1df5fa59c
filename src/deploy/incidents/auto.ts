/**
 * The playbook's rule "a failed production deploy that could not be restored is a level 2 incident",
 * applied by the deploy action itself: after a deploy whose record ends `failed` (exit 4) in
 * production, a level-2 incident linked to the deploy record is opened in the same ledger.
 *
 * Resilient by design: recording the incident never changes or hides the deploy's own result. A
 * failure to write it is returned as a sentence for the deploy's next steps.
 */
import type { Ledger } from '../ledger/ledger.js';
import type { DeploymentRecord } from '../ledger/record.js';
import { listIncidents, newIncidentRecord } from './record.js';

/** Production: the `production` environment (-e production), or namespace `production` without -e. */
export function isProductionTarget(record: Pick<DeploymentRecord, 'environment' | 'namespace'>): boolean {
  if (record.environment) return record.environment === 'production';
  return record.namespace === 'production';
}

export interface AutoIncidentResult {
  /** The id of the incident opened, when one was. */
  incidentId?: string;
  /** A line for the deploy's next steps (opened, or could not be recorded). */
  note?: string;
}

/**
 * Opens the level-2 incident for a failed, unrestored production deploy, unless one is already linked
 * to that deploy record. Never throws.
 */
export async function openIncidentForFailedDeploy(
  ledger: Pick<Ledger, 'create' | 'list'>,
  record: DeploymentRecord,
  now: number = Date.now(),
): Promise<AutoIncidentResult> {
  if (record.kind !== 'deploy' || record.result !== 'failed' || !isProductionTarget(record)) return {};
  try {
    // Idempotent: a second caller (a hook, a retry) finds the incident already linked to the deploy.
    const existing = (await listIncidents(ledger, { since: new Date(Date.parse(record.startedAt)) })).find(
      (i) => i.relatedDeployId === record.id,
    );
    if (existing) {
      return {
        incidentId: existing.id,
        note: `level ${existing.level} incident ${existing.id} is open for this failure: mobius-deploy incident show ${existing.id} -n ${record.namespace}`,
      };
    }
    const what = [record.failureClass, record.failureMessage].filter(Boolean).join(': ');
    const rollback =
      record.rollback?.result === 'failed'
        ? `; the automatic rollback failed too${record.rollback.failureMessage ? ` (${record.rollback.failureMessage})` : ''}`
        : record.rollback
          ? ''
          : '; no automatic rollback restored the previous version';
    const incident = newIncidentRecord(
      {
        level: 2,
        summary:
          `Production deploy of ${record.image ?? 'a new version'} failed and could not be restored${what ? ` (${what})` : ''}${rollback}`.slice(
            0,
            1000,
          ),
        openedBy: 'mobius-deploy (automatic)',
        namespace: record.namespace,
        environment: record.environment ?? null,
        relatedDeployId: record.id,
        automatic: true,
      },
      new Date(now),
    );
    await ledger.create(incident);
    return {
      incidentId: incident.id,
      note: `a level 2 incident ${incident.id} was opened for this failure: mobius-deploy incident show ${incident.id} -n ${record.namespace}`,
    };
  } catch (err) {
    return {
      note: `the level 2 incident for this failure could not be recorded (${err instanceof Error ? err.message : String(err)}); open it by hand: mobius-deploy incident open -n ${record.namespace} --level 2 --deploy ${record.id} --summary "..."`,
    };
  }
}
