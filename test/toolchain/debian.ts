/**
 * Fetches a Debian package and the dependencies this machine lacks into .tools/debian/<package>/,
 * without installing anything system-wide and without root:
 *   1. `apt-get -s install --no-install-recommends <package>` against this machine's dpkg status
 *      says which packages (name=version) an install would bring;
 *   2. `apt-get download` fetches exactly those (apt checks them against the archive's signed lists);
 *   3. `dpkg-deb -x` unpacks each into root/; documentation, man pages and translations are dropped;
 *   4. bin/<program> is a small sh wrapper that puts the unpacked libraries on LD_LIBRARY_PATH and
 *      execs the program.
 * When this machine's apt lists are empty or stale (the package is unknown, or a download answers
 * 404), the lists are fetched into .tools/apt/ (`apt-get update` with private Dir::State::Lists and
 * Dir::Cache), which needs no root and changes nothing of the system's. Everything is built in a
 * temporary directory and renamed into place, so an interrupted fetch leaves nothing half-done.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, posix, relative } from 'node:path';
import { findOnPath } from '../../src/worker/find-on-path.js';
import { isAlive } from '../../src/worker/process-alive.js';
import { displayPath, shellQuote } from '../../src/worker/shell-text.js';

export interface DebianSource {
  package: string;
  /** programs inside the package to wrap: command name → path inside the unpacked root */
  programs: Record<string, string>;
  /** dependencies not to unpack: names, or prefixes ending in "*" */
  skip?: readonly string[];
}

/** What fetched.json in a package directory records. */
export interface FetchedPackage {
  package: string;
  version: string;
  /** every package unpacked, name=version */
  unpacked: string[];
  /** dependencies left out on purpose (the manifest's skip list) */
  skipped: string[];
  /** library directories, relative to root/ */
  libDirs: string[];
  programs: Record<string, string>;
  fetchedAt: string;
}

export class FetchError extends Error {}

/** Directories under .tools/ that this module owns. */
export function debianDir(toolsDir: string, pkg: string): string {
  return join(toolsDir, 'debian', pkg);
}

export function wrapperPath(toolsDir: string, pkg: string, program: string): string {
  return join(debianDir(toolsDir, pkg), 'bin', program);
}

export function readFetched(toolsDir: string, pkg: string): FetchedPackage | undefined {
  try {
    return JSON.parse(readFileSync(join(debianDir(toolsDir, pkg), 'fetched.json'), 'utf8')) as FetchedPackage;
  } catch {
    return undefined;
  }
}

/** Why this machine cannot fetch Debian packages at all, or undefined when it can. */
export function cannotFetch(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform !== 'linux') return `this is ${process.platform}, not Debian or Ubuntu`;
  for (const program of ['apt-get', 'dpkg-deb']) {
    if (!findOnPath(program, env.PATH)) return `${program} is not on PATH (not a Debian or Ubuntu machine)`;
  }
  return undefined;
}

/** -o options that point apt at the private lists in .tools/apt/; [] for the system's lists. */
type AptOptions = string[];
const SYSTEM_LISTS: AptOptions = [];

