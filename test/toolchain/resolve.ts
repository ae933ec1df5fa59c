/**
 * Finds every tool of the manifest (override variable, PATH, earlier fetch), fetches what is
 * missing, and links the chosen programs into .tools/bin, the directory the tests put first on PATH.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { runUnderLock } from '../support/build-lock.js';
import { cannotFetch, FetchError, fetchDebianPackage, readFetched, wrapperPath } from './debian.js';
import { TOOLS, type ToolSpec } from './manifest.js';
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
  /** only these tools (default: the whole manifest) */
  only?: string[];
  log?: (line: string) => void;
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

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every executable of these names on PATH (not only the first), leaving out our own bin directory. */
function onPath(names: string[], pathEnv: string | undefined, exclude: string): string[] {
  const out: string[] = [];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir || resolve(dir) === exclude) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate) && !out.includes(candidate)) out.push(candidate);
    }
  }
  return out;
}

function findExisting(spec: ToolSpec, toolsDir: string, env: NodeJS.ProcessEnv): FoundTool | MissingTool {
  const reasons: string[] = [];
  const explicit = env[spec.override]?.trim();
  if (explicit) {
    const p = probe(spec, explicit, env);
    if (p.version) return { name: spec.name, path: explicit, version: p.version, source: 'override' };
    // an explicit choice is never replaced by another program behind the user's back
    return { spec, reasons: [`${spec.override}=${explicit}: ${p.problem}`] };
  }
  const binDir = resolve(toolsDir, 'bin');
  const candidates = [
    ...onPath([spec.name, ...(spec.aliases ?? [])], env.PATH, binDir),
    ...(spec.extraPaths ?? []),
  ];
  for (const path of candidates) {
    if (!isExecutable(path)) continue;
    const p = probe(spec, path, env);
    if (p.version) return { name: spec.name, path, version: p.version, source: 'PATH' };
    reasons.push(p.problem!);
  }
  if (candidates.filter(isExecutable).length === 0) reasons.push(`no ${spec.name} on PATH`);
  const fetched = readFetched(toolsDir, spec.debian.package);
  if (fetched) {
    const path = wrapperPath(toolsDir, spec.debian.package, spec.name);
    if (isExecutable(path)) {
      const p = probe(spec, path, env);
      if (p.version) {
        return {
          name: spec.name,
          path,
          version: p.version,
          source: 'fetched',
          from: `Debian ${fetched.package} ${fetched.version}`,
        };
      }
      reasons.push(`the copy fetched earlier: ${p.problem}`);
    }
  }
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
  const specs = opts.only ? TOOLS.filter((t) => opts.only!.includes(t.name)) : [...TOOLS];
  const results = new Map<string, FoundTool | MissingTool>();
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
      const skip = [
        ...new Set(TOOLS.filter((t) => t.debian.package === pkg).flatMap((t) => t.debian.skip ?? [])),
      ];
      try {
        // one fetch at a time per .tools/ (two npm test runs in one checkout): the one that waited
        // finds the other's fetch done and uses it
        mkdirSync(toolsDir, { recursive: true });
        runUnderLock(
          join(toolsDir, '.fetch.lock'),
          () => wanted.every((spec) => probe(spec, wrapperPath(toolsDir, pkg, spec.name), env).version),
          () => {
            const started = Date.now();
            const record = fetchDebianPackage(toolsDir, { package: pkg, programs, skip }, env, log);
            log(
              `unpacked Debian ${pkg} ${record.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
            );
          },
          15 * 60_000,
        );
        const record = readFetched(toolsDir, pkg);
        for (const spec of wanted) {
          const path = wrapperPath(toolsDir, pkg, spec.name);
          const p = probe(spec, path, env);
          if (p.version) {
            results.set(spec.name, {
              name: spec.name,
              path,
              version: p.version,
              source: 'fetched',
              from: `Debian ${pkg} ${record?.version ?? ''}`.trim(),
            });
          } else {
            (results.get(spec.name) as MissingTool).reasons.push(`fetched Debian ${pkg}, but ${p.problem}`);
          }
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
