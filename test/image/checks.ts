/**
 * The checks of `npm run test:image` that only read data: the image's configuration, the packages
 * inside it, /metrics, and a job's artifacts against its container.json. Each returns the problems
 * it found ([] when everything holds), so the runner can report all of them, and the unit tests
 * (test/unit/image-checks.test.ts) can feed them good and bad input without podman.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_OUTCOMES, METRIC } from '../../src/contract/metrics.js';
import { parsePrometheusText } from '../support/prom-parse.js';
import type { ImageFacts } from './podman.js';

/** Keep the image under 600 MB (uncompressed, decimal megabytes as `podman images` prints them). */
export const MAX_IMAGE_BYTES = 600_000_000;

/** A size in both units: `578.0 MiB (606 MB)`. */
export function formatSize(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB (${Math.round(bytes / 1e6)} MB)`;
}

export interface ImageExpectations {
  version: string;
  revision: string;
  created: string;
  /** runAsUser:runAsGroup of the Deployment */
  user: string;
  containerPort: number;
  baseImage: string;
  /** the Deployment's liveness path, which the image's HEALTHCHECK should ask too */
  livenessPath: string;
}

export function imageProblems(facts: ImageFacts, want: ImageExpectations): string[] {
  const problems: string[] = [];
  const label = (key: string, value: string) => {
    if (facts.labels[key] !== value) {
      problems.push(
        `label ${key} is ${JSON.stringify(facts.labels[key] ?? null)}, not ${JSON.stringify(value)}`,
      );
    }
  };
  label('org.opencontainers.image.version', want.version);
  label('org.opencontainers.image.revision', want.revision);
  label('org.opencontainers.image.created', want.created);
  label('org.opencontainers.image.title', 'mobius-preview-worker');
  label('org.opencontainers.image.base.name', want.baseImage);
  for (const key of ['org.opencontainers.image.source', 'org.opencontainers.image.licenses']) {
    if (!facts.labels[key]) problems.push(`label ${key} is missing`);
  }
  if (facts.user !== want.user) {
    problems.push(`the image's USER is ${JSON.stringify(facts.user)}, the Deployment runs ${want.user}`);
  }
  if (/^(0|root)(:|$)/.test(facts.user)) problems.push('the image runs as root');
  if (!facts.exposedPorts.includes(`${want.containerPort}/tcp`)) {
    problems.push(
      `the image exposes ${facts.exposedPorts.join(', ') || 'no port'}, not ${want.containerPort}/tcp`,
    );
  }
  if (!facts.healthcheck.some((part) => part.includes(want.livenessPath))) {
    problems.push(
      `the image's HEALTHCHECK (${facts.healthcheck.join(' ') || 'none'}) does not ask ${want.livenessPath}`,
    );
  }
  if (facts.sizeBytes >= MAX_IMAGE_BYTES) {
    problems.push(
      `the image is ${formatSize(facts.sizeBytes)}, over the limit of ${MAX_IMAGE_BYTES / 1e6} MB`,
    );
  }
  return problems;
}

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
}

/**
 * Dev-only packages of package-lock.json found installed in the image (`installed`: the
 * node_modules/... paths under /app, as the lock spells them).
 */
export function devDependencyProblems(
  installed: string[],
  lock: { packages: Record<string, LockPackage> },
): string[] {
  const dev = new Set(
    Object.entries(lock.packages)
      .filter(([path, p]) => path && p.dev === true)
      .map(([path]) => path),
  );
  const found = installed.filter((p) => dev.has(p));
  if (found.length === 0) return [];
  const shown = found.slice(0, 8).join(', ');
  return [`${found.length} dev-only package(s) are in the image: ${shown}${found.length > 8 ? ', ...' : ''}`];
}

/**
 * /metrics: every contract metric is there with its HELP and TYPE, the jobs counter has an outcome
 * label of the contract, and build_info carries the build's version and revision.
 */
export function metricsProblems(text: string, want: { version: string; revision: string }): string[] {
  let families: ReturnType<typeof parsePrometheusText>;
  try {
    families = parsePrometheusText(text);
  } catch (err) {
    return [`/metrics is not valid Prometheus text: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  for (const name of Object.values(METRIC)) {
    if (!families.has(name)) problems.push(`/metrics has no ${name}`);
  }
  for (const s of families.get(METRIC.jobsTotal)?.samples ?? []) {
    const outcome = s.labels.outcome;
    if (outcome && !(JOB_OUTCOMES as readonly string[]).includes(outcome)) {
      problems.push(`${METRIC.jobsTotal} has outcome="${outcome}", not one of the contract's`);
    }
  }
  const build = families.get(METRIC.buildInfo)?.samples ?? [];
  if (families.has(METRIC.buildInfo)) {
    const labels = build[0]?.labels ?? {};
    if (build.length !== 1 || build[0]!.value !== 1) {
      problems.push(`${METRIC.buildInfo} should be one sample of value 1`);
    }
    if (labels.version !== want.version || labels.revision !== want.revision) {
      problems.push(
        `${METRIC.buildInfo} says version="${labels.version}" revision="${labels.revision}", the build args were version="${want.version}" revision="${want.revision}"`,
      );
    }
  }
  if (!families.has('process_cpu_seconds_total') || !families.has('nodejs_heap_size_used_bytes')) {
    problems.push('/metrics lacks the default process and Node.js metrics');
  }
  return problems;
}

/** The value of one sample of a metric family (labels matched exactly as given), or undefined. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const family = parsePrometheusText(text).get(name);
  const sample = family?.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value;
}

function filesUnder(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, sub))) {
    const rel = sub ? `${sub}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out;
}

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  '.png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  '.mp4': (b) => b.subarray(4, 8).toString('latin1') === 'ftyp',
  '.json': (b) => {
    try {
      JSON.parse(b.toString('utf8'));
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * A finished job's directory: container.json lists exactly the files there, each with its size and
 * sha256 (computed here, not by the worker's code), the files `expected` are among them, and PNG,
 * MP4 and JSON files are what their names say.
 */
export function artifactProblems(jobDir: string, expected: string[]): string[] {
  let listed: { path: string; bytes: number; sha256: string }[];
  try {
    listed = (JSON.parse(readFileSync(join(jobDir, 'container.json'), 'utf8')) as { files: typeof listed })
      .files;
  } catch (err) {
    return [`${jobDir}/container.json cannot be read: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const onDisk = filesUnder(jobDir).filter((p) => p !== 'container.json');
  const names = new Set(listed.map((f) => f.path));
  for (const path of onDisk) if (!names.has(path)) problems.push(`${path} is not listed in container.json`);
  for (const path of expected) if (!names.has(path)) problems.push(`container.json does not list ${path}`);
  for (const f of listed) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(jobDir, f.path));
    } catch {
      problems.push(`${f.path} is listed in container.json but missing`);
      continue;
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== f.sha256 || bytes.length !== f.bytes) {
      problems.push(
        `${f.path}: ${bytes.length} bytes sha256 ${sha.slice(0, 12)}, container.json says ${f.bytes} bytes ${f.sha256.slice(0, 12)}`,
      );
    }
    const ext = /\.[a-z0-9]+$/.exec(f.path)?.[0] ?? '';
    if (MAGIC[ext] && !MAGIC[ext](bytes)) problems.push(`${f.path} is not a ${ext.slice(1)} file`);
  }
  return problems;
}
