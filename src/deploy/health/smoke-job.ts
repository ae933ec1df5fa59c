/**
 * verify's smoke check: submit a small dry-run preview job to one worker and poll it until it
 * completes, fails or runs out of time.
 */
import { randomBytes } from 'node:crypto';
import { API_TOKEN_ENV, API_TOKEN_HEADER, bearer, WORKER_PATH } from '../../contract/http.js';
import type { PreviewPayloadInput, PreviewStatus } from '../../contract/payload.js';
import type { ProgressReporter } from '../output/progress.js';
import { sleep as pause } from '../util/sleep.js';
import { describeFailure, ms, shortBody } from './verify-evidence.js';
import type { VerifyCheck, WorkerAnswer, WorkerEndpoint } from './verify-types.js';

/** The name of the smoke check. */
export const SMOKE_CHECK = 'smoke: dry-run preview job';

/** The parts of `GET /v1/previews/<jobId>` the smoke check reads (it tolerates an older worker). */
type PreviewJobAnswer = Partial<Pick<PreviewStatus, 'failedReason' | 'attemptsMade'>> & { state?: string };

/** A small valid dry-run payload (the worker's PreviewPayloadInput), with a unique job id. */
export function smokePayload(now: number): PreviewPayloadInput & { dryRun: true } {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return {
    jobId: `smoke-${stamp}-${randomBytes(4).toString('hex')}`,
    projectId: 'mobius-smoke',
    dryRun: true,
    priority: 'high',
    previewRequest: {
      title: 'mobius-deploy verify smoke test',
      steps: [
        { title: 'Smoke', text: 'A dry-run job submitted by mobius-deploy verify --smoke.', durationSec: 1 },
      ],
      options: { resolution: '320x180', format: 'png' },
    },
  };
}

/** Submit a dry-run job and poll until it completes, fails or times out. */
export async function checkSmokeJob(
  endpoint: WorkerEndpoint,
  opts: {
    token?: string;
    timeoutMs: number;
    requestTimeoutMs: number;
    now: () => number;
    pollIntervalMs?: number;
    sleep?: (ms: number) => Promise<void>;
    progress?: ProgressReporter;
  },
): Promise<{ check: VerifyCheck; jobId: string }> {
  const payload = smokePayload(opts.now());
  const name = SMOKE_CHECK;
  const previews = WORKER_PATH.previews;
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (opts.token) {
    headers.Authorization = bearer(opts.token);
    // The API server's pod proxy strips Authorization; the worker also accepts this header.
    headers[API_TOKEN_HEADER] = opts.token;
  }
  const sleep = opts.sleep ?? pause;
  const started = performance.now();
  const fail = (evidence: string): { check: VerifyCheck; jobId: string } => ({
    check: { name, status: 'fail', evidence, durationMs: performance.now() - started },
    jobId: payload.jobId,
  });
  opts.progress?.update(`smoke: submitting ${payload.jobId} through ${endpoint.label}`);
  let submit: WorkerAnswer;
  try {
    submit = await endpoint.request('POST', previews, {
      body: payload,
      headers,
      timeoutMs: opts.requestTimeoutMs,
    });
  } catch (err) {
    return fail(`POST ${previews} failed: ${describeFailure(err)}`);
  }
  if (submit.fromApiServer) {
    return fail(
      `the Kubernetes API server refused the pod proxy request (${submit.statusCode}): ${shortBody(submit.body)}`,
    );
  }
  if (submit.statusCode === 401) {
    return fail(
      `POST ${previews} was refused (401): the worker needs its API token; pass --api-token, set ${API_TOKEN_ENV} or use --api-token-secret${opts.token ? ' (the token given was rejected)' : ''}`,
    );
  }
  if (submit.statusCode !== 202 && submit.statusCode !== 200) {
    return fail(`POST ${previews} answered ${submit.statusCode}: ${shortBody(submit.body)}`);
  }
  const deadline = performance.now() + opts.timeoutMs;
  let last = 'queued';
  const interval = opts.pollIntervalMs ?? 500;
  while (true) {
    let res: WorkerAnswer | undefined;
    try {
      res = await endpoint.request('GET', `${previews}/${encodeURIComponent(payload.jobId)}`, {
        headers,
        timeoutMs: opts.requestTimeoutMs,
      });
    } catch (err) {
      last = `poll failed: ${describeFailure(err)}`;
    }
    if (res && res.statusCode === 200) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        return fail(`GET ${previews}/${payload.jobId} returned invalid JSON: ${shortBody(res.body)}`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return fail(`GET ${previews}/${payload.jobId} returned no job object: ${shortBody(res.body)}`);
      }
      const body = parsed as PreviewJobAnswer;
      last = body.state ?? 'unknown';
      opts.progress?.update(`smoke: ${payload.jobId} is ${last}`);
      if (body.state === 'completed') {
        return {
          check: {
            name,
            status: 'pass',
            evidence: `job ${payload.jobId} (dry run) completed in ${ms(performance.now() - started)} via ${endpoint.label}`,
            durationMs: performance.now() - started,
          },
          jobId: payload.jobId,
        };
      }
      if (body.state === 'failed') {
        return fail(
          `job ${payload.jobId} failed: ${body.failedReason ?? 'no reason given'} (attempts ${body.attemptsMade ?? '?'})`,
        );
      }
    } else if (res) {
      last = `GET answered ${res.statusCode}: ${shortBody(res.body)}`;
    }
    if (performance.now() >= deadline) {
      return fail(`job ${payload.jobId} did not complete within ${ms(opts.timeoutMs)} (last state: ${last})`);
    }
    await sleep(Math.min(interval, Math.max(0, deadline - performance.now())));
  }
}
