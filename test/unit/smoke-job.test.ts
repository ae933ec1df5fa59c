/**
 * verify's smoke check against a fake worker: it passes on a completed job and fails with evidence,
 * never a crash, on an answer that is not a job object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSmokeJob } from '../../src/deploy/health/smoke-job.js';
import type { WorkerEndpoint } from '../../src/deploy/health/verify-types.js';

function worker(pollBody: string): WorkerEndpoint {
  return {
    label: 'fake worker',
    request: async (method) =>
      method === 'POST'
        ? { statusCode: 202, body: '{"state":"queued"}', durationMs: 1 }
        : { statusCode: 200, body: pollBody, durationMs: 1 },
  };
}
const options = {
  timeoutMs: 1000,
  requestTimeoutMs: 100,
  now: () => Date.parse('2026-12-03T10:00:00Z'),
  pollIntervalMs: 1,
};

test('a completed job passes', async () => {
  const { check, jobId } = await checkSmokeJob(worker('{"state":"completed"}'), options);
  assert.equal(check.status, 'pass');
  assert.match(jobId, /^smoke-20261203T100000-[0-9a-f]{8}$/);
});

for (const body of ['null', '[]', '"completed"', '7']) {
  test(`a poll answer of ${body} fails the check with evidence`, async () => {
    const { check } = await checkSmokeJob(worker(body), options);
    assert.equal(check.status, 'fail');
    assert.match(check.evidence, new RegExp(`returned no job object: ${body.replace(/[[\]]/g, '\\$&')}`));
  });
}
