/**
 * How `npm run test:image` runs the container (test/image/run-spec.ts), read from the Deployment
 * that `render --env production` renders, and how it reads podman's output (podman.ts) and judges
 * the image, /metrics and artifacts (checks.ts). No podman needed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderManifests } from '../../src/deploy/manifests/render.js';
import { artifactProblems, devDependencyProblems, imageProblems, metricsProblems } from '../image/checks.js';
import {
  buildStep,
  layersAboveBase,
  parseDiff,
  parseHistory,
  parseImageInspect,
  writesOutside,
} from '../image/podman.js';
import { podmanRunArgs, redisUrlForContainer, runSpecFromDeployment } from '../image/run-spec.js';

const secrets = {
  'preview-worker-redis/REDIS_URL': 'redis://10.0.2.2:6379',
  'preview-worker-api-token/PREVIEW_API_TOKEN': 'token-123',
};
const objects = () =>
  renderManifests({ environment: 'production', image: 'localhost/mobius-preview-worker:t' }).objects;
const placement = {
  name: 'c1',
  image: 'localhost/mobius-preview-worker:t',
  claimDirs: { 'preview-worker-data': '/host/data' },
  hostPort: 41000,
};
const optionValues = (args: string[], flag: string) =>
  args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe('the container as the rendered Deployment runs it', () => {
  it('takes user, security context, env, probes, volumes and limits from the Deployment', () => {
    const spec = runSpecFromDeployment(objects(), secrets);
    assert.equal(spec.user, '10001:10001');
    assert.equal(spec.fsGroup, 10001);
    assert.equal(spec.readOnlyRootFilesystem, true);
    assert.equal(spec.allowPrivilegeEscalation, false);
    assert.deepEqual(spec.capDrop, ['ALL']);
    assert.equal(spec.env.NODE_ENV, 'production');
    assert.equal(spec.env.DATA_DIR, '/data');
    assert.equal(spec.env.REDIS_URL, 'redis://10.0.2.2:6379');
    assert.equal(spec.env.PREVIEW_API_TOKEN, 'token-123');
    assert.deepEqual([spec.probes.startup.path, spec.probes.readiness.path], ['/livez', '/readyz']);
    assert.equal(spec.probes.startup.port, 3000, 'the named port resolved');
    assert.deepEqual(spec.tmpfs, [{ path: '/tmp', sizeBytes: 512 * 2 ** 20 }]);
    assert.deepEqual(spec.volumes, [{ path: '/data', claim: 'preview-worker-data' }]);
    assert.equal(spec.memoryLimitBytes, 2 ** 30);
    assert.equal(spec.terminationGracePeriodSeconds, 35);
  });

  it('turns that into podman run options', () => {
    const args = podmanRunArgs(runSpecFromDeployment(objects(), secrets), {
      ...placement,
      extraEnv: { PREVIEW_REDIS_PREFIX: 'p1' },
    });
    assert.equal(optionValues(args, '--user')[0], '10001:10001');
    assert.deepEqual(optionValues(args, '--group-add'), ['10001']);
    assert.ok(args.includes('--read-only') && args.includes('--read-only-tmpfs=false'));
    assert.deepEqual(optionValues(args, '--cap-drop'), ['ALL']);
    assert.deepEqual(optionValues(args, '--security-opt'), ['no-new-privileges']);
    assert.deepEqual(optionValues(args, '--tmpfs'), [`/tmp:rw,nosuid,nodev,size=${512 * 2 ** 20},mode=1777`]);
    assert.deepEqual(optionValues(args, '--volume'), ['/host/data:/data:rw']);
    assert.deepEqual(optionValues(args, '--publish'), ['127.0.0.1:41000:3000']);
    assert.equal(optionValues(args, '--stop-timeout')[0], '35');
    assert.ok(args.includes('--no-healthcheck'), 'the probes, not the HEALTHCHECK, as in Kubernetes');
    const env = optionValues(args, '--env');
    assert.ok(env.includes('PREVIEW_REDIS_PREFIX=p1') && env.includes('SHUTDOWN_TIMEOUT_SECONDS=25'));
    assert.equal(args.at(-1), placement.image);
  });

  it('breaks when the Deployment changes in a way the test does not reproduce', () => {
    const withHostPath = objects();
    const dep = withHostPath.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            volumes: { name: string; hostPath?: unknown }[];
            containers: { securityContext: { capabilities: { add?: string[] } } }[];
          };
        };
      };
    };
    dep.spec.template.spec.volumes[1] = { name: 'data', hostPath: { path: '/x' } };
    assert.throws(
      () => runSpecFromDeployment(withHostPath, secrets),
      /neither an emptyDir nor a persistentVolumeClaim/,
    );
    const withCap = objects();
    (withCap.find((o) => o.kind === 'Deployment') as unknown as typeof dep).spec.template.spec
      .containers[0]!.securityContext.capabilities.add = ['NET_ADMIN'];
    assert.throws(() => runSpecFromDeployment(withCap, secrets), /capabilities are added back: NET_ADMIN/);
    assert.throws(() => runSpecFromDeployment(objects(), {}), /Secret key preview-worker-redis\/REDIS_URL/);
  });

  it("spells the host's loopback as the container reaches it", () => {
    assert.equal(redisUrlForContainer('redis://127.0.0.1:6379'), 'redis://10.0.2.2:6379');
    assert.equal(redisUrlForContainer('redis://:pw@localhost:7000/2'), 'redis://:pw@10.0.2.2:7000/2');
    assert.equal(redisUrlForContainer('redis://redis.internal:6379'), 'redis://redis.internal:6379');
  });
});

describe("podman's output", () => {
  it('reads image inspect, history and diff', () => {
    const facts = parseImageInspect(
      JSON.stringify([
        {
          Id: 'abc',
          Size: 42,
          Config: {
            User: '10001:10001',
            Labels: { a: 'b' },
            Env: ['X=1=2'],
            ExposedPorts: { '3000/tcp': {} },
          },
        },
      ]),
    );
    assert.deepEqual(
      [facts.user, facts.labels.a, facts.env.X, facts.exposedPorts[0]],
      ['10001:10001', 'b', '1=2', '3000/tcp'],
    );
    const image = parseHistory(
      JSON.stringify([
        { CreatedBy: '/bin/sh -c #(nop) USER 10001:10001', size: 0 },
        { CreatedBy: '/bin/sh -c apt-get install ffmpeg', size: 300 },
        { CreatedBy: '/bin/sh -c #(nop) ADD file:x in /', size: 200 },
      ]),
    );
    const base = parseHistory(
      JSON.stringify([{ CreatedBy: '/bin/sh -c #(nop) ADD file:x in /', size: 200 }]),
    );
    assert.deepEqual(layersAboveBase(image, base), [
      { instruction: 'RUN apt-get install ffmpeg', sizeBytes: 300 },
      { instruction: 'USER 10001:10001', sizeBytes: 0 },
    ]);
    const diff = parseDiff('{"changed":["/etc","/tmp"],"added":["/app/cache","/data/x","/tmpfile"]}');
    assert.equal(diff.length, 5);
    const outside = writesOutside(diff, [{ kind: 'changed', path: '/etc' }], ['/tmp', '/data']);
    assert.deepEqual(outside, [
      { kind: 'added', path: '/app/cache' },
      { kind: 'added', path: '/tmpfile' },
    ]);
    assert.equal(buildStep('[2/2] STEP 7/21: RUN apt-get update'), 'step 7/21: RUN apt-get update');
    assert.equal(buildStep('Getting image source signatures'), undefined);
  });
});

describe('the checks', () => {
  const want = {
    version: '1.2.3',
    revision: 'abc',
    created: '2026-01-01T00:00:00Z',
    user: '10001:10001',
    containerPort: 3000,
    baseImage: 'b',
    livenessPath: '/livez',
  };
  const goodLabels = {
    'org.opencontainers.image.version': '1.2.3',
    'org.opencontainers.image.revision': 'abc',
    'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
    'org.opencontainers.image.title': 'mobius-preview-worker',
    'org.opencontainers.image.base.name': 'b',
    'org.opencontainers.image.source': 's',
    'org.opencontainers.image.licenses': 'MIT',
  };
  const facts = parseImageInspect(
    JSON.stringify({
      Id: 'x',
      Size: 500 * 2 ** 20,
      Config: { User: '10001:10001', Labels: goodLabels, ExposedPorts: { '3000/tcp': {} } },
      Healthcheck: { Test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:3000/livez')"] },
    }),
  );

  it('judge the image: labels, user, port, HEALTHCHECK, size', () => {
    assert.deepEqual(imageProblems(facts, want), []);
    const bad = {
      ...facts,
      user: '0',
      sizeBytes: 700 * 2 ** 20,
      healthcheck: [],
      labels: { ...goodLabels, 'org.opencontainers.image.base.name': '' },
    };
    const problems = imageProblems(bad, want).join('\n');
    assert.match(problems, /base\.name is ""/);
    assert.match(problems, /runs as root/);
    assert.match(problems, /700\.0 MiB \(734 MB\), over the limit of 600 MB/);
    assert.match(problems, /HEALTHCHECK \(none\) does not ask \/livez/);
  });

  it('find dev dependencies by the lock', () => {
    const lock = { packages: { '': {}, 'node_modules/tsx': { dev: true }, 'node_modules/pino': {} } };
    assert.deepEqual(devDependencyProblems(['node_modules/pino'], lock), []);
    assert.match(
      devDependencyProblems(['node_modules/pino', 'node_modules/tsx'], lock)[0]!,
      /1 dev-only .*tsx/,
    );
  });

  it('read /metrics for the contract and build_info', () => {
    const text = (version: string) =>
      [
        ...[
          'preview_worker_jobs_total',
          'preview_worker_job_duration_seconds',
          'preview_worker_queue_jobs',
          'preview_worker_active_jobs',
          'preview_worker_stalled_jobs_total',
        ].flatMap((n) => [`# HELP ${n} h`, `# TYPE ${n} gauge`, `${n} 0`]),
        '# HELP preview_worker_build_info h',
        '# TYPE preview_worker_build_info gauge',
        `preview_worker_build_info{version="${version}",revision="abc"} 1`,
        '# HELP process_cpu_seconds_total h',
        '# TYPE process_cpu_seconds_total counter',
        'process_cpu_seconds_total 1',
        '# HELP nodejs_heap_size_used_bytes h',
        '# TYPE nodejs_heap_size_used_bytes gauge',
        'nodejs_heap_size_used_bytes 1',
        '',
      ].join('\n');
    assert.deepEqual(metricsProblems(text('1.2.3'), want), []);
    assert.match(metricsProblems(text('0.1.0'), want).join('\n'), /build_info says version="0.1.0"/);
    assert.match(metricsProblems('garbage line\n', want)[0]!, /not valid Prometheus text/);
  });

  it('check artifacts against container.json with their own hashes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-artifacts-'));
    try {
      mkdirSync(join(dir, 'frames'));
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
      writeFileSync(join(dir, 'frames', 'step-001.png'), png);
      const sha = createHash('sha256').update(png).digest('hex');
      const manifest = (files: unknown[]) =>
        writeFileSync(join(dir, 'container.json'), JSON.stringify({ files }));
      manifest([{ path: 'frames/step-001.png', bytes: png.length, sha256: sha }]);
      assert.deepEqual(artifactProblems(dir, ['frames/step-001.png']), []);
      assert.match(artifactProblems(dir, ['preview.mp4'])[0]!, /does not list preview.mp4/);
      manifest([{ path: 'frames/step-001.png', bytes: png.length, sha256: 'f'.repeat(64) }]);
      assert.match(artifactProblems(dir, [])[0]!, /container.json says/);
      writeFileSync(join(dir, 'extra.png'), 'not a png');
      assert.match(artifactProblems(dir, []).join('\n'), /extra.png is not listed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
