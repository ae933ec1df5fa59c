/**
 * Finds every tool of the manifest (override variable, PATH, earlier fetch), fetches what is
 * missing, and links the chosen programs into .tools/bin, the directory the tests put first on PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { executablesOnPath, isExecutableFile } from '../../src/worker/find-on-path.js';
import { runUnderLock } from '../support/build-lock.js';
import { cannotFetch, FetchError, fetchDebianPackage, readFetched, wrapperPath } from './debian.js';
import { DEBIAN_SKIP, TOOLS, type ToolSpec } from './manifest.js';
import { satisfies } from './version.js';

export type ToolSource = 'override' | 'PATH' | 'fetched';

export interface FoundTool {
  name: string;
  path: string;
  version: string;
  source: ToolSource;
  /** for a fetched tool, the Debian package and version it came from */
  from?: string;
}

export interface MissingTool {
  spec: ToolSpec;
  /** what was tried and why each candidate did not do */
  reasons: string[];
}

export interface Provision {
  toolsDir: string;
  binDir: string;
  found: FoundTool[];
  missing: MissingTool[];
}

export interface ProvisionOptions {
  toolsDir: string;
  env?: NodeJS.ProcessEnv;
  /** fetch what is missing (default true); false only reports */
  fetch?: boolean;
  log?: (line: string) => void;
  /** only these tools of the manifest (default all), e.g. ['redis-server'] for a private Redis */
  only?: readonly string[];
}

/** Runs the program for its version; the version string, or why it would not do. */
export function probe(
  spec: ToolSpec,
  path: string,
  env: NodeJS.ProcessEnv,
): { version?: string; problem?: string } {
  const r = spawnSync(path, spec.versionArgs, { encoding: 'utf8', timeout: 30_000, env });
  if (r.error)
    return {
      problem: `${path} does not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`,
    };
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = spec.versionPattern.exec(output);
  if (r.status !== 0 || !m?.[1]) {
    const first = output.trim().split('\n')[0] ?? '';
    return {
      problem: `${path} ${spec.versionArgs.join(' ')} exited ${r.status ?? r.signal}${first ? `: ${first}` : ''}`,
    };
  }
  if (!satisfies(m[1], spec.version))
    return { problem: `${path} is version ${m[1]}, outside ${spec.version}` };
  return { version: m[1] };
}

/** The copy fetched into .tools/ earlier: the tool, why it will not do, or undefined when there is none. */
function fetchedCopy(
  spec: ToolSpec,
  toolsDir: string,
  env: NodeJS.ProcessEnv,
): FoundTool | string | undefined {
  const fetched = readFetched(toolsDir, spec.debian.package);
  const path = wrapperPath(toolsDir, spec.debian.package, spec.name);
  if (!fetched || !isExecutableFile(path)) return undefined;
  const p = probe(spec, path, env);
  if (!p.version) return p.problem;
  return {
    name: spec.name,
    path,
    version: p.version,
    source: 'fetched',
    from: `Debian ${fetched.package} ${fetched.version}`,
  };
}

function findExisting(spec: ToolSpec, toolsDir: string, env: NodeJS.ProcessEnv): FoundTool | MissingTool {
  const explicit = env[spec.override]?.trim();
  if (explicit) {
    const p = probe(spec, explicit, env);
    if (p.version) return { name: spec.name, path: explicit, version: p.version, source: 'override' };
    // an explicit choice is never replaced by another program behind the user's back
    return { spec, reasons: [`${spec.override}=${explicit}: ${p.problem}`] };
  }
  // every candidate on PATH (not only the first: an old one may stand before a good one), leaving
  // out .tools/bin, whose links this run rewrites
  const binDir = resolve(toolsDir, 'bin');
  const candidates = [
    ...[spec.name, ...(spec.aliases ?? [])].flatMap((name) => executablesOnPath(name, env.PATH)),
    ...(spec.extraPaths ?? []).filter(isExecutableFile),
  ].filter((path) => resolve(dirname(path)) !== binDir);
  const reasons: string[] = candidates.length === 0 ? [`no ${spec.name} on PATH`] : [];
  for (const path of candidates) {
    const p = probe(spec, path, env);
    if (p.version) return { name: spec.name, path, version: p.version, source: 'PATH' };
    reasons.push(p.problem!);
  }
  const copy = fetchedCopy(spec, toolsDir, env);
  if (typeof copy === 'object') return copy;
  if (copy) reasons.push(`the copy fetched earlier: ${copy}`);
  return { spec, reasons };
}

