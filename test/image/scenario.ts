/**
 * The worker container's run, check by check: it starts within the startup probe's budget, /livez
 * and /readyz answer, /metrics carries the contract with the build's version and revision, a png
 * and an mp4 job taken from BullMQ complete with artifacts matching their container.json, SIGTERM
 * during a render drains it and exits 0 within the grace period, and nothing was written outside
 * /tmp and /data.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { METRIC } from '../../src/contract/metrics.js';
import type { PreviewPayload } from '../../src/contract/payload.js';
import { artifactProblems, metricsProblems, sampleValue } from './checks.js';
import { WorkerContainer } from './container.js';
import { expectedArtifacts, JobClient, samplePayload } from './jobs.js';
import type { Progress } from './progress.js';
import type { ContainerRunSpec, RunPlacement } from './run-spec.js';

export interface ScenarioInputs {
  root: string;
  spec: ContainerRunSpec;
  placement: RunPlacement;
  /** the Redis the container's REDIS_URL reaches, as the host reaches it */
  hostRedisUrl: string;
  /** host directory mounted at the Deployment's /data */
  dataDir: string;
  build: { version: string; revision: string };
  progress: Progress;
  /** where the container's log is saved at the end */
  saveLog: (text: string) => void;
}

const JOB_TIMEOUT_MS = 180_000;

