/**
 * Ledger records: what every deploy and rollback (and later every incident) leaves behind.
 *
 * A record is versioned (`schemaVersion`) and validated with zod whenever it is read back, so a
 * hand-edited or truncated ConfigMap is reported and skipped instead of crashing `history` or a
 * report. `kind` is an open union: the deploy toolkit writes `deploy` and `rollback`; the reports
 * toolkit adds `incident` (and may register its own schema with `registerRecordSchema`). Unknown
 * fields are preserved on read, so an older CLI never drops what a newer one wrote.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const LEDGER_SCHEMA_VERSION = 1;

/** Kinds written by this toolkit. Other kinds (`incident`) are allowed: the union is open. */
export type KnownRecordKind = 'deploy' | 'rollback' | 'drill' | 'incident';
export type RecordKind = KnownRecordKind | (string & {});

/** Outcome of a deploy or rollback. `rolled_back` = failed, then automatically restored. */
export const DEPLOY_RESULTS = ['succeeded', 'rolled_back', 'failed', 'in_progress', 'skipped'] as const;
export type DeployResult = (typeof DEPLOY_RESULTS)[number];

/** Why a deploy or rollback failed. Open union: new classes may appear without a schema change. */
export type FailureClass =
  | 'CrashLoopBackOff'
  | 'ImagePullBackOff'
  | 'ErrImagePull'
  | 'CreateContainerConfigError'
  | 'OOMKilled'
  | 'Unschedulable'
  | 'ProgressDeadlineExceeded'
  | 'Timeout'
  | 'VerifyFailed'
  | 'ApplyFailed'
  | 'RollbackFailed'
  | 'Interrupted'
  | (string & {});

/** Named phase timings in milliseconds. */
export type PhaseName = 'lock' | 'render' | 'apply' | 'rollout' | 'verify' | 'rollback' | (string & {});

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: 'must be an ISO-8601 time' });
const optionalString = z.string().optional();

/** Git provenance of the change, when known. */
export const GitInfoSchema = z.looseObject({
  commit: optionalString,
  author: optionalString,
  /** Commit time (ISO), used by reports for lead time. */
  committedAt: isoDate.optional(),
  ref: optionalString,
  repository: optionalString,
});
export type GitInfo = z.infer<typeof GitInfoSchema>;

/** Summary of a `verify` run. */
export const VerifySummarySchema = z.looseObject({
  passed: z.boolean(),
  total: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Names of the checks that failed, with their evidence. */
  failedChecks: z.array(z.string()).default([]),
  durationMs: z.number().nonnegative().optional(),
});
export type VerifySummary = z.infer<typeof VerifySummarySchema>;

/** What an automatic (or manual) rollback did. */
export const RollbackInfoSchema = z.looseObject({
  /** Why the rollback happened (the failure it answered, or the operator's --reason). */
  reason: optionalString,
  /** Kubernetes revision the rollback targeted (before the controller renumbered it). */
  toRevision: z.number().int().optional(),
  toImage: optionalString,
  /** Id of the ledger record that was verified good and chosen as target, if any. */
  toRecordId: optionalString,
  /** `succeeded` when the restored version rolled out and verified, else `failed`. */
  result: z.enum(['succeeded', 'failed']).optional(),
  failureMessage: optionalString,
  verify: VerifySummarySchema.optional(),
  /**
   * How the target was chosen: `verified-good` (the default: the newest revision the ledger records
   * as verified good), `previous` (--previous, kubectl's choice) or `explicit` (--to-revision N).
   */
  choice: z.enum(['verified-good', 'previous', 'explicit']).optional(),
  /** The ledger's verdict on the target when it was chosen. */
  toVerdict: z.enum(['verified-good', 'failed', 'unknown']).optional(),
  /** Why this target (the evidence), e.g. "deploy record … verified good at …". */
  why: optionalString,
  /** Set when the target was chosen although the ledger records it as failed (--previous, --to-revision). */
  warning: optionalString,
});
export type RollbackInfo = z.infer<typeof RollbackInfoSchema>;

/** Fields every record has, whatever its kind. */
export const BaseRecordSchema = z.looseObject({
  schemaVersion: z.number().int().positive(),
  id: z.string().min(1),
  kind: z.string().min(1),
  namespace: z.string().min(1),
  environment: z.string().nullable().optional(),
  startedAt: isoDate,
});
export type BaseRecord = z.infer<typeof BaseRecordSchema> & { kind: RecordKind };

