/**
 * The queue processor: one function BullMQ calls per job attempt.
 * - validates the payload again (the API validated it, but anything can write to Redis):
 *   invalid → UnrecoverableError, no retries (outcome "invalid");
 * - dryRun → record, render nothing (outcome "dry_run");
 * - otherwise renders through renderPreview(); RenderInputError (bad asset, ffmpeg missing) →
 *   UnrecoverableError (outcome "failed"); any other error is rethrown so BullMQ retries with
 *   backoff (outcome "retrying", or "failed" on the last attempt).
 * Every log line carries jobId, projectId, attempt and durationMs; never the payload.
 */
import { relative } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { JobOutcome } from '../contract/metrics.js';
import type { PreviewJobResult } from '../contract/payload.js';
import { type Logger, loggableId } from './logger.js';
import type { WorkerMetrics } from './metrics.js';
import { parsePreviewPayload } from './payload.js';
import type { PreviewJob } from './queue.js';
import { RenderInputError, type RenderPreview } from './render/types.js';

export interface ProcessorDeps {
  dataDir: string;
  logger: Logger;
  metrics: WorkerMetrics;
  render: RenderPreview;
  ffmpegPath?: string;
  /** Aborted when shutdown runs out of time; passed to the renderer. */
  signal?: AbortSignal;
}

/** The message of an invalid-payload failure starts with this, so status() and tests can tell. */
export const INVALID_PAYLOAD_PREFIX = 'invalid payload:';

/** What a dry run returns (one shared, frozen object: BullMQ only serializes it). */
const DRY_RUN_RESULT: PreviewJobResult = Object.freeze({
  dryRun: true,
  dir: null,
  frames: 0,
  files: 0,
  alreadyExisted: false,
});

export function createProcessor(deps: ProcessorDeps): (job: PreviewJob) => Promise<PreviewJobResult> {
  const { logger, metrics } = deps;
  return async function processPreviewJob(job: PreviewJob): Promise<PreviewJobResult> {
    const started = performance.now();
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const raw = job.data as unknown as Record<string, unknown> | null;
    const jobId = job.id ?? loggableId(raw?.jobId) ?? '(none)';
    const projectId = loggableId(raw?.projectId);
    const requestId = loggableId(raw?.requestId) ?? undefined;
    /** Counts the attempt's outcome and duration; returns the duration for its log line. */
    const record = (outcome: JobOutcome): number => {
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      metrics.recordJob(outcome, durationMs);
      return durationMs;
    };
    // One object per line, built in place (no spreads): this runs for every job.
    const finish = (
      outcome: JobOutcome,
      extra: Record<string, unknown> | undefined,
      msg: string,
      level: 'info' | 'warn' = 'info',
    ) => {
      const line = { jobId, projectId, attempt, requestId, durationMs: record(outcome), outcome };
      logger[level](extra ? Object.assign(line, extra) : line, msg);
    };

    metrics.jobStarted();
    try {
      if (logger.isLevelEnabled('debug'))
        logger.debug({ jobId, projectId, attempt, requestId, durationMs: 0 }, 'job started');
      const parsed = parsePreviewPayload(job.data);
      if (!parsed.ok) {
        const problems = parsed.issues.map((i) => i.message);
        finish('invalid', { problems: problems.slice(0, 20) }, 'job rejected: invalid payload', 'warn');
        throw new UnrecoverableError(`${INVALID_PAYLOAD_PREFIX} ${problems.join('; ')}`);
      }
      const payload = parsed.value;
      if (payload.jobId !== job.id) {
        finish('invalid', undefined, 'job rejected: payload jobId differs from the BullMQ job id', 'warn');
        throw new UnrecoverableError(
          `${INVALID_PAYLOAD_PREFIX} jobId "${payload.jobId}" differs from the queue job id "${job.id}"`,
        );
      }
      if (payload.dryRun) {
        // The most frequent line of a busy queue: one object literal, nothing merged into it.
        logger.info(
          {
            jobId,
            projectId,
            attempt,
            requestId,
            durationMs: record('dry_run'),
            outcome: 'dry_run',
            steps: payload.previewRequest.steps.length,
          },
          'dry run validated; nothing rendered',
        );
        return DRY_RUN_RESULT;
      }

      let lastProgress = -1;
      const result = await deps.render(payload, {
        dataDir: deps.dataDir,
        ffmpegPath: deps.ffmpegPath,
        signal: deps.signal,
        onProgress: async (done, total) => {
          const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
          if (pct !== lastProgress) {
            lastProgress = pct;
            await job.updateProgress(pct);
          }
        },
      });
      finish(
        'completed',
        {
          frames: result.frames,
          files: result.files.length,
          alreadyExisted: result.alreadyExisted,
          renderMs: Math.round(result.timings.totalMs),
        },
        result.alreadyExisted ? 'job completed: artifacts already existed' : 'job completed',
      );
      return {
        dryRun: false,
        dir: relative(deps.dataDir, result.dir) || result.dir,
        frames: result.frames,
        files: result.files.length,
        alreadyExisted: result.alreadyExisted,
        timings: result.timings,
      };
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof RenderInputError) {
        finish('failed', { err: message }, 'job failed: the input cannot be rendered (not retried)', 'warn');
        throw new UnrecoverableError(message);
      }
      const last = attempt >= maxAttempts;
      finish(
        last ? 'failed' : 'retrying',
        { err: message, maxAttempts },
        last ? 'job failed: no attempts left' : 'job attempt failed; will retry with backoff',
        'warn',
      );
      throw err;
    } finally {
      metrics.jobEnded();
    }
  };
}
