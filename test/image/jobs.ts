/**
 * Real render jobs for the container under test, added through BullMQ from the host exactly as
 * the worker's own API adds them (src/worker/queue.ts: the queue, the job name and the job options),
 * so the container takes them from Redis like any job in production.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { PreviewPayload } from '../../src/contract/payload.js';
import { loadConfig } from '../../src/worker/config.js';
import { parsePreviewPayload } from '../../src/worker/payload.js';
import { createPreviewQueue, JOB_NAME, jobOptionsFor } from '../../src/worker/queue.js';

export type PreviewFormat = 'png' | 'mp4';

/** The bundled sample request (examples/sample-preview.json) as a job of this format and id. */
export function samplePayload(
  root: string,
  opts: { jobId: string; format: PreviewFormat; resolution?: string; steps?: number },
): PreviewPayload {
  const raw = JSON.parse(readFileSync(join(root, 'examples', 'sample-preview.json'), 'utf8')) as {
    jobId: string;
    previewRequest: { steps: unknown[]; options?: Record<string, unknown> };
  };
  raw.jobId = opts.jobId;
  if (opts.steps) raw.previewRequest.steps = raw.previewRequest.steps.slice(0, opts.steps);
  raw.previewRequest.options = {
    ...(raw.previewRequest.options ?? {}),
    format: opts.format,
    ...(opts.resolution ? { resolution: opts.resolution } : {}),
  };
  const parsed = parsePreviewPayload(raw);
  if (!parsed.ok) throw new Error(`the sample payload is invalid: ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

/** The artifact files a finished job of this payload must have (DESIGN.md "Artifacts"). */
export function expectedArtifacts(payload: PreviewPayload): string[] {
  const frames = payload.previewRequest.steps.map(
    (_, i) => `frames/step-${String(i + 1).padStart(3, '0')}.png`,
  );
  const video = payload.previewRequest.options.format === 'mp4' ? ['preview.mp4'] : [];
  return [...frames, 'contact-sheet.png', 'preview.json', ...video];
}

export interface JobState {
  state: string;
  failedReason?: string;
  dir?: string | null;
}

/** A producer on the container's queue: the worker's configuration, read from the container's environment. */
export class JobClient {
  private readonly redis: Redis;
  private readonly queue: ReturnType<typeof createPreviewQueue>;
  private readonly config: ReturnType<typeof loadConfig>;

  constructor(hostRedisUrl: string, containerEnv: Record<string, string>) {
    this.config = loadConfig({ ...containerEnv, REDIS_URL: hostRedisUrl });
    this.redis = new Redis(hostRedisUrl, { maxRetriesPerRequest: null });
    this.queue = createPreviewQueue(this.redis, this.config);
  }

  async add(payload: PreviewPayload): Promise<void> {
    await this.queue.add(JOB_NAME, payload, jobOptionsFor(payload, this.config));
  }

  async state(jobId: string): Promise<JobState> {
    const job = await this.queue.getJob(jobId);
    if (!job) return { state: 'missing' };
    const state = await job.getState();
    return { state, failedReason: job.failedReason, dir: job.returnvalue?.dir };
  }

  /** Polls until the job is completed or failed, or the time is up; `tick` hears each wait. */
  async waitFinished(jobId: string, timeoutMs: number, tick: (s: JobState) => void): Promise<JobState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state(jobId);
      if (s.state === 'completed' || s.state === 'failed' || Date.now() > deadline) return s;
      tick(s);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Removes every key of this run's prefix (the queue and its jobs). */
  async close(): Promise<void> {
    try {
      await this.queue.obliterate({ force: true });
    } catch {
      // best effort: the prefix is unique to this run
    }
    await this.queue.close();
    this.redis.disconnect();
  }
}
