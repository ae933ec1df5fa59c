/**
 * The contract of the renderer (src/worker/render/). The queue processor calls renderPreview();
 * everything about pixels, fonts, PNG and MP4 encoding lives behind it.
 */
import type { ArtifactEntry, PreviewPayload } from '../../contract/payload.js';

export interface RenderOptions {
  /** DATA_DIR; artifacts go to `<dataDir>/previews/<projectId>/<jobId>/`. */
  dataDir: string;
  /** Called after each frame (and once more after the contact sheet / video), for job progress. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  /** ffmpeg executable for format mp4; default `ffmpeg` from PATH (env FFMPEG_PATH overrides). */
  ffmpegPath?: string;
  signal?: AbortSignal;
}

export interface RenderTimings {
  /** drawing frames and the contact sheet (canvas work) */
  rasterMs: number;
  /** PNG encoding */
  encodeMs: number;
  /** ffmpeg, 0 for png */
  videoMs: number;
  /** hashing, writing files, manifest, rename */
  writeMs: number;
  totalMs: number;
}

export interface RenderResult {
  /** Final artifact directory (absolute). */
  dir: string;
  /** Every file, as listed in container.json. */
  files: ArtifactEntry[];
  frames: number;
  timings: RenderTimings;
  /** true when the directory already existed (a repeated jobId): nothing was rendered again. */
  alreadyExisted: boolean;
}

/**
 * A failure that retrying cannot fix (an asset that does not decode, ffmpeg missing for mp4).
 * The processor turns it into BullMQ's UnrecoverableError.
 */
export class RenderInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderInputError';
  }
}

/** The signature of renderPreview() in src/worker/render/index.ts. */
export type RenderPreview = (payload: PreviewPayload, options: RenderOptions) => Promise<RenderResult>;
