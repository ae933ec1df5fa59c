/**
 * The Dockerfile and .dockerignore, checked without a Docker engine: the image is not built here.
 * The image itself is built and run by `npm run test:image` (test/image/, needs root and podman).
 * What is checked: every COPY source exists and is in the build context, COPY --from sources are produced
 * by the build stage, the CMD's file is what `npm run build` makes from an existing source file, the user is
 * numeric and non-root, the OCI labels come from build args, and a set of hadolint rules (DL3002, DL3003,
 * DL3007, DL3008 with its documented ignore, DL3009, DL3015, DL3020, DL3025, DL4000, DL4006, DL3059-style
 * update/install in one RUN), parsed from the file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, it } from 'node:test';
import { loadEnvironment } from '../../src/deploy/manifests/environment.js';
import { buildManifests } from '../../src/deploy/manifests/index.js';

const root = join(import.meta.dirname, '..', '..');
const dockerfileText = readFileSync(join(root, 'Dockerfile'), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
  line: number;
  stage: number;
  /** Comments directly above (for `# hadolint ignore=...`). */
  comments: string[];
}

interface Stage {
  index: number;
  name?: string;
  base: string;
  instructions: Instruction[];
}

/** A small Dockerfile parser: continuation lines, comments, stages, global ARG defaults. */
function parseDockerfile(text: string): {
  globalArgs: Record<string, string>;
  stages: Stage[];
  all: Instruction[];
} {
  const lines = text.split('\n');
  const all: Instruction[] = [];
  let comments: string[] = [];
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '') {
      comments = [];
      continue;
    }
    if (trimmed.startsWith('#')) {
      comments.push(trimmed);
      continue;
    }
    const start = i;
    let joined = trimmed;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue;
      joined = `${joined.slice(0, -1).trimEnd()} ${next}`;
    }
    const m = /^(\w+)\s*(.*)$/.exec(joined)!;
    const keyword = m[1]!.toUpperCase();
    if (keyword === 'FROM') stage++;
    all.push({ keyword, args: m[2]!, line: start + 1, stage, comments });
    comments = [];
  }
  const globalArgs: Record<string, string> = {};
  for (const ins of all.filter((x) => x.stage === -1 && x.keyword === 'ARG')) {
    const [k, v] = ins.args.split('=');
    globalArgs[k!] = v ?? '';
  }
  const stages: Stage[] = [];
  for (const from of all.filter((x) => x.keyword === 'FROM')) {
    const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(from.args)!;
    const base = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globalArgs[a ?? b] ?? '');
    stages.push({
      index: from.stage,
      name: m[2],
      base,
      instructions: all.filter((x) => x.stage === from.stage),
    });
  }
  return { globalArgs, stages, all };
}

/** Exec-form JSON array, or undefined for shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

/** COPY/ADD arguments without flags: sources and destination. */
function copyParts(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = words.shift()!.slice(2).split('=');
    flags[k!] = v ?? '';
  }
  const dest = words.pop()!;
  return { flags, sources: words, dest };
}

/** Whether a path is sent to the build context under .dockerignore (last matching rule wins). */
function inBuildContext(path: string, ignoreText: string): boolean {
  const rules = ignoreText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => ({ negate: l.startsWith('!'), pattern: l.replace(/^!/, '').replace(/\/$/, '') }));
  const toRegex = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*')}(/.*)?$`,
    );
  let included = true;
  for (const rule of rules) {
    if (toRegex(rule.pattern).test(path) || toRegex(rule.pattern.replace(/^\*\*\//, '')).test(path)) {
      included = rule.negate;
    }
  }
  return included;
}

const parsed = parseDockerfile(dockerfileText);
const build = parsed.stages.find((s) => s.name === 'build');
const runtime = parsed.stages[parsed.stages.length - 1]!;
const runs = (s: Stage) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const last = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).pop();

