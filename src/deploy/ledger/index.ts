/**
 * The deployment ledger: records of deploys, rollbacks and incidents, stored one per ConfigMap in
 * the namespace (or one per file for local use). Import from here.
 *
 *   const ledger = new Ledger(new ConfigMapLedgerDriver(await configMapApiFromKubeConfig(kc), ns));
 *   const { records, problems } = await ledger.list({ kind: ['deploy', 'rollback'], environment: 'production' });
 */
export {
  type ConfigMapApi,
  ConfigMapLedgerDriver,
  configMapApiFromKubeConfig,
  configMapApiFromTransport,
  configMapName,
  ENV_LABEL,
  KIND_LABEL,
  LEDGER_LABEL,
  MANAGED_BY_LABEL,
  RECORD_DATA_KEY,
  RECORD_ID_LABEL,
  RESULT_LABEL,
} from './configmap-driver.js';
export {
  inRecordScope,
  LedgerAlreadyExistsError,
  LedgerConflictError,
  type LedgerDriver,
  LedgerError,
  LedgerInvalidRecordError,
  LedgerNotFoundError,
  type LedgerProblem,
  type ListResult,
  matchesFilter,
  type RecordFilter,
  type RecordScope,
  type StoredRecord,
} from './driver.js';
export { FileLedgerDriver } from './file-driver.js';
export {
  changeRecords,
  DEFAULT_HISTORY_MAX,
  isVerifiedGood,
  Ledger,
  type LedgerOptions,
  type NewDeploymentRecord,
  newDeploymentRecord,
  openLedger,
  PRUNED_KINDS,
  type PruneResult,
  STALE_IN_PROGRESS_MS,
} from './ledger.js';
export { MemoryLedgerDriver } from './memory-driver.js';
export {
  type Provenance,
  type ProvenanceContext,
  type ProvenanceFlags,
  processProvenanceContext,
  resolveProvenance,
} from './provenance.js';
export {
  type BaseRecord,
  BaseRecordSchema,
  CHANGE_KINDS,
  DEPLOY_RESULTS,
  type DeploymentRecord,
  DeploymentRecordSchema,
  type DeployResult,
  type DrillLeg,
  type DrillRecord,
  DrillRecordSchema,
  type FailureClass,
  type GitInfo,
  GitInfoSchema,
  isChangeRecord,
  isDeploymentRecord,
  isDrillRecord,
  type KnownRecordKind,
  LEDGER_SCHEMA_VERSION,
  type LedgerRecord,
  newestFirst,
  newRecordId,
  type ParseResult,
  type PhaseName,
  parseRecord,
  parseRecordJson,
  type RecordKind,
  type RollbackInfo,
  RollbackInfoSchema,
  registerRecordSchema,
  type VerifySummary,
  VerifySummarySchema,
} from './record.js';