function isFound(r: FoundTool | MissingTool): r is FoundTool {
  return 'path' in r;
}

/** Points .tools/bin/<name> at each chosen program (each link replaced atomically). */
function linkBin(binDir: string, found: FoundTool[], missing: MissingTool[]): void {
  mkdirSync(binDir, { recursive: true });
  const known = new Set(TOOLS.map((t) => t.name));
  const gone = new Set(missing.map((m) => m.spec.name));
  for (const entry of readdirSync(binDir)) {
    // a link for a tool no longer in the manifest, or one that no longer resolves, must not be found
    if (!entry.startsWith('.') && (!known.has(entry) || gone.has(entry)))
      rmSync(join(binDir, entry), { force: true });
  }
  for (const f of found) {
    const tmp = join(binDir, `.${f.name}.${process.pid}`);
    rmSync(tmp, { force: true });
    symlinkSync(resolve(f.path), tmp);
    renameSync(tmp, join(binDir, f.name));
  }
}

export function provisionTools(opts: ProvisionOptions): Provision {
  const env = opts.env ?? process.env;
  const toolsDir = resolve(opts.toolsDir);
  const log = opts.log ?? (() => undefined);
  const results = new Map<string, FoundTool | MissingTool>();
  const specs = opts.only ? TOOLS.filter((t) => opts.only?.includes(t.name)) : TOOLS;
  for (const spec of specs) results.set(spec.name, findExisting(spec, toolsDir, env));

  if (opts.fetch !== false) {
    // one fetch per Debian package (ffmpeg brings ffmpeg and ffprobe, prometheus brings promtool too)
    const byPackage = new Map<string, ToolSpec[]>();
    for (const spec of specs) {
      const r = results.get(spec.name)!;
      if (isFound(r) || env[spec.override]?.trim()) continue;
      byPackage.set(spec.debian.package, [...(byPackage.get(spec.debian.package) ?? []), spec]);
    }
    const impossible = byPackage.size > 0 ? cannotFetch(env) : undefined;
    for (const [pkg, wanted] of byPackage) {
      if (impossible) {
        for (const spec of wanted)
          (results.get(spec.name) as MissingTool).reasons.push(`cannot fetch: ${impossible}`);
        continue;
      }
      // every program of the package that the manifest names, so a later need is already there
      const programs = Object.fromEntries(
        TOOLS.filter((t) => t.debian.package === pkg).map((t) => [t.name, t.debian.path]),
      );
      try {
        // one fetch at a time per .tools/ (two npm test runs in one checkout): the one that waited
        // finds the other's fetch done and uses it
        mkdirSync(toolsDir, { recursive: true });
        runUnderLock(
          join(toolsDir, '.fetch.lock'),
          () => wanted.every((spec) => typeof fetchedCopy(spec, toolsDir, env) === 'object'),
          () => {
            const started = Date.now();
            const skip = DEBIAN_SKIP[pkg] ?? [];
            const record = fetchDebianPackage(toolsDir, { package: pkg, programs, skip }, env, log);
            log(
              `unpacked Debian ${pkg} ${record.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
            );
          },
          15 * 60_000,
        );
        for (const spec of wanted) {
          const copy = fetchedCopy(spec, toolsDir, env);
          if (typeof copy === 'object') results.set(spec.name, copy);
          else
            (results.get(spec.name) as MissingTool).reasons.push(
              `fetched Debian ${pkg}, but ${copy ?? 'it is not there'}`,
            );
        }
      } catch (err) {
        const message = err instanceof FetchError ? err.message : String(err);
        for (const spec of wanted) (results.get(spec.name) as MissingTool).reasons.push(message);
      }
    }
  }

  const found = [...results.values()].filter(isFound);
  const missing = [...results.values()].filter((r): r is MissingTool => !isFound(r));
  const binDir = join(toolsDir, 'bin');
  linkBin(binDir, found, missing);
  return { toolsDir, binDir, found, missing };
}

/** The environment the tests run in: .tools/bin first on PATH. */
export function envWithTools(binDir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [binDir, env.PATH ?? ''].filter(Boolean).join(delimiter) };
}