async function renderJob(jobs: JobClient, payload: PreviewPayload, inputs: ScenarioInputs): Promise<void> {
  const { progress } = inputs;
  const format = payload.previewRequest.options.format;
  const started = Date.now();
  let lastSay = started;
  await jobs.add(payload);
  const end = await jobs.waitFinished(payload.jobId, JOB_TIMEOUT_MS, (s) => {
    if (Date.now() - lastSay >= 10_000) {
      lastSay = Date.now();
      progress.info(`waiting for the ${format} job ${payload.jobId}: ${s.state}`);
    }
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (end.state !== 'completed') {
    progress.fail(
      `the ${format} job ended ${end.state} after ${seconds} s${end.failedReason ? `: ${end.failedReason}` : ''}`,
    );
    return;
  }
  const dir = join(inputs.dataDir, end.dir ?? `previews/${payload.projectId}/${payload.jobId}`);
  const problems = artifactProblems(dir, expectedArtifacts(payload));
  if (problems.length === 0) {
    progress.pass(
      `the ${format} job completed in ${seconds} s; every artifact matches container.json (${dir})`,
    );
  }
  for (const p of problems) progress.fail(`${format} job: ${p}`);
}

export async function runScenario(inputs: ScenarioInputs): Promise<void> {
  const { spec, placement, progress } = inputs;
  const baseline = WorkerContainer.baselineDiff(spec, placement);
  const container = WorkerContainer.start(spec, placement);
  const jobs = new JobClient(inputs.hostRedisUrl, { ...spec.env, ...(placement.extraEnv ?? {}) });
  const run = randomBytes(3).toString('hex');
  try {
    progress.info(
      `started ${placement.name} as ${spec.user}; waiting for ${spec.probes.startup.path} on port ${spec.containerPort}`,
    );
    const startSeconds = await container.waitStarted(progress);
    progress.pass(
      `the worker started: ${spec.probes.startup.path} answered after ${startSeconds.toFixed(1)} s`,
    );
    const live = await container.get(spec.probes.liveness.path);
    if (live.status === 200) progress.pass(`liveness ${spec.probes.liveness.path}: 200`);
    else progress.fail(`liveness ${spec.probes.liveness.path}: ${live.status} ${live.body.slice(0, 200)}`);
    const readyBudget = spec.probes.readiness.periodSeconds * spec.probes.readiness.failureThreshold * 3;
    await container.waitForProbe(
      spec.probes.readiness,
      readyBudget,
      progress,
      `readiness ${spec.probes.readiness.path}`,
    );
    progress.pass(`readiness ${spec.probes.readiness.path}: 200 (Redis reached from the container)`);

    const metrics = await container.get('/metrics');
    const mp = metricsProblems(metrics.body, inputs.build);
    if (mp.length === 0) {
      progress.pass(
        `/metrics has ${Object.values(METRIC).length} contract metrics; ${METRIC.buildInfo}{version="${inputs.build.version}",revision="${inputs.build.revision.slice(0, 12)}..."}`,
      );
    }
    for (const p of mp) progress.fail(p);

    await renderJob(jobs, samplePayload(inputs.root, { jobId: `image-png-${run}`, format: 'png' }), inputs);
    await renderJob(
      jobs,
      samplePayload(inputs.root, {
        jobId: `image-mp4-${run}`,
        format: 'mp4',
        resolution: '640x360',
        steps: 3,
      }),
      inputs,
    );
    const after = await container.get('/metrics');
    const completed = sampleValue(after.body, METRIC.jobsTotal, { outcome: 'completed' }) ?? 0;
    if (completed >= 2) progress.pass(`${METRIC.jobsTotal}{outcome="completed"} is ${completed}`);
    else progress.fail(`${METRIC.jobsTotal}{outcome="completed"} is ${completed} after two completed jobs`);

    await drain(container, jobs, inputs, run);

    const outside = container.writesOutsideVolumes(baseline);
    const writable = [...spec.tmpfs.map((t) => t.path), ...spec.volumes.map((v) => v.path)].join(' and ');
    if (outside.length === 0) progress.pass(`nothing was written outside ${writable} (podman diff)`);
    else
      progress.fail(`written outside ${writable}:\n${outside.map((c) => `${c.kind} ${c.path}`).join('\n')}`);
  } finally {
    inputs.saveLog(container.logs(100_000));
    await jobs.close();
    container.remove();
  }
}

/** SIGTERM while an mp4 render runs: not ready at once, the job finishes, exit 0 within the grace period. */
async function drain(
  container: WorkerContainer,
  jobs: JobClient,
  inputs: ScenarioInputs,
  run: string,
): Promise<void> {
  const { progress, spec } = inputs;
  const payload = samplePayload(inputs.root, { jobId: `image-drain-${run}`, format: 'mp4' });
  await jobs.add(payload);
  const deadline = Date.now() + 30_000;
  let state = await jobs.state(payload.jobId);
  while (state.state !== 'active' && state.state !== 'completed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    state = await jobs.state(payload.jobId);
  }
  const activeAtSignal = state.state === 'active';
  if (!activeAtSignal) progress.info(`the drain job was ${state.state} when SIGTERM was sent`);
  const readiness = { answer: 'not asked' as number | string };
  const { exitCode, seconds } = await container.terminate(progress, async () => {
    await new Promise((r) => setTimeout(r, 300));
    const r = await container.get(spec.probes.readiness.path).catch((err: Error) => err.message);
    readiness.answer = typeof r === 'string' ? r : r.status;
  });
  const grace = spec.terminationGracePeriodSeconds;
  if (exitCode === 0) {
    progress.pass(`SIGTERM: the worker exited 0 after ${seconds.toFixed(1)} s (grace period ${grace} s)`);
  } else {
    progress.fail(
      `SIGTERM: the worker exited ${exitCode} after ${seconds.toFixed(1)} s; last log lines:\n${container.logs(15)}`,
    );
  }
  if (readiness.answer === 503) progress.pass(`${spec.probes.readiness.path} answered 503 while draining`);
  else if (activeAtSignal) {
    progress.fail(`${spec.probes.readiness.path} answered ${readiness.answer} while draining, not 503`);
  }
  const end = await jobs.state(payload.jobId);
  const drained =
    /"msg":"shutdown complete"[^\n]*"drained":true|"drained":true[^\n]*"msg":"shutdown complete"/.test(
      container.logs(50),
    );
  if (end.state === 'completed' && (drained || !activeAtSignal)) {
    progress.pass('the render running at SIGTERM finished before the exit (log: shutdown complete, drained)');
  } else {
    progress.fail(
      `the render running at SIGTERM ended ${end.state}${end.failedReason ? `: ${end.failedReason}` : ''}${drained ? '' : '; the log has no "shutdown complete" with drained true'}`,
    );
  }
}
