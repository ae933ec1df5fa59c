/**
 * npm run test:image: builds the container image from the real Dockerfile with podman and runs it
 * the way the production Deployment runs it (docs: README.md, "Testing the container image").
 *
 *   1. the machine: root, Linux, podman, runc, slirp4netns, debootstrap (installed with apt-get on
 *      Debian; elsewhere it stops with exit 2 naming what is missing);
 *   2. the local base image for the Dockerfile's NODE_IMAGE (base-image.ts), built once and cached;
 *   3. `podman build` of the Dockerfile with VERSION, REVISION and CREATED (build.ts);
 *   4. the image: labels, user, port, size and its layers, no dev dependency, canvas loads (inspect.ts);
 *   5. the container as `render --env production` runs it, with Redis on the host (scenario.ts).
 *
 * Exit codes (DESIGN.md): 0 every check held; 1 a check failed or the image did not build;
 * 2 the machine cannot run the test (not root, not Linux, programs missing and not installable,
 * no Redis) or a usage error.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironment } from '../../src/deploy/manifests/environment.js';
import { renderManifests } from '../../src/deploy/manifests/render.js';
import { REPO_ROOT } from '../support/cli.js';
import { freePort, type PrivateRedis, redisAnswers, startPrivateRedis } from '../support/redis-server.js';
import { TOOLS_DIR } from '../toolchain/paths.js';
import { missingMessage } from '../toolchain/report.js';
import { envWithTools, provisionTools } from '../toolchain/resolve.js';
import { BaseImageError, ensureBaseImage } from './base-image.js';
import { buildImage, caDirFrom, gitFacts } from './build.js';
import { ensureHost, HostError } from './host.js';
import { inspectImage } from './inspect.js';
import { createProgress } from './progress.js';
import { dockerfileNodeImage } from './recipe.js';
import { redisUrlForContainer, runSpecFromDeployment } from './run-spec.js';
import { runScenario } from './scenario.js';

const USAGE = `Usage: npm run test:image [-- --env <name>]

Builds the worker image from the Dockerfile with podman (on a local stand-in for its Node.js base
image) and runs it the way the rendered Deployment of the environment runs it (default: production),
with Redis on this machine. Needs Linux and root; on Debian it installs podman, runc, slirp4netns and
debootstrap with apt-get. Caches in $MOBIUS_TOOLS_DIR or .tools/ (image/) and podman's image store.

Options:
  --env <name>   the deploy/environments/<name>.yaml whose Deployment is reproduced (production)
  -h, --help

Environment: MOBIUS_TOOLS_DIR, MOBIUS_DEBIAN_MIRROR (http://deb.debian.org/debian),
TEST_REDIS_URL or REDIS_URL (else 127.0.0.1:6379, else a private redis-server).
Exit codes: 0 passed; 1 a check failed; 2 this machine cannot run it.`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { env: string } | 'help' {
  let env = 'production';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--env' && argv[i + 1]) env = argv[++i]!;
    else throw new UsageError(`unknown option ${a}`);
  }
  return { env };
}

/** The Redis the container reaches on the host: as npm test chooses it (test/runner.ts). */
async function chooseRedis(): Promise<{ url: string; server?: PrivateRedis }> {
  const configured = process.env.TEST_REDIS_URL?.trim() || process.env.REDIS_URL?.trim();
  if (configured) {
    if (!(await redisAnswers(configured)))
      throw new HostError(`no Redis answers at TEST_REDIS_URL/REDIS_URL`);
    return { url: configured };
  }
  if (await redisAnswers('redis://127.0.0.1:6379')) return { url: 'redis://127.0.0.1:6379' };
  // The redis-server npm test uses: from PATH, else fetched into the tools directory (toolchain).
  const tools = provisionTools({ toolsDir: TOOLS_DIR, only: ['redis-server'] });
  if (tools.missing.length > 0)
    throw new HostError(
      `no Redis answers on 127.0.0.1:6379 and no redis-server can be found or fetched:\n${missingMessage(tools.missing, 'npm run test:image', { env: process.env })}`,
    );
  process.env.PATH = envWithTools(tools.binDir).PATH;
  try {
    const server = await startPrivateRedis({ appendOnly: false });
    return { url: server.url, server };
  } catch (err) {
    throw new HostError(
      `no Redis answers on 127.0.0.1:6379 and no private redis-server could start: ${(err as Error).message}`,
    );
  }
}

