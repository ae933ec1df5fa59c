/**
 * The preview job's contract (DESIGN.md section 3): the v1 payload a client sends and the worker
 * validates (src/worker/payload.ts), what a finished job returns, and the job state the API
 * answers. Types only: the validator and its rules stay in the worker.
 */

// ---- the payload (v1) ---------------------------------------------------------------------------

export interface PreviewStep {
  title: string;
  text: string;
  durationSec: number;
  assetId?: string;
}

export interface PreviewAsset {
  id: string;
  type: 'image';
  source: string;
}

export interface PreviewOptions {
  resolution: string;
  format: 'png' | 'mp4';
}

export interface PreviewRequest {
  title: string;
  description?: string;
  chapterId?: string;
  metadata?: Record<string, unknown>;
  audio?: unknown;
  steps: PreviewStep[];
  assets: PreviewAsset[];
  options: PreviewOptions;
}

export type PreviewPriority = 'low' | 'normal' | 'high';

/** A validated payload, defaults applied. */
export interface PreviewPayload {
  jobId: string;
  projectId: string;
  requestId?: string;
  dryRun: boolean;
  priority: PreviewPriority;
  previewRequest: PreviewRequest;
}

/** What a client may send (defaults optional). */
export interface PreviewPayloadInput {
  jobId: string;
  projectId: string;
  requestId?: string;
  dryRun?: boolean;
  priority?: PreviewPriority;
  previewRequest: {
    title: string;
    description?: string;
    chapterId?: string;
    metadata?: Record<string, unknown>;
    audio?: unknown;
    steps: Array<{ title: string; text?: string; durationSec?: number; assetId?: string }>;
    assets?: PreviewAsset[];
    options?: Partial<PreviewOptions>;
  };
}

export interface PayloadIssue {
  /** Dotted path of the offending field, for example `previewRequest.steps.0.title`. */
  path: string;
  message: string;
}

// ---- the job's result and state ----------------------------------------------------------------

/** One file of a rendered preview, as listed in its container.json. */
export interface ArtifactEntry {
  path: string;
  bytes: number;
  sha256: string;
}

/** container.json: every file of a preview's directory with its size and sha256, sorted by path. */
export interface ContainerManifest {
  files: ArtifactEntry[];
}

/** What a job returns on completion (stored by BullMQ as the job's returnvalue). */
export interface PreviewJobResult {
  dryRun: boolean;
  /** Artifact directory relative to DATA_DIR (`previews/<projectId>/<jobId>`), null for dry runs. */
  dir: string | null;
  frames: number;
  files: number;
  alreadyExisted: boolean;
  timings?: { rasterMs: number; encodeMs: number; videoMs: number; writeMs: number; totalMs: number };
}

/** The API's four job states (BullMQ's mapped onto them; a delayed job waiting for its retry is queued). */
export type PreviewState = 'queued' | 'running' | 'completed' | 'failed';

/** The answer of `GET /v1/previews/:jobId`. */
export interface PreviewStatus {
  jobId: string;
  projectId: string;
  state: PreviewState;
  /** 0..100 */
  progress: number;
  attemptsMade: number;
  maxAttempts: number;
  dryRun: boolean;
  failedReason?: string;
  createdAt?: string;
  finishedAt?: string;
  /** Files of the rendered preview (from container.json) once completed; empty otherwise. */
  artifacts: ArtifactEntry[];
}
