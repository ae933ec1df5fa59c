/**
 * What `logs` asks for and hands back: the request, the line events and notes delivered while
 * reading, and the results of a read, a follow and a --patterns run.
 */
import type { BackoffPolicy } from '../../kube/errors.js';
import type { LogRecord } from '../../patterns/log-record.js';
import type { MinerDropped, TemplateSummary } from '../../patterns/log-templates.js';

export interface LogsRequest {
  namespace: string;
  deployment: string;
  container?: string;
  /** Lines per pod from the end; undefined = all. */
  tail?: number;
  sinceSeconds?: number;
  follow?: boolean;
  previous?: boolean;
  grep?: RegExp;
  exclude?: RegExp;
  /** Keep lines at or above this pino level; lines without a level are kept. */
  minLevel?: number;
  signal?: AbortSignal;
  /** Reconnect backoff (follow mode). */
  backoff?: BackoffPolicy;
  /** Follow mode: end with exit 5 once the API has been unreachable this long (default 5 min). */
  giveUpAfterMs?: number;
}

export interface LogLineEvent {
  pod: string;
  container: string;
  record: LogRecord;
}

export type LogsNoteKind =
  | 'no-previous'
  | 'container-missing'
  | 'waiting'
  | 'pod-added'
  | 'pod-deleted'
  | 'reconnecting'
  | 'stream-error'
  | 'api-unreachable'
  | 'api-back'
  | 'templates-dropped';

export interface LogsNote {
  kind: LogsNoteKind;
  pod?: string;
  message: string;
}

export interface LogsResult {
  namespace: string;
  deployment: string;
  selector: string;
  /** Every pod whose log was read (in order of first appearance). */
  pods: string[];
  /** Lines read from the API. */
  linesRead: number;
  /** Lines that passed --grep/--exclude/--level. */
  linesShown: number;
  /** Shown lines at error level or above. */
  errorLines: number;
  notes: LogsNote[];
  /** Follow mode ended by the signal. */
  interrupted: boolean;
}

export interface PatternsResult extends Omit<LogsResult, 'linesShown' | 'interrupted'> {
  /** Lines mined (after filters). */
  linesMined: number;
  templates: TemplateSummary[];
  /** What the miner's memory cap dropped (rare line shapes and their lines). */
  dropped: MinerDropped;
}

/** One container of one pod whose log is read. */
export interface Target {
  pod: string;
  container: string;
}