export async function main(argv: string[]): Promise<number> {
  const progress = createProgress();
  let redis: PrivateRedis | undefined;
  let dataDir: string | undefined;
  const artifacts = join(REPO_ROOT, 'test', '.artifacts', 'image');
  try {
    const args = parseArgs(argv);
    if (args === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    progress.step('machine: root, podman, runc, slirp4netns, debootstrap');
    await ensureHost(progress);
    progress.pass('ready');
    mkdirSync(artifacts, { recursive: true });
    const cacheDir = join(TOOLS_DIR, 'image');
    mkdirSync(cacheDir, { recursive: true });

    progress.step('base image: a local stand-in for the Dockerfile NODE_IMAGE');
    const nodeImage = dockerfileNodeImage(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    const mirror = process.env.MOBIUS_DEBIAN_MIRROR?.trim() || 'http://deb.debian.org/debian';
    const baseStarted = Date.now();
    const base = await ensureBaseImage({
      nodeImage,
      cacheDir,
      mirror,
      securityMirror: mirror.replace(/\/debian\/?$/, '/debian-security'),
      progress,
    });
    progress.pass(
      `${base.name} (node ${base.recipe.nodeVersion}, npm ${base.recipe.npmVersion}, Debian ${base.recipe.suite}) for ${nodeImage}: ${base.source}, ${((Date.now() - baseStarted) / 1000).toFixed(1)} s`,
    );

    progress.step('podman build of the Dockerfile');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const git = gitFacts(REPO_ROOT);
    // a version of its own, so the check sees the build arg reach the worker (not package.json's)
    const version = `${pkg.version}-image.${git.revision.slice(0, 7)}`;
    const tag = `localhost/mobius-preview-worker:${version}`;
    const buildStarted = Date.now();
    const buildLog = join(artifacts, 'build.log');
    writeFileSync(buildLog, '');
    const cachedSteps = await buildImage(
      {
        context: REPO_ROOT,
        tag,
        version,
        revision: git.revision,
        created: git.created,
        nodeImage: base.name,
        caDir: caDirFrom(process.env, cacheDir),
      },
      buildLog,
      progress,
    );
    progress.pass(
      `built ${tag} in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s (${cachedSteps} steps from podman's layer cache; log ${buildLog})`,
    );

    progress.step('the image');
    const environment = loadEnvironment(args.env);
    const token = randomBytes(16).toString('hex');
    const chosen = await chooseRedis();
    redis = chosen.server;
    const rendered = renderManifests({ environment: args.env, image: tag });
    const spec = runSpecFromDeployment(rendered.objects, {
      [`${environment.redis.secretName}/${environment.redis.secretKey}`]: redisUrlForContainer(chosen.url),
      [`${environment.apiToken.secretName}/${environment.apiToken.secretKey}`]: token,
    });
    inspectImage(
      REPO_ROOT,
      tag,
      base.name,
      {
        version,
        revision: git.revision,
        created: git.created,
        user: spec.user,
        containerPort: spec.containerPort,
        baseImage: base.name,
        livenessPath: spec.probes.liveness.path,
      },
      progress,
    );

    progress.step(
      `the container, as the ${args.env} Deployment runs it (Redis: ${chosen.server ? 'a private redis-server' : chosen.url})`,
    );
    dataDir = mkdtempSync(join(tmpdir(), 'mobius-image-data-'));
    // the claim's volume as Kubernetes hands it over with fsGroup: group-owned and group-writable
    if (spec.fsGroup !== undefined) chownSync(dataDir, 0, spec.fsGroup);
    chmodSync(dataDir, 0o2775);
    const claimDirs = Object.fromEntries(spec.volumes.map((v) => [v.claim, dataDir!]));
    await runScenario({
      root: REPO_ROOT,
      spec,
      placement: {
        name: `mobius-image-test-${process.pid}`,
        image: tag,
        claimDirs,
        hostPort: await freePort(),
        extraEnv: { PREVIEW_REDIS_PREFIX: `mobius-image-test-${randomBytes(4).toString('hex')}` },
      },
      hostRedisUrl: chosen.url,
      dataDir,
      build: { version, revision: git.revision },
      progress,
      saveLog: (text) => writeFileSync(join(artifacts, 'worker.log'), `${text}\n`),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`npm run test:image: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    // the machine cannot run the test (not root, programs, Redis, the registry or the mirror): exit 2
    if (err instanceof HostError || err instanceof BaseImageError) {
      progress.fail(err.message);
      process.stderr.write(
        '\ntest:image: this machine cannot run the image test; nothing further was checked.\n',
      );
      return 2;
    }
    // a build that fails, a Deployment the test cannot reproduce, a container that does not start: exit 1
    progress.fail(err instanceof Error ? err.message : String(err));
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await redis?.destroy();
  }
  const failures = progress.failures();
  if (failures.length === 0) {
    process.stderr.write('\ntest:image: every check held.\n');
    return 0;
  }
  process.stderr.write(
    `\ntest:image: ${failures.length} check(s) failed:\n${failures.map((f) => `  - ${f.split('\n')[0]}`).join('\n')}\nLogs: ${artifacts}\n`,
  );
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