function run(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(program, args, {
    cwd,
    encoding: 'utf8',
    env: { ...env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  return { ok: r.status === 0 && !r.error, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

function privateLists(toolsDir: string): AptOptions {
  const base = join(toolsDir, 'apt');
  return [
    '-o',
    `Dir::State::Lists=${join(base, 'lists')}`,
    '-o',
    `Dir::Cache=${join(base, 'cache')}`,
    '-o',
    'Debug::NoLocking=1',
    // as root apt would drop to _apt for downloads, which cannot write into the project
    '-o',
    'APT::Sandbox::User=root',
  ];
}

function updatePrivateLists(
  toolsDir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): AptOptions {
  const base = join(toolsDir, 'apt');
  mkdirSync(join(base, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(base, 'cache', 'archives', 'partial'), { recursive: true });
  log(`apt-get update into ${displayPath(base, process.cwd())} (private lists; nothing system-wide)`);
  const apt = privateLists(toolsDir);
  const r = run('apt-get', [...apt, '-q', 'update'], toolsDir, env);
  if (!r.ok || /^(W|E): Failed to fetch/m.test(r.output)) {
    throw new FetchError(
      `apt-get update failed (is the network or the Debian mirror reachable?):\n${lastLines(r.output)}`,
    );
  }
  return apt;
}

function listsAreRecent(toolsDir: string): boolean {
  const lists = join(toolsDir, 'apt', 'lists');
  try {
    const entries = readdirSync(lists).filter((n) => n.endsWith('_Packages') || n.includes('_Packages.'));
    if (entries.length === 0) return false;
    const age = Date.now() - lstatSync(join(lists, entries[0]!)).mtimeMs;
    return age < 24 * 3600_000;
  } catch {
    return false;
  }
}

/** name=version of every package `apt-get install <pkg>` would unpack here, or undefined if apt cannot find it. */
function closure(pkg: string, apt: AptOptions, cwd: string, env: NodeJS.ProcessEnv): string[] | undefined {
  const r = run('apt-get', [...apt, '-s', '-qq', 'install', '--no-install-recommends', pkg], cwd, env);
  if (!r.ok) {
    if (/Unable to locate package|has no installation candidate|not available/i.test(r.output))
      return undefined;
    throw new FetchError(`apt-get could not resolve ${pkg}:\n${lastLines(r.output)}`);
  }
  const out: string[] = [];
  for (const line of r.output.split('\n')) {
    // "Inst name [installed-version] (candidate-version release [arch])"
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) /.exec(line);
    if (m) out.push(`${m[1]}=${m[2]}`);
  }
  // already installed (in a version the manifest rejects, or without the program): fetch it anyway
  if (!out.some((p) => p.startsWith(`${pkg}=`))) out.push(pkg);
  return out;
}

function matchesSkip(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** Directories under root that hold shared libraries (including alternatives like blas/, lapack/). */
function findLibDirs(root: string): string[] {
  const dirs = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.so(\.\d+)*$/.test(entry.name)) dirs.add(relative(root, dir));
    }
  };
  for (const top of ['lib', 'usr/lib']) if (existsSync(join(root, top))) walk(join(root, top));
  // the multiarch directory first, as the dynamic loader's default order has it
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/**
 * Where a program's links inside root/ end: at a file in root (`inRoot`), or at a path root does not
 * have (then the system's copy, if any, is meant: redis-server → redis-check-rdb of redis-tools).
 * `path` is relative to root; `first` tells the program itself is missing from the package.
 */
function linkEnd(root: string, path: string): { path: string; inRoot: boolean; first: boolean } {
  let current = path;
  for (let hops = 0; hops < 10; hops++) {
    const full = join(root, current);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(full);
    } catch {
      return { path: current, inRoot: false, first: current === path };
    }
    if (!st.isSymbolicLink()) return { path: current, inRoot: true, first: false };
    const target = readlinkSync(full);
    current = isAbsolute(target) ? target.slice(1) : posix.join(posix.dirname(current), target);
  }
  return { path: current, inRoot: true, first: false };
}

/** The file a program runs: in root, else the system's copy its link points at, else (missing) in root. */
function programTarget(root: string, path: string): string {
  const end = linkEnd(root, path);
  if (end.inRoot) return join(root, end.path);
  return existsSync(join('/', end.path)) ? join('/', end.path) : join(root, end.path);
}

/**
 * The system path a program's links end at when neither the unpacked root nor this machine has it:
 * a dependency dpkg lists as installed whose files are gone. Undefined otherwise.
 */
function danglingSystemPath(root: string, path: string): string | undefined {
  const end = linkEnd(root, path);
  if (end.inRoot || end.first || existsSync(join('/', end.path))) return undefined;
  return join('/', end.path);
}

/** Unpacks every .deb of `debs` into `root`. */
function unpackAll(debs: string, root: string, work: string, env: NodeJS.ProcessEnv): void {
  for (const deb of readdirSync(debs).filter((n) => n.endsWith('.deb'))) {
    const x = run('dpkg-deb', ['-x', join(debs, deb), root], work, env);
    if (!x.ok) throw new FetchError(`dpkg-deb -x ${deb} failed:\n${lastLines(x.output)}`);
  }
}

/** Fetches and unpacks the package dpkg says owns `systemPath` (installed, but its file is gone). */
function fetchOwner(
  systemPath: string,
  apt: AptOptions,
  work: string,
  root: string,
  env: NodeJS.ProcessEnv,
): string {
  const owner = run('dpkg-query', ['-S', systemPath], work, env);
  const name = owner.ok ? /^([^:\s]+)(?::[^:\s]+)?: /.exec(owner.output)?.[1] : undefined;
  if (!name) throw new FetchError(`${systemPath} is missing and dpkg names no package that owns it`);
  const debs = join(work, 'owner-debs');
  mkdirSync(debs, { recursive: true });
  const dl = run('apt-get', [...apt, '-q', 'download', name], debs, env);
  if (!dl.ok)
    throw new FetchError(`apt-get download ${name} (for ${systemPath}) failed:\n${lastLines(dl.output)}`);
  unpackAll(debs, root, work, env);
  rmSync(debs, { recursive: true, force: true });
  return name;
}

function wrapper(program: string, source: string, target: string, pkgDir: string, libDirs: string[]): string {
  // paths relative to the wrapper, so the checkout can move; the system's only when the target is
  const rel = (p: string) =>
    p.startsWith(pkgDir) ? `"$here"/${shellQuote(relative(join(pkgDir, 'bin'), p))}` : shellQuote(p);
  const libs = libDirs.map((d) => `"$here"/${shellQuote(posix.join('..', 'root', d))}`).join(':');
  return [
    '#!/bin/sh',
    `# ${program} from ${source}, unpacked by test/toolchain (npm run tools), not installed system-wide.`,
    'here=$(dirname "$(readlink -f "$0")")',
    `LD_LIBRARY_PATH=${libs || '"$here"/../root/usr/lib'}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`,
    'export LD_LIBRARY_PATH',
    `exec ${rel(target)} "$@"`,
    '',
  ].join('\n');
}

/** Temporary directories of fetches whose process died (killed mid-fetch) are removed. */
function removeAbandonedWork(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const m = /^\..+\.tmp-(\d+)$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1])))
      rmSync(join(dir, name), { recursive: true, force: true });
  }
}

