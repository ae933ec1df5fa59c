/**
 * npm run bench:worker: the worker's benchmark (issue 2). Not a test; it prints a table.
 *
 * 1. Pipeline overhead: dry-run jobs/s through our worker (the real processor: validation, logging,
 *    metrics, BullMQ worker settings) against a bare BullMQ no-op worker, same Redis, same job
 *    options, same concurrency, alternating rounds in this run. Each round's worker runs in a fresh
 *    process and is timed after its first BENCH_WARM_JOBS jobs; the verdict is the median of the
 *    per-pair ratios. Target: ours >= 90% of bare.
 * 2. Render: p50/p95 job time for the sample 10-step 1280x720 preview at concurrency 1 and 2, and
 *    where the time goes (rasterizing, PNG encoding, writing, and queue/bookkeeping = job time
 *    minus render time). Targets: p95 < 1 s at concurrency 1; bookkeeping < 5%.
 * 3. Memory: peak RSS (VmHWM) of a worker *process* rendering 200 sample jobs at concurrency 2.
 *    Target: < 256 MiB.
 *
 * Redis: a private redis-server (AOF everysec) on a free port when redis-server is on PATH,
 * else BENCH_REDIS_URL / REDIS_URL with a unique key prefix. Options (env):
 *   BENCH_DRY_JOBS (default 4000)  BENCH_WARM_JOBS (2000)  BENCH_ROUNDS (12 pairs)  BENCH_RENDER_JOBS (20)  BENCH_RSS_JOBS (200)
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Job, type Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { PreviewJobResult, PreviewPayload } from '../src/contract/payload.js';
import type * as ConfigModule from '../src/worker/config.js';
import type { WorkerConfig } from '../src/worker/config.js';
import type * as LogDestinationModule from '../src/worker/log-destination.js';
import type * as LoggerModule from '../src/worker/logger.js';
import type * as MetricsModule from '../src/worker/metrics.js';
import type * as PayloadModule from '../src/worker/payload.js';
import type * as ProcessorModule from '../src/worker/processor.js';
import type * as QueueModule from '../src/worker/queue.js';
import type * as RenderModule from '../src/worker/render/index.js';
import type * as WorkerModule from '../src/worker/worker.js';
import { type PrivateRedis, startPrivateRedis } from '../test/support/redis-server.js';
import { percentile } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** True when tsc's output in dist/worker is newer than every worker source file (`npm run build`). */
function distIsCurrent(): boolean {
  const dist = join(ROOT, 'dist', 'worker', 'main.js');
  if (!existsSync(dist)) return false;
  const newestSource = Math.max(
    ...readdirSync(join(ROOT, 'src', 'worker'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(join(ROOT, 'src', 'worker', f)).mtimeMs),
  );
  return statSync(dist).mtimeMs >= newestSource;
}

/**
 * The worker's code as production runs it: tsc's output in dist/ when it is current, else the
 * sources through tsx, which adds a helper call to every function and so measures slower.
 */
const USE_DIST = distIsCurrent();
const workerModule = (name: string): Promise<unknown> =>
  import(USE_DIST ? `../dist/worker/${name}.js` : `../src/worker/${name}.js`);
const { loadConfig } = (await workerModule('config')) as typeof ConfigModule;
const { createLogger } = (await workerModule('logger')) as typeof LoggerModule;
const { BufferedLineWriter } = (await workerModule('log-destination')) as typeof LogDestinationModule;
const { WorkerMetrics } = (await workerModule('metrics')) as typeof MetricsModule;
const { parsePreviewPayload } = (await workerModule('payload')) as typeof PayloadModule;
const { createProcessor } = (await workerModule('processor')) as typeof ProcessorModule;
const { createPreviewQueue, JOB_NAME, jobOptionsFor } = (await workerModule('queue')) as typeof QueueModule;
const { renderPreview } = (await workerModule('render/index')) as typeof RenderModule;
const { createPreviewWorker } = (await workerModule('worker')) as typeof WorkerModule;
const DRY_JOBS = Number(process.env.BENCH_DRY_JOBS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const RENDER_JOBS = Number(process.env.BENCH_RENDER_JOBS ?? 20);
const RSS_JOBS = Number(process.env.BENCH_RSS_JOBS ?? 200);
/** glibc settings that return freed native (canvas, zlib) memory to the OS sooner. */
const MALLOC_TUNING = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

function log(msg: string): void {
  process.stderr.write(`[bench:worker] ${msg}\n`);
}

function samplePayload(): PreviewPayload {
  const path = join(ROOT, 'examples', 'sample-preview.json');
  const raw: unknown = existsSync(path)
    ? JSON.parse(readFileSync(path, 'utf8'))
    : {
        jobId: 'bench-sample',
        projectId: 'bench',
        previewRequest: {
          title: 'Publishing your first chapter',
          steps: Array.from({ length: 10 }, (_, i) => ({
            title: `Step ${i + 1}: a realistic step title`,
            text: 'Open the chapter editor, add a lesson, and describe what the reader will learn. '.repeat(
              3,
            ),
          })),
          options: { resolution: '1280x720', format: 'png' },
        },
      };
  const parsed = parsePreviewPayload(raw);
  if (!parsed.ok)
    throw new Error(`sample payload invalid: ${parsed.issues.map((i) => i.message).join('; ')}`);
  const p = parsed.value;
  if (p.previewRequest.steps.length !== 10 || p.previewRequest.options.resolution !== '1280x720') {
    log(
      `note: sample has ${p.previewRequest.steps.length} steps at ${p.previewRequest.options.resolution} (expected 10 at 1280x720)`,
    );
  }
  return {
    ...p,
    previewRequest: { ...p.previewRequest, options: { ...p.previewRequest.options, format: 'png' } },
  };
}

/** The verdicts use the nearest-rank median (a value that was measured), as they always have. */
const pct = percentile;
const median = (values: number[]) => percentile(values, 50);

function baseConfig(
  redisUrl: string,
  prefix: string,
  dataDir: string,
  extra: Record<string, string> = {},
): WorkerConfig {
  return loadConfig({
    REDIS_URL: redisUrl,
    PREVIEW_REDIS_PREFIX: prefix,
    PREVIEW_QUEUE_NAME: 'bench-q',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/**
 * Resolves when nothing is left to do (completed jobs are trimmed to PREVIEW_KEEP_COMPLETED_COUNT,
 * so the completed count cannot be the signal). Throws when a job failed.
 */
async function waitDrained(queue: Queue): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed', 'failed');
    if ((c.failed ?? 0) > 0) throw new Error(`${c.failed} bench jobs failed`);
    if ((c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the in-process worker has completed `total` jobs. */
function completedCount(worker: Worker, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    worker.on('completed', () => {
      done += 1;
      if (done === total) resolve();
    });
    worker.on('failed', (job, err) => reject(new Error(`bench job ${job?.id} failed: ${err.message}`)));
  });
}

/** Adds `count` dry-run jobs with the production job options; the worker is not running yet. */
async function fillDryRun(
  queue: Queue,
  config: WorkerConfig,
  count: number,
  base: PreviewPayload,
): Promise<void> {
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    const jobs = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const data: PreviewPayload = { ...base, jobId: `dry-${randomUUID()}`, dryRun: true };
      jobs.push({ name: JOB_NAME, data, opts: jobOptionsFor(data, config) });
    }
    await queue.addBulk(jobs);
  }
}

/** Dry-run jobs each round's worker processes before its clock starts (JIT, connections). */
const WARM_JOBS = Number(process.env.BENCH_WARM_JOBS ?? 2000);

/**
 * One round: a fresh queue filled with WARM_JOBS + DRY_JOBS dry-run jobs, drained by one worker of
 * the given kind in a process of its own (this file with --pipeline-round), so that no round
 * inherits another's compiled code, heap or inline caches; the two kinds never share a process.
 * The worker's clock starts after its first WARM_JOBS jobs.
 */
async function pipelineRound(
  kind: 'bare' | 'ours',
  redisUrl: string,
  dataDir: string,
  base: PreviewPayload,
  concurrency: number,
): Promise<{ rate: number; cpuUsPerJob: number }> {
  const prefix = `bench-${kind}-${randomUUID().slice(0, 8)}`;
  const config = baseConfig(redisUrl, prefix, dataDir, { PREVIEW_WORKER_CONCURRENCY: String(concurrency) });
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = createPreviewQueue(producer, config) as unknown as Queue;
  try {
    await fillDryRun(queue, config, WARM_JOBS + DRY_JOBS, base);
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--pipeline-round',
        JSON.stringify({ kind, redisUrl, prefix, dataDir, concurrency, warm: WARM_JOBS, count: DRY_JOBS }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`pipeline round (${kind}) exited ${code}: ${out}`);
    return JSON.parse(out) as { rate: number; cpuUsPerJob: number };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    producer.disconnect();
  }
}

/** The child side of pipelineRound: drain the queue, print {rate, cpuUsPerJob}, exit. */
async function pipelineRoundChild(spec: {
  kind: 'bare' | 'ours';
  redisUrl: string;
  prefix: string;
  dataDir: string;
  concurrency: number;
  warm: number;
  count: number;
}): Promise<void> {
  const config = baseConfig(spec.redisUrl, spec.prefix, spec.dataDir, {
    PREVIEW_WORKER_CONCURRENCY: String(spec.concurrency),
  });
  const workerConn = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
  let worker: Worker;
  if (spec.kind === 'bare') {
    worker = new Worker(config.queueName, async () => undefined, {
      connection: workerConn,
      prefix: spec.prefix,
      concurrency: spec.concurrency,
      autorun: false,
    });
  } else {
    // The worker's own logger (fields, redaction, format, BufferedLineWriter as in production),
    // writing to /dev/null instead of stdout.
    const logger = createLogger({
      level: 'info',
      destination: new BufferedLineWriter({ fd: openSync('/dev/null', 'w') }),
    });
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const processor = createProcessor({ dataDir: spec.dataDir, logger, metrics, render: renderPreview });
    worker = createPreviewWorker({
      config,
      connection: workerConn,
      processor,
      metrics,
      logger,
    }) as unknown as Worker;
  }
  let done = 0;
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage = process.cpuUsage();
  const finished = new Promise<{ seconds: number; cpu: NodeJS.CpuUsage }>((resolve, reject) => {
    worker.on('completed', () => {
      done += 1;
      if (done === spec.warm) {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      if (done === spec.warm + spec.count) {
        resolve({ seconds: (performance.now() - t0) / 1000, cpu: process.cpuUsage(cpu0) });
      }
    });
    worker.on('failed', (job, err) => reject(new Error(`bench job ${job?.id} failed: ${err.message}`)));
  });
  void worker.run();
  const { seconds, cpu } = await finished;
  await worker.close();
  workerConn.disconnect();
  process.stdout.write(
    JSON.stringify({ rate: spec.count / seconds, cpuUsPerJob: (cpu.user + cpu.system) / spec.count }),
  );
}

/** The logger of the render rounds: the worker's own, writing to /dev/null. */
const benchLogger = createLogger({
  level: 'info',
  destination: new BufferedLineWriter({ fd: openSync('/dev/null', 'w') }),
});

interface RenderStats {
  concurrency: number;
  jobs: number;
  p50: number;
  p95: number;
  rasterShare: number;
  encodeShare: number;
  writeShare: number;
  bookkeepingShare: number;
  jobsPerSecond: number;
}

async function renderRound(
  redisUrl: string,
  dataDir: string,
  base: PreviewPayload,
  concurrency: number,
  count: number,
): Promise<RenderStats> {
  const prefix = `bench-render-${randomUUID().slice(0, 8)}`;
  const config = baseConfig(redisUrl, prefix, dataDir, { PREVIEW_WORKER_CONCURRENCY: String(concurrency) });
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = createPreviewQueue(producer, config);
  // Warm-up (fonts, canvas, JIT): one job outside the measurement.
  await renderPreview({ ...base, jobId: `warm-${randomUUID()}` }, { dataDir });
  for (let i = 0; i < count; i++) {
    const data: PreviewPayload = { ...base, jobId: `render-${i}-${randomUUID()}` };
    await queue.add(JOB_NAME, data, jobOptionsFor(data, config));
  }
  const logger = benchLogger;
  const metrics = new WorkerMetrics({ defaultMetrics: false });
  const processor = createProcessor({ dataDir, logger, metrics, render: renderPreview });
  const samples: { jobMs: number; raster: number; encode: number; write: number; render: number }[] = [];
  const wrapped = async (job: Parameters<typeof processor>[0]): Promise<PreviewJobResult> => {
    const t = performance.now();
    const result = await processor(job);
    const jobMs = performance.now() - t;
    const tm = result.timings!;
    samples.push({ jobMs, raster: tm.rasterMs, encode: tm.encodeMs, write: tm.writeMs, render: tm.totalMs });
    return result;
  };
  const worker = createPreviewWorker({ config, connection: workerConn, processor: wrapped, metrics, logger });
  // Job time as BullMQ sees it (processedOn → finishedOn, includes completion bookkeeping in Redis).
  const bullJobMs: number[] = [];
  worker.on('completed', (job: Job) => {
    if (job.processedOn && job.finishedOn) bullJobMs.push(job.finishedOn - job.processedOn);
  });
  const finished = completedCount(worker as unknown as Worker, count);
  const t0 = performance.now();
  void worker.run();
  await finished;
  const wall = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
  workerConn.disconnect();
  const jobTimes = samples.map((s) => s.jobMs);
  const totalJob = bullJobMs.reduce((a, b) => a + b, 0) || jobTimes.reduce((a, b) => a + b, 0);
  const sum = (f: (s: (typeof samples)[number]) => number) => samples.reduce((a, s) => a + f(s), 0);
  return {
    concurrency,
    jobs: count,
    p50: pct(bullJobMs.length ? bullJobMs : jobTimes, 50),
    p95: pct(bullJobMs.length ? bullJobMs : jobTimes, 95),
    rasterShare: sum((s) => s.raster) / totalJob,
    encodeShare: sum((s) => s.encode) / totalJob,
    writeShare: sum((s) => s.write) / totalJob,
    bookkeepingShare: Math.max(0, totalJob - sum((s) => s.render)) / totalJob,
    jobsPerSecond: count / wall,
  };
}

function readKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Peak RSS of a worker process (the real entry point) rendering `count` sample jobs at concurrency 2. */
async function rssRound(
  redisUrl: string,
  dataDir: string,
  base: PreviewPayload,
  count: number,
  extraEnv: Record<string, string> = {},
) {
  const prefix = `bench-rss-${randomUUID().slice(0, 8)}`;
  const dist = join(ROOT, 'dist', 'worker', 'main.js');
  // The built entry when it is current, else the sources through tsx.
  const useDist = USE_DIST;
  const args = useDist ? [dist] : ['--import', 'tsx', join(ROOT, 'src', 'worker', 'main.ts')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'development',
      REDIS_URL: redisUrl,
      PREVIEW_REDIS_PREFIX: prefix,
      PREVIEW_QUEUE_NAME: 'bench-q',
      PREVIEW_WORKER_CONCURRENCY: '2',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanups.push(async () => {
    child.kill('SIGKILL');
  });
  const pid = child.pid!;
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const config = baseConfig(redisUrl, prefix, dataDir);
  const queue = createPreviewQueue(producer, config);
  // Wait until the worker is connected, then measure its idle RSS before any job.
  for (let i = 0; i < 300 && (await queue.getWorkersCount()) === 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  const idleKiB = readKiB(pid, 'VmRSS') ?? 0;
  for (let i = 0; i < count; i++) {
    const data: PreviewPayload = { ...base, jobId: `rss-${i}-${randomUUID()}` };
    await queue.add(JOB_NAME, data, jobOptionsFor(data, config));
  }
  let sampledMaxKiB = 0;
  const sampler = setInterval(() => {
    sampledMaxKiB = Math.max(sampledMaxKiB, readKiB(pid, 'VmRSS') ?? 0);
  }, 100);
  const t0 = performance.now();
  await waitDrained(queue as unknown as Queue);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const hwmKiB = readKiB(pid, 'VmHWM') ?? sampledMaxKiB;
  child.kill('SIGTERM');
  const code = await exited;
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
  return {
    idleKiB,
    peakKiB: Math.max(hwmKiB, sampledMaxKiB),
    seconds,
    exitCode: code,
    mode: useDist ? 'dist' : 'tsx',
  };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mobius-bench-'));
  let redis: PrivateRedis | undefined;
  let redisUrl = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;
  if (haveRedisServer && !process.env.BENCH_REDIS_URL) {
    // AOF with fsync every second, as in production; no AOF rewrites, whose fork and copy would
    // land on whichever round happens to cross the size threshold.
    redis = await startPrivateRedis({
      extraArgs: ['--appendfsync', 'everysec', '--auto-aof-rewrite-percentage', '0'],
    });
    redisUrl = redis.url;
  }
  cleanups.push(async () => {
    await redis?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });
  const where = redis
    ? `private redis-server :${redis.port} (AOF everysec)`
    : redisUrl.replace(/:[^:@/]*@/, ':***@');
  try {
    const base = samplePayload();
    log(`redis: ${where}; node ${process.version}; ${DRY_JOBS} dry-run jobs per round, ${ROUNDS} pairs`);
    log(
      USE_DIST
        ? 'worker code: dist/ (tsc output, as production runs it)'
        : 'worker code: src/ through tsx, because dist/ is missing or older than src/ (run npm run build for the production numbers)',
    );

    // 1. pipeline overhead: pairs of adjacent rounds (order alternating) so load drift on a shared
    //    machine hits both kinds alike; the verdict is the median of the per-pair ratios.
    const rates: Record<'bare' | 'ours', number[]> = { bare: [], ours: [] };
    const cpuPerJob: Record<'bare' | 'ours', number[]> = { bare: [], ours: [] };
    const pairRatios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const pair: Partial<Record<'bare' | 'ours', number>> = {};
      for (const kind of r % 2 === 0 ? (['bare', 'ours'] as const) : (['ours', 'bare'] as const)) {
        const { rate, cpuUsPerJob } = await pipelineRound(kind, redisUrl, dataDir, base, 2);
        rates[kind].push(rate);
        cpuPerJob[kind].push(cpuUsPerJob);
        pair[kind] = rate;
        log(
          `pipeline pair ${r + 1} ${kind}: ${rate.toFixed(0)} jobs/s, ${cpuUsPerJob.toFixed(0)} us CPU/job`,
        );
      }
      pairRatios.push(pair.ours! / pair.bare!);
    }
    const bare = median(rates.bare);
    const ours = median(rates.ours);
    const ratio = median(pairRatios);

    // 2. render
    const renders: RenderStats[] = [];
    for (const c of [1, 2]) {
      log(`render: ${RENDER_JOBS} sample jobs at concurrency ${c}`);
      renders.push(await renderRound(redisUrl, dataDir, base, c, RENDER_JOBS));
    }

    // 3. memory
    log(`memory: ${RSS_JOBS} sample jobs at concurrency 2 in a worker process (glibc malloc defaults)`);
    const rss = await rssRound(redisUrl, dataDir, base, RSS_JOBS);
    log(
      `memory: again with ${Object.entries(MALLOC_TUNING)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    const rssTuned = await rssRound(redisUrl, dataDir, base, RSS_JOBS, MALLOC_TUNING);

    const mib = (kib: number) => (kib / 1024).toFixed(1);
    const pctStr = (x: number) => `${(x * 100).toFixed(1)}%`;
    const rows: [string, string, string, string][] = [
      ['pipeline: bare BullMQ no-op worker (c=2)', `${bare.toFixed(0)} jobs/s`, 'baseline', ''],
      [
        'pipeline: our worker, dry-run jobs (c=2)',
        `${ours.toFixed(0)} jobs/s`,
        `${pctStr(ratio)} of bare (median of ${ROUNDS} pairs)`,
        ratio >= 0.9 ? 'PASS (>= 90%)' : 'FAIL (< 90%)',
      ],
      [
        '  pipeline CPU per job in the worker process: bare / ours',
        `${median(cpuPerJob.bare).toFixed(0)} / ${median(cpuPerJob.ours).toFixed(0)} us`,
        `pair ratios ${pairRatios.map((r) => pctStr(r)).join(' ')}`,
        '',
      ],
    ];
    for (const r of renders) {
      rows.push([
        `render sample 10x1280x720, c=${r.concurrency}: p50 / p95`,
        `${r.p50.toFixed(0)} / ${r.p95.toFixed(0)} ms`,
        `${r.jobsPerSecond.toFixed(2)} jobs/s`,
        r.concurrency === 1 ? (r.p95 < 1000 ? 'PASS (p95 < 1 s)' : 'FAIL (p95 >= 1 s)') : '',
      ]);
      rows.push([
        `  job time shares, c=${r.concurrency}`,
        `raster ${pctStr(r.rasterShare)}`,
        `encode ${pctStr(r.encodeShare)}, write ${pctStr(r.writeShare)}`,
        `queue+bookkeeping ${pctStr(r.bookkeepingShare)} ${r.bookkeepingShare < 0.05 ? 'PASS (< 5%)' : 'FAIL (>= 5%)'}`,
      ]);
    }
    for (const [label, r] of [
      ['malloc defaults', rss],
      ['MALLOC_ARENA_MAX=2, mmap/trim 128K', rssTuned],
    ] as const) {
      rows.push([
        `memory: ${RSS_JOBS} sample jobs, c=2, worker process (${r.mode}), ${label}`,
        `peak RSS ${mib(r.peakKiB)} MiB`,
        `idle ${mib(r.idleKiB)} MiB; ${(RSS_JOBS / r.seconds).toFixed(2)} jobs/s`,
        r.peakKiB < 256 * 1024 ? 'PASS (< 256 MiB)' : 'FAIL (>= 256 MiB)',
      ]);
    }
    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(['measurement', 'value', 'ratio / detail', 'target']));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    console.log(
      `\nredis: ${where}; node ${process.version}; ${cpus().length} CPUs, load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )}; pipeline rounds (jobs/s) bare ${rates.bare.map((r) => r.toFixed(0)).join(' ')}, ours ${rates.ours
        .map((r) => r.toFixed(0))
        .join(' ')}; worker exit codes after SIGTERM: ${rss.exitCode}, ${rssTuned.exitCode}`,
    );
  } finally {
    await redis?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// Ctrl-C / SIGTERM: stop the private redis-server and remove the temp data before exiting.
const cleanups: (() => Promise<void>)[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(130));
  });
}

if (process.argv[2] === '--pipeline-round') {
  pipelineRoundChild(JSON.parse(process.argv[3] ?? '{}')).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`pipeline round failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((err) => {
    process.stderr.write(`bench:worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