/** A deploy or rollback record. */
export const DeploymentRecordSchema = BaseRecordSchema.extend({
  kind: z.string().min(1),
  /** Deployment name, normally `preview-worker`. */
  deployment: z.string().min(1),
  image: optionalString,
  digest: optionalString,
  previousImage: optionalString,
  git: GitInfoSchema.optional(),
  /** Who ran it: --actor, else CI actor, else user@host. */
  actor: z.string().min(1),
  /** Where it ran from: `ci:github-actions`, `ci:gitlab`, `local`. */
  source: optionalString,
  /** Operator-given reason (--reason). */
  reason: optionalString,
  finishedAt: isoDate.optional(),
  durationMs: z.number().nonnegative().optional(),
  phases: z.record(z.string(), z.number().nonnegative()).default({}),
  result: z.enum(DEPLOY_RESULTS),
  failureClass: optionalString,
  failureMessage: optionalString,
  /** `deployment.kubernetes.io/revision` before and after the change. */
  revisionBefore: z.number().int().optional(),
  revisionAfter: z.number().int().optional(),
  /**
   * The revision this change's own pod template rolled out as (deploy: the new revision, kept when
   * the deploy was rolled back afterwards and revisionAfter names the restored one).
   */
  rolloutRevision: z.number().int().optional(),
  /** Set when a failure was followed by a verified-good automatic rollback (reports: time to restore). */
  restoredAt: isoDate.optional(),
  /** When the failure was detected (reports: time to restore starts here). */
  failureDetectedAt: isoDate.optional(),
  rollback: RollbackInfoSchema.optional(),
  verify: VerifySummarySchema.optional(),
  /** True when the new template equalled the live one (rollback: kubectl says "skipped rollback"). */
  unchanged: z.boolean().optional(),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecordSchema> & { kind: RecordKind };

/** One leg of a rollback drill: the move to a revision, its rollout and verification. */
export const DrillLegSchema = z.looseObject({
  /** The revision the leg moved to (before the controller renumbered it) and after. */
  toRevision: z.number().int().optional(),
  revisionAfter: z.number().int().optional(),
  image: optionalString,
  result: z.enum(['succeeded', 'failed']),
  durationMs: z.number().nonnegative(),
  /** When the leg's version had rolled out and verified (or failed). */
  finishedAt: isoDate.optional(),
  verify: VerifySummarySchema.optional(),
  failureMessage: optionalString,
});
export type DrillLeg = z.infer<typeof DrillLegSchema>;

/**
 * A rollback drill (`rollback --drill`): roll back to the last verified-good revision, verify, roll
 * forward to the revision that was live before, verify. A record of its own kind, so delivery
 * metrics (DORA) never count it as a failed change or a manual rollback.
 */
export const DrillRecordSchema = DeploymentRecordSchema.extend({
  /** Absent while the drill is in progress and has not read its target yet. */
  drill: z
    .looseObject({
      fromRevision: z.number().int().optional(),
      fromImage: optionalString,
      /** The verified-good record whose revision the drill rolled back to. */
      targetRecordId: optionalString,
      rollback: DrillLegSchema.optional(),
      rollForward: DrillLegSchema.optional(),
    })
    .optional(),
});
export type DrillRecord = z.infer<typeof DrillRecordSchema> & { kind: 'drill' };

/** Any record: a deployment record, or another kind's record (which at least has the base fields). */
export type LedgerRecord = DeploymentRecord | (BaseRecord & Record<string, unknown>);

const schemas = new Map<string, z.ZodType>([
  ['deploy', DeploymentRecordSchema],
  ['rollback', DeploymentRecordSchema],
  ['drill', DrillRecordSchema],
]);

/**
 * Registers the schema for a record kind (the reports toolkit registers `incident`). Records of a
 * kind with no registered schema are validated against the base schema only.
 */
export function registerRecordSchema(kind: string, schema: z.ZodType): void {
  schemas.set(kind, schema);
}

export function isDeploymentRecord(record: LedgerRecord): record is DeploymentRecord {
  return record.kind === 'deploy' || record.kind === 'rollback';
}

/** Every record of a change to the Deployment's revisions: deploys, rollbacks and drills. */
export const CHANGE_KINDS: RecordKind[] = ['deploy', 'rollback', 'drill'];

export function isChangeRecord(record: LedgerRecord): record is DeploymentRecord {
  return isDeploymentRecord(record) || record.kind === 'drill';
}

export function isDrillRecord(record: LedgerRecord): record is DrillRecord {
  return record.kind === 'drill';
}

/** The outcome of validating a stored record. */
export type ParseResult = { ok: true; record: LedgerRecord } | { ok: false; error: string };

/** Validates a record read back from storage (already JSON-parsed). */
export function parseRecord(value: unknown): ParseResult {
  const base = BaseRecordSchema.safeParse(value);
  if (!base.success) return { ok: false, error: formatZodError(base.error) };
  if (base.data.schemaVersion > LEDGER_SCHEMA_VERSION) {
    return {
      ok: false,
      error: `schemaVersion ${base.data.schemaVersion} is newer than this CLI understands (${LEDGER_SCHEMA_VERSION}); upgrade mobius-deploy`,
    };
  }
  const schema = schemas.get(base.data.kind) ?? BaseRecordSchema;
  const full = schema.safeParse(value);
  if (!full.success) return { ok: false, error: formatZodError(full.error) };
  return { ok: true, record: full.data as LedgerRecord };
}

/** Parses the JSON text of a stored record and validates it. */
export function parseRecordJson(text: string | undefined): ParseResult {
  if (text === undefined || text === '') return { ok: false, error: 'no record data' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not valid JSON (${(err as Error).message})` };
  }
  return parseRecord(value);
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
    .join('; ');
}

let lastIdTime = '';
let idCounter = 0;

/**
 * A new record id: sortable by time, then unique by a random suffix. Lower-case letters, digits and
 * '-' only, so it can be part of a ConfigMap name and a label value.
 * Example: `20261126t194653123z-00-k3x9qa2m`.
 */
export function newRecordId(now: Date = new Date(), random: () => string = defaultRandom): string {
  const time = now.toISOString().replace(/[-:.]/g, '').replace('T', 't').replace('Z', 'z').toLowerCase();
  // Ids made in the same millisecond by this process still sort in creation order.
  idCounter = time === lastIdTime ? idCounter + 1 : 0;
  lastIdTime = time;
  return `${time}-${idCounter.toString(36).padStart(2, '0')}-${random()}`;
}

function defaultRandom(): string {
  return randomBytes(5).readUIntBE(0, 5).toString(36).padStart(8, '0').slice(0, 8);
}

/** Compares two records newest first (by startedAt, then id). */
export function newestFirst(a: BaseRecord, b: BaseRecord): number {
  const ta = Date.parse(a.startedAt);
  const tb = Date.parse(b.startedAt);
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