describe('Dockerfile', () => {
  it('is multi-stage on a slim Node.js base pinned by tag', () => {
    assert.ok(build, 'a stage named "build"');
    assert.ok(parsed.stages.length >= 2);
    for (const s of parsed.stages) {
      assert.match(s.base, /^node:(20|22)(\.\d+){0,2}-bookworm-slim$/, `stage ${s.name}: ${s.base}`);
      assert.ok(!s.base.endsWith(':latest'), 'DL3007: no latest tag');
    }
  });

  it('builds with npm ci + npm run build, and installs only production dependencies at runtime', () => {
    assert.ok(
      runs(build!).some((r) => /^npm ci\b/.test(r)),
      'build stage: npm ci',
    );
    assert.ok(
      runs(build!).some((r) => /^npm run build\b/.test(r)),
      'build stage: npm run build',
    );
    const install = runs(runtime).find((r) => /\bnpm ci\b/.test(r));
    assert.ok(install && /--omit=dev\b/.test(install), 'runtime: npm ci --omit=dev');
    assert.ok(!runs(runtime).some((r) => /\bnpm (install|i)\b/.test(r)), 'npm ci, never npm install');
  });

  it('installs ffmpeg without recommended packages and cleans the apt lists in the same layer', () => {
    const apt = runs(runtime).find((r) => /apt-get install/.test(r));
    assert.ok(apt, 'an apt-get install in the runtime stage');
    assert.match(apt, /\bffmpeg\b/);
    assert.match(apt, /--no-install-recommends/, 'DL3015');
    assert.match(apt, /apt-get install -y\b/, 'DL3014: -y');
    assert.match(apt, /apt-get update/, 'update and install in one RUN');
    assert.match(apt, /rm -rf \/var\/lib\/apt\/lists\/\*/, 'DL3009');
    const ins = runtime.instructions.find((i) => i.args === apt)!;
    assert.ok(
      ins.comments.some((c) => /hadolint ignore=DL3008/.test(c)),
      'unpinned apt packages are a documented exception',
    );
  });

  it('every COPY source exists and is in the build context; COPY --from sources come from the build', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
    const buildTsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    const buildOutputs = new Set([posix.join('/app', buildTsconfig.compilerOptions.outDir)]);
    for (const s of parsed.stages) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        assert.equal(ins.keyword, 'COPY', `line ${ins.line}: DL3020, COPY rather than ADD`);
        const { flags, sources } = copyParts(ins.args);
        for (const src of sources) {
          if (flags.from) {
            assert.equal(flags.from, 'build', `line ${ins.line}`);
            assert.ok(buildOutputs.has(src), `line ${ins.line}: ${src} is produced by npm run build in /app`);
          } else {
            assert.ok(existsSync(join(root, src)), `line ${ins.line}: ${src} exists in the repository`);
            assert.ok(
              inBuildContext(src, ignore),
              `line ${ins.line}: ${src} is not excluded by .dockerignore`,
            );
          }
        }
      }
    }
    assert.ok(statSync(join(root, 'assets', 'fonts')).isDirectory());
    assert.ok(
      runtime.instructions.some(
        (i) => i.keyword === 'COPY' && /^assets\/fonts\b/.test(copyParts(i.args).sources[0]!),
      ),
      'the bundled fonts are copied into the runtime image',
    );
  });

  it('.dockerignore keeps secrets, git history, local data and build output out of the context', () => {
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8');
    for (const path of [
      '.git',
      'node_modules',
      'dist',
      'data',
      '.mobius',
      '.env',
      'test',
      'k8s',
      'coverage',
    ]) {
      assert.ok(!inBuildContext(path, ignore), `${path} is excluded`);
    }
    assert.ok(!inBuildContext('src/node_modules/x.js', ignore));
    assert.ok(inBuildContext('src/worker/main.ts', ignore));
  });

  it('starts the compiled worker entry that npm run build produces', () => {
    const cmd = execForm(last(runtime, 'CMD')!.args);
    assert.ok(cmd, 'DL3025: CMD in exec form');
    assert.deepEqual(cmd, ['node', 'dist/worker/main.js']);
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
      include: string[];
    };
    const compiled = cmd[1]!
      .replace(/^dist\//, `${tsconfig.compilerOptions.rootDir}/`)
      .replace(/\.js$/, '.ts');
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    assert.ok(existsSync(join(root, compiled)), `${compiled} exists, so ${cmd[1]} is built`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.match(pkg.scripts.build!, /tsc -p tsconfig\.build\.json/);
    assert.equal(last(runtime, 'WORKDIR')!.args, '/app');
  });

  it('runs as the numeric non-root user 10001:10001, the same as the pod securityContext', () => {
    const user = last(runtime, 'USER')!;
    assert.equal(user.args, '10001:10001');
    assert.ok(
      runtime.instructions.indexOf(user) > runtime.instructions.findIndex((i) => i.keyword === 'RUN'),
      'DL3002: the last USER is not root and comes after the RUNs that need root',
    );
    assert.ok(
      runs(runtime).some((r) => /useradd .*--uid 10001\b/.test(r) && /groupadd .*--gid 10001\b/.test(r)),
      'a passwd entry for uid 10001',
    );
    const deployment = buildManifests(loadEnvironment('production')).find(
      (o) => o.kind === 'Deployment',
    ) as unknown as {
      spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } };
    };
    const sc = deployment.spec.template.spec.securityContext;
    assert.equal(`${sc.runAsUser}:${sc.runAsGroup}`, user.args);
  });

  it('works with a read-only root filesystem: HOME, TMPDIR and caches under /tmp, data under /data', () => {
    const env = Object.fromEntries(
      runtime.instructions
        .filter((i) => i.keyword === 'ENV')
        .flatMap((i) =>
          [...i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/"/g, '')]),
        ),
    );
    assert.equal(env.HOME, '/tmp');
    assert.equal(env.TMPDIR, '/tmp');
    assert.match(env.NPM_CONFIG_CACHE!, /^\/tmp\//);
    assert.equal(env.DATA_DIR, '/data');
    assert.equal(env.NODE_ENV, 'production');
    assert.equal(env.PORT, '3000');
    // The Deployment mounts exactly these two writable paths.
    const deployment = buildManifests(loadEnvironment('production')).find(
      (o) => o.kind === 'Deployment',
    ) as unknown as {
      spec: { template: { spec: { containers: { volumeMounts: { mountPath: string }[] }[] } } };
    };
    assert.deepEqual(
      deployment.spec.template.spec.containers[0]!.volumeMounts.map((m) => m.mountPath).sort(),
      ['/data', env.HOME].sort(),
    );
  });

  it('carries the OCI labels from build args, and exposes port 3000', () => {
    const labels = runtime.instructions
      .filter((i) => i.keyword === 'LABEL')
      .flatMap((i) => [...i.args.matchAll(/([\w.-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const));
    const byKey = Object.fromEntries(labels);
    const argRef = (name: string) => ['$', '{', name, '}'].join('');
    assert.equal(byKey['org.opencontainers.image.revision'], argRef('REVISION'));
    assert.equal(byKey['org.opencontainers.image.version'], argRef('VERSION'));
    assert.equal(byKey['org.opencontainers.image.created'], argRef('CREATED'));
    assert.equal(byKey['org.opencontainers.image.source'], argRef('SOURCE'));
    assert.ok(byKey['org.opencontainers.image.title'] && byKey['org.opencontainers.image.licenses']);
    const args = runtime.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=')[0]);
    for (const a of ['VERSION', 'REVISION', 'CREATED', 'SOURCE']) assert.ok(args.includes(a), `ARG ${a}`);
    // A global ARG (before the first FROM) is empty inside a stage unless the stage declares it again:
    // org.opencontainers.image.base.name was once empty that way.
    for (const s of parsed.stages) {
      const declared = new Set(
        s.instructions
          .filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')
          .flatMap((i) => [...i.args.matchAll(/(\w+)(?==|\s|$)/g)].map((m) => m[1]!)),
      );
      for (const ins of s.instructions.filter((i) => i.keyword !== 'FROM' && i.keyword !== 'RUN')) {
        for (const m of ins.args.matchAll(/\$\{(\w+)\}/g)) {
          assert.ok(declared.has(m[1]!), `line ${ins.line}: \${${m[1]}} is not declared in stage ${s.name}`);
        }
      }
    }
    assert.equal(last(runtime, 'EXPOSE')!.args, '3000');
  });

  it('passes the parsed hadolint rules', () => {
    assert.deepEqual(lintDockerfile(dockerfileText), []);
  });

  it('the lint rules catch a bad Dockerfile (so a pass means something)', () => {
    const bad = [
      'FROM node:latest',
      'MAINTAINER someone',
      'WORKDIR app',
      'RUN cd /app && curl -fsSL https://example.invalid/x | sh',
      'RUN apt-get update',
      'RUN apt-get install ffmpeg',
      'ADD . /app',
      'USER root',
      'CMD node dist/worker/main.js',
    ].join('\n');
    const codes = new Set(lintDockerfile(bad).map((v) => v.split(':')[0]));
    for (const code of [
      'DL3007',
      'DL4000',
      'DL3000',
      'DL3003',
      'DL4006',
      'DL3009',
      'DL3015',
      'DL3014',
      'DL3020',
      'DL3002',
      'DL3025',
    ]) {
      assert.ok(codes.has(code), `${code} reported`);
    }
  });
});

/** hadolint rules that can be checked by parsing; returns "CODE: line N: message" for each violation. */
function lintDockerfile(text: string): string[] {
  const { stages, all } = parseDockerfile(text);
  const out: string[] = [];
  const report = (code: string, ins: Instruction, message: string) => {
    if (ins.comments.some((c) => new RegExp(`hadolint ignore=.*\\b${code}\\b`).test(c))) return;
    out.push(`${code}: line ${ins.line}: ${message}`);
  };
  for (const s of stages) {
    const from = s.instructions[0]!;
    if (!/:[^:]+$/.test(s.base) || s.base.endsWith(':latest')) report('DL3007', from, `pin ${s.base} by tag`);
  }
  for (const ins of all) {
    if (ins.keyword === 'MAINTAINER') report('DL4000', ins, 'MAINTAINER is deprecated');
    if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/'))
      report('DL3000', ins, 'use an absolute WORKDIR');
    if (ins.keyword === 'ADD') report('DL3020', ins, 'use COPY for files and folders');
    if (ins.keyword === 'RUN') {
      const r = ins.args;
      if (/(^|&&|;)\s*cd\s/.test(r)) report('DL3003', ins, 'use WORKDIR to switch directory');
      if (/\bsudo\b/.test(r)) report('DL3004', ins, 'do not use sudo');
      if (/[^|]\|[^|]/.test(r) && !/set -o pipefail/.test(r))
        report('DL4006', ins, 'set -o pipefail before a pipe');
      if (/apt-get (upgrade|dist-upgrade)/.test(r)) report('DL3005', ins, 'do not upgrade packages');
      if (/apt-get update/.test(r) && !/apt-get install/.test(r))
        report('DL3009', ins, 'update and install in one RUN');
      if (/apt-get install/.test(r)) {
        if (!/apt-get install (-y|--yes)\b/.test(r)) report('DL3014', ins, 'use apt-get install -y');
        if (!/--no-install-recommends/.test(r)) report('DL3015', ins, 'use --no-install-recommends');
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(r)) report('DL3009', ins, 'delete the apt lists');
        const unpinned = r
          .split(/apt-get install/)[1]!
          .split('&&')[0]!
          .split(/\s+/)
          .filter((w) => w && !w.startsWith('-') && !w.includes('='));
        if (unpinned.length) report('DL3008', ins, `pin versions of ${unpinned.join(', ')}`);
      }
    }
  }
  const lastStage = stages[stages.length - 1];
  if (lastStage) {
    const user = lastStage.instructions.filter((i) => i.keyword === 'USER').pop();
    if (!user || /^(root|0)(:|$)/.test(user.args))
      report('DL3002', user ?? lastStage.instructions[0]!, 'last USER must not be root');
    const cmds = lastStage.instructions.filter((i) => i.keyword === 'CMD');
    if (cmds.length !== 1) report('DL4003', lastStage.instructions[0]!, 'exactly one CMD');
    for (const c of cmds) if (!execForm(c.args)) report('DL3025', c, 'use the JSON (exec) form for CMD');
  }
  return out;
}

describe('the runtime image has what the worker imports', () => {
  /** Bare package imports of the worker entry and everything it imports, relative imports followed. */
  function workerPackageImports(entry: string): Set<string> {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [entry];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        if (/^import type\b/.test(m[0].trim())) continue;
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec.replace(/\.js$/, '.ts'));
          if (existsSync(target)) queue.push(target);
        } else if (!spec.startsWith('node:')) {
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
    return packages;
  }

  it('every package the worker imports is a production dependency (npm ci --omit=dev installs it)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = workerPackageImports(join(root, 'src', 'worker', 'main.ts'));
    assert.ok(imported.size >= 3, `found the worker's imports: ${[...imported].join(', ')}`);
    const missing = [...imported].filter((p) => !(p in pkg.dependencies));
    assert.deepEqual(
      missing,
      [],
      'imported by the worker but not in dependencies (the image omits devDependencies)',
    );
  });

  it('the runtime stage takes out only toolkit dependencies, none of which the worker imports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const uninstall = runs(runtime).find((r) => /\bnpm uninstall\b/.test(r));
    assert.ok(uninstall, 'an npm uninstall after npm ci in the runtime stage');
    assert.match(uninstall, /npm uninstall --no-save\b/, 'package.json and the lock stay as they are');
    const removed = uninstall
      .split(/npm uninstall/)[1]!
      .split('&&')[0]!
      .split(/\s+/)
      .filter((w) => w && !w.startsWith('-'));
    assert.ok(removed.includes('@kubernetes/client-node'));
    const imported = workerPackageImports(join(root, 'src', 'worker', 'main.ts'));
    for (const name of removed) {
      assert.ok(name in pkg.dependencies, `${name} is a production dependency`);
      assert.ok(!imported.has(name), `the worker imports ${name}, which the image uninstalls`);
    }
  });

  it('no production dependency needs its install script (the image installs with --ignore-scripts)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; hasInstallScript?: boolean }>;
    };
    const needed = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.hasInstallScript && !p.dev && !p.optional)
      .map(([path]) => path);
    assert.deepEqual(needed, [], 'production packages with install scripts that are not optional');
  });
});