interface Downloaded {
  /** name=version of every package an install would bring */
  wanted: string[];
  fetch: string[];
  skipped: string[];
}

/** Resolves the closure with these lists and downloads it into an empty `debs`, or says why not. */
function download(
  source: DebianSource,
  apt: AptOptions,
  debs: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Downloaded | { problem: string } {
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  const wanted = closure(source.package, apt, debs, env);
  if (!wanted) return { problem: `apt knows no package named ${source.package} on this machine's sources` };
  const skipped = wanted.filter((p) => {
    const name = p.split('=')[0]!;
    return name !== source.package && matchesSkip(name, source.skip ?? []);
  });
  const fetch = wanted.filter((p) => !skipped.includes(p));
  log(`fetching Debian ${source.package}: ${fetch.length} package(s) this machine lacks`);
  const dl = run('apt-get', [...apt, '-q', 'download', ...fetch], debs, env);
  if (!dl.ok) return { problem: `apt-get download failed for ${source.package}:\n${lastLines(dl.output)}` };
  return { wanted, fetch, skipped };
}

/**
 * Fetches and unpacks `source.package` (and its missing dependencies) into .tools/debian/<package>/.
 * Throws FetchError with what went wrong and what apt said.
 */
export function fetchDebianPackage(
  toolsDir: string,
  source: DebianSource,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): FetchedPackage {
  const why = cannotFetch(env);
  if (why) throw new FetchError(`cannot fetch Debian packages: ${why}`);
  const finalDir = debianDir(toolsDir, source.package);
  removeAbandonedWork(join(toolsDir, 'debian'));
  const work = join(toolsDir, 'debian', `.${source.package}.tmp-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    const debs = join(work, 'debs');
    let apt = listsAreRecent(toolsDir) ? privateLists(toolsDir) : SYSTEM_LISTS;
    let got = download(source, apt, debs, env, log);
    if ('problem' in got && apt === SYSTEM_LISTS) {
      // the system's lists do not know the package, or name versions the mirror no longer has
      apt = updatePrivateLists(toolsDir, env, log);
      got = download(source, apt, debs, env, log);
    }
    if ('problem' in got) throw new FetchError(got.problem);
    const { wanted, fetch, skipped } = got;
    const root = join(work, 'root');
    mkdirSync(root, { recursive: true });
    unpackAll(debs, root, work, env);
    rmSync(debs, { recursive: true, force: true });
    for (const junk of [
      'usr/share/doc',
      'usr/share/man',
      'usr/share/info',
      'usr/share/lintian',
      'usr/share/locale',
    ]) {
      rmSync(join(root, junk), { recursive: true, force: true });
    }
    // A link into a dependency dpkg lists as installed but whose file is gone: fetch that package too.
    for (const path of Object.values(source.programs)) {
      const dangling = danglingSystemPath(root, path);
      if (dangling)
        log(
          `${path} links to ${dangling}, which is missing here: fetched ${fetchOwner(dangling, apt, work, root, env)}`,
        );
    }
    const libDirs = findLibDirs(root);
    const own = wanted.find((p) => p.startsWith(`${source.package}=`));
    const version = own ? own.slice(source.package.length + 1) : 'candidate';
    mkdirSync(join(work, 'bin'));
    for (const [program, path] of Object.entries(source.programs)) {
      const target = programTarget(root, path);
      if (!existsSync(target)) throw new FetchError(`Debian ${source.package} has no ${path}`);
      // The wrapper runs the program under its own name (redis-server is a link to redis-check-rdb,
      // which runs as the server only when started as redis-server), so it execs the package's own
      // path; a link whose target is the system's copy (a dependency this machine has) points there.
      const own = join(root, path);
      if (!target.startsWith(work)) {
        rmSync(own, { force: true });
        mkdirSync(dirname(own), { recursive: true });
        symlinkSync(target, own);
      } else if (own !== target) {
        // an absolute link (/usr/bin/x) is read inside root above; the kernel would read it on the
        // system, so it points at the unpacked file, relatively (the checkout can move)
        rmSync(own, { force: true });
        symlinkSync(relative(dirname(own), target), own);
      }
      const finalTarget = join(finalDir, relative(work, own));
      writeFileSync(
        join(work, 'bin', program),
        wrapper(program, `Debian ${source.package} ${version}`, finalTarget, finalDir, libDirs),
        { mode: 0o755 },
      );
    }
    const record: FetchedPackage = {
      package: source.package,
      version,
      unpacked: fetch,
      skipped,
      libDirs,
      programs: source.programs,
      fetchedAt: new Date().toISOString(),
    };
    writeFileSync(join(work, 'fetched.json'), `${JSON.stringify(record, null, 2)}\n`);
    rmSync(finalDir, { recursive: true, force: true });
    mkdirSync(dirname(finalDir), { recursive: true });
    renameSync(work, finalDir);
    return record;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
