import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PreviewPayload, PreviewState } from '../../src/contract/payload.js';
import { parsePreviewPayload } from '../../src/worker/payload.js';
import { INVALID_PAYLOAD_PREFIX } from '../../src/worker/processor.js';
import { JOB_NAME } from '../../src/worker/queue.js';
import { RenderInputError } from '../../src/worker/render/types.js';
import { QueueFullError } from '../../src/worker/service-types.js';
import {
  assertRedisAvailable,
  createHarness,
  fakeRender,
  type Harness,
  samplePayload,
  waitFor,
} from '../support/queue-harness.js';

function valid(overrides: Parameters<typeof samplePayload>[0] = {}): PreviewPayload {
  const r = parsePreviewPayload(samplePayload(overrides));
  assert.ok(r.ok);
  return r.value;
}

/** Waits until the job reaches `state` and gives its status then. */
function waitForState(h: Harness, jobId: string, state: PreviewState, timeoutMs: number, what: string) {
  return waitFor(
    async () => {
      const s = await h.service.status(jobId);
      return s?.state === state ? s : null;
    },
    timeoutMs,
    what,
  );
}

async function counter(h: Harness, outcome: string): Promise<number> {
  const m = await h.metrics.jobsTotal.get();
  return m.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

describe('queue and processor against real Redis', () => {
  before(async () => {
    await assertRedisAvailable();
  });

  describe('submit', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness();
    });
    after(async () => {
      await h.cleanup();
    });

    it('adds a job named render-preview with jobId, attempts, backoff and bounded retention', async () => {
      const payload = valid({ priority: 'high' });
      const res = await h.service.submit(payload);
      assert.deepEqual(res, { jobId: payload.jobId, state: 'queued', created: true });
      const job = await h.queue.getJob(payload.jobId);
      assert.ok(job);
      assert.equal(job.name, JOB_NAME);
      assert.equal(job.id, payload.jobId);
      assert.equal(job.opts.attempts, 5);
      assert.deepEqual(job.opts.backoff, { type: 'exponential', delay: 20 });
      assert.equal(job.opts.priority, 1);
      assert.ok(typeof job.opts.removeOnComplete === 'object' && job.opts.removeOnComplete.count! > 0);
      assert.ok(((job.opts.removeOnFail as { age?: number }).age ?? 0) > 0);
    });

    it('is idempotent on jobId: a repeat returns the existing state, created false, one job', async () => {
      const payload = valid();
      assert.equal((await h.service.submit(payload)).created, true);
      const again = await h.service.submit({
        ...payload,
        previewRequest: { ...payload.previewRequest, title: 'x' },
      });
      assert.deepEqual(again, { jobId: payload.jobId, state: 'queued', created: false });
      const job = await h.queue.getJob(payload.jobId);
      assert.equal(job?.data.previewRequest.title, 'Test preview');
    });

    it('status() of an unknown job is null', async () => {
      assert.equal(await h.service.status('no-such-job'), null);
      assert.equal(await h.service.artifactDir('no-such-job'), null);
    });
  });

  describe('backpressure', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ PREVIEW_QUEUE_MAX: '3' });
    });
    after(async () => {
      await h.cleanup();
    });

    it('refuses with QueueFullError and a Retry-After estimate at PREVIEW_QUEUE_MAX', async () => {
      for (let i = 0; i < 3; i++) await h.service.submit(valid());
      await assert.rejects(
        () => h.service.submit(valid()),
        (err: unknown) => {
          assert.ok(err instanceof QueueFullError);
          assert.equal(err.backlog, 3);
          assert.equal(err.max, 3);
          assert.ok(err.retryAfterSeconds >= 1 && err.retryAfterSeconds <= 600);
          return true;
        },
      );
      // A repeat of a known id is still answered (idempotent), full or not.
      const [first] = await h.queue.getJobs(['prioritized', 'waiting'], 0, 0);
      assert.ok(first?.id);
      const again = await h.service.submit(valid({ jobId: first.id }));
      assert.equal(again.created, false);
      const overview = await h.service.overview();
      assert.equal(overview.backlog, 3);
      assert.equal(overview.max, 3);
    });
  });

  describe('processing', () => {
    let h: Harness;
    before(async () => {
      h = await createHarness();
    });
    after(async () => {
      await h.cleanup();
    });

    it('serves high before normal before low priority', async () => {
      const order: string[] = [];
      const ids = {
        low: `low-${Date.now()}`,
        normal: `normal-${Date.now()}`,
        high: `high-${Date.now()}`,
      };
      await h.service.submit(valid({ jobId: ids.low, priority: 'low' }));
      await h.service.submit(valid({ jobId: ids.normal, priority: 'normal' }));
      await h.service.submit(valid({ jobId: ids.high, priority: 'high' }));
      const render = fakeRender({ before: (p) => void order.push(p.jobId) });
      const worker = await h.startWorker(render, { concurrency: 1 });
      await waitForState(h, ids.low, 'completed', 15000, 'low job');
      await worker.close();
      assert.deepEqual(order, [ids.high, ids.normal, ids.low]);
    });

    it('completes a job: status completed, progress 100, artifacts from container.json', async () => {
      const payload = valid();
      const render = fakeRender();
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      const status = await waitForState(h, payload.jobId, 'completed', 15000, 'completion');
      await worker.close();
      assert.equal(status.progress, 100);
      assert.equal(status.attemptsMade, 1);
      assert.deepEqual(status.artifacts, [{ path: 'preview.json', bytes: 10, sha256: 'a'.repeat(64) }]);
      const dir = await h.service.artifactDir(payload.jobId);
      assert.equal(dir, join(h.dataDir, 'previews', payload.projectId, payload.jobId));
      // The job log lines carry the identifying fields and never the payload.
      const lines = h.logLines().filter((l) => l.jobId === payload.jobId);
      assert.ok(lines.length >= 1);
      for (const l of lines) {
        assert.equal(l.projectId, payload.projectId);
        assert.equal(l.attempt, 1);
        assert.equal(typeof l.durationMs, 'number');
        assert.ok(!JSON.stringify(l).includes('Test preview'), 'payload content leaked into the log');
      }
    });

    it('a dry run is validated and recorded, nothing rendered', async () => {
      const payload = valid({ dryRun: true });
      const render = fakeRender();
      const before = await counter(h, 'dry_run');
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      await waitForState(h, payload.jobId, 'completed', 15000, 'dry run');
      await worker.close();
      assert.deepEqual(render.calls, []);
      assert.equal(existsSync(join(h.dataDir, 'previews', payload.projectId, payload.jobId)), false);
      assert.equal(await counter(h, 'dry_run'), before + 1);
      const status = await h.service.status(payload.jobId);
      assert.equal(status?.dryRun, true);
      assert.deepEqual(status?.artifacts, []);
      assert.equal(await h.service.artifactDir(payload.jobId), null);
    });

    it('an invalid payload that reaches the worker fails at once: attemptsMade 1, no retry', async () => {
      const render = fakeRender();
      const before = await counter(h, 'invalid');
      const worker = await h.startWorker(render);
      const jobId = `invalid-${Date.now()}`;
      // Written straight to the queue, bypassing the API's validation.
      await h.queue.add(
        JOB_NAME,
        {
          jobId,
          projectId: '../escape',
          previewRequest: { title: '', steps: [] },
        } as unknown as PreviewPayload,
        { jobId, attempts: 5, backoff: { type: 'exponential', delay: 20 } },
      );
      const status = await waitForState(h, jobId, 'failed', 15000, 'invalid job to fail');
      await worker.close();
      assert.equal(status.attemptsMade, 1);
      assert.ok(status.failedReason?.startsWith(INVALID_PAYLOAD_PREFIX), status.failedReason);
      assert.match(status.failedReason!, /projectId/);
      assert.deepEqual(render.calls, []);
      assert.equal(await counter(h, 'invalid'), before + 1);
    });

    it('a render error is retried with backoff and then completes', async () => {
      const payload = valid();
      let failures = 0;
      const render = fakeRender({
        before: () => {
          if (failures < 2) {
            failures += 1;
            throw new Error('transient disk hiccup');
          }
        },
      });
      const retryingBefore = await counter(h, 'retrying');
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      const status = await waitForState(h, payload.jobId, 'completed', 15000, 'retried job to complete');
      await worker.close();
      assert.equal(status.attemptsMade, 3);
      assert.deepEqual(render.calls, [payload.jobId, payload.jobId, payload.jobId]);
      assert.equal(await counter(h, 'retrying'), retryingBefore + 2);
      const attempts = h
        .logLines()
        .filter((l) => l.jobId === payload.jobId && typeof l.outcome === 'string')
        .map((l) => [l.attempt, l.outcome]);
      assert.deepEqual(attempts, [
        [1, 'retrying'],
        [2, 'retrying'],
        [3, 'completed'],
      ]);
    });

    it('a render error on the last attempt fails the job with outcome failed', async () => {
      const payload = valid();
      const render = fakeRender({
        before: () => {
          throw new Error('always broken');
        },
      });
      const failedBefore = await counter(h, 'failed');
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      const status = await waitForState(h, payload.jobId, 'failed', 20000, 'job to fail after all attempts');
      await worker.close();
      assert.equal(status.attemptsMade, 5);
      assert.equal(status.failedReason, 'always broken');
      assert.equal(render.calls.length, 5);
      assert.equal(await counter(h, 'failed'), failedBefore + 1);
    });

    it('a RenderInputError fails at once without retries', async () => {
      const payload = valid();
      const render = fakeRender({
        before: () => {
          throw new RenderInputError('ffmpeg was not found on PATH; install ffmpeg or use format png');
        },
      });
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      const status = await waitForState(h, payload.jobId, 'failed', 15000, 'input error to fail');
      await worker.close();
      assert.equal(status.attemptsMade, 1);
      assert.match(status.failedReason ?? '', /ffmpeg/);
      assert.equal(render.calls.length, 1);
    });

    it('a completed job is not rendered again when submitted again', async () => {
      const payload = valid();
      const render = fakeRender();
      const worker = await h.startWorker(render);
      await h.service.submit(payload);
      await waitForState(h, payload.jobId, 'completed', 15000, 'first');
      const again = await h.service.submit(payload);
      assert.deepEqual(again, { jobId: payload.jobId, state: 'completed', created: false });
      await worker.close();
      assert.equal(render.calls.length, 1);
    });
  });
});
