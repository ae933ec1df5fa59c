/**
 * The test toolchain (test/toolchain/): version ranges, finding tools on PATH and through their
 * override variables, the one missing-tools message, the Debian fetch (driven through stand-in
 * apt-get and dpkg-deb that record their arguments: the real ones run on every fresh `npm test`),
 * and `npm test` itself exiting 2 before any test when a tool can be neither found nor fetched.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runUnderLock } from '../support/build-lock.js';
import { REPO_ROOT } from '../support/cli.js';
import { fetchDebianPackage, readFetched } from '../toolchain/debian.js';
import { TOOLS, toolSpec } from '../toolchain/manifest.js';
import { installCommands, missingMessage, toolTable } from '../toolchain/report.js';
import { envWithTools, probe, provisionTools } from '../toolchain/resolve.js';
import { compareVersions, parseRange, satisfies } from '../toolchain/version.js';

/** What each manifest tool prints for its version, as the real programs do. */
const VERSION_OUTPUT: Record<string, (v: string) => string> = {
  'redis-server': (v) => `Redis server v=${v} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1`,
  ffmpeg: (v) => `ffmpeg version ${v}-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers`,
  ffprobe: (v) => `ffprobe version ${v} Copyright (c) 2007-2026 the FFmpeg developers`,
  promtool: (v) => `promtool, version ${v}+ds (branch: debian/sid, revision: ${v}+ds-5)`,
  prometheus: (v) => `prometheus, version ${v}+ds (branch: debian/sid, revision: ${v}+ds-5)`,
  shellcheck: (v) =>
    `ShellCheck - shell script analysis tool\nversion: ${v}\nlicense: GNU General Public License`,
  chromium: (v) => `Chromium ${v} built on Debian GNU/Linux 12 (bookworm)`,
  curl: (v) => `curl ${v} (x86_64-pc-linux-gnu) libcurl/${v} OpenSSL/3.0.17`,
};
const GOOD_VERSION: Record<string, string> = {
  'redis-server': '7.2.4',
  ffmpeg: '6.1.1',
  ffprobe: '6.1.1',
  promtool: '2.45.0',
  prometheus: '2.45.0',
  shellcheck: '0.10.0',
  chromium: '131.0.6778.85',
  curl: '8.5.0',
};

function writeProgram(path: string, output: string, exitCode = 0): void {
  mkdirSync(dirname(path), { recursive: true });
  const body = output
    .split('\n')
    .map((l) => `printf '%s\\n' '${l.replace(/'/g, `'\\''`)}'`)
    .join('\n');
  writeFileSync(path, `#!/bin/sh\n${body}\nexit ${exitCode}\n`, { mode: 0o755 });
}

/** A directory holding a stand-in for every manifest tool, printing an accepted version. */
function fakeToolsDir(root: string, versions: Record<string, string> = GOOD_VERSION): string {
  const bin = join(root, 'fake-bin');
  for (const t of TOOLS) writeProgram(join(bin, t.name), VERSION_OUTPUT[t.name]!(versions[t.name]!));
  return bin;
}

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'toolchain-test-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('version ranges', () => {
  it('compares dotted versions part by part as numbers', () => {
    assert.equal(compareVersions([5, 10], [5, 9, 9]), 1);
    assert.equal(compareVersions([5, 1], [5, 1, 0]), 0);
    assert.equal(compareVersions([2, 42], [10]), -1);
  });
  it('accepts ">=X.Y" and ">=X.Y <Z" and rejects anything else with the expected form', () => {
    assert.equal(satisfies('5.1.9', '>=5.1'), true);
    assert.equal(satisfies('5.0.3', '>=5.1'), false);
    assert.equal(satisfies('156.0.8078.114', '>=120'), true);
    assert.equal(satisfies('3.0.1', '>=2.42 <3'), false);
    assert.equal(satisfies('2.53.0', '>=2.42 <3'), true);
    assert.deepEqual(parseRange('>=2.42 <3'), { min: [2, 42], below: [3] });
    assert.throws(() => parseRange('^5.1'), /must look like ">=5.1"/);
    assert.throws(() => satisfies('5.1-beta', '>=5.1'), /not a dotted number/);
  });
  it('every manifest entry has a valid range, a pattern that reads its version, and install commands', () => {
    for (const t of TOOLS) {
      parseRange(t.version);
      const m = t.versionPattern.exec(VERSION_OUTPUT[t.name]!(GOOD_VERSION[t.name]!));
      assert.equal(m?.[1], GOOD_VERSION[t.name], t.name);
      assert.ok(t.install.apt && t.install.brew && t.override && t.debian.package && t.debian.path, t.name);
    }
    assert.equal(new Set(TOOLS.map((t) => t.name)).size, TOOLS.length, 'each tool listed once');
  });
});

describe('probe', () => {
  const spec = toolSpec('ffmpeg');
  it('reads the version and checks it against the range', () => {
    const ok = join(work, 'probe', 'ffmpeg-ok');
    writeProgram(ok, VERSION_OUTPUT.ffmpeg!('5.1.9'));
    assert.deepEqual(probe(spec, ok, process.env), { version: '5.1.9' });
    const old = join(work, 'probe', 'ffmpeg-old');
    writeProgram(old, VERSION_OUTPUT.ffmpeg!('4.4.2'));
    assert.match(probe(spec, old, process.env).problem ?? '', /is version 4\.4\.2, outside >=5\.1/);
  });
  it('says why a program that fails or cannot start will not do', () => {
    const broken = join(work, 'probe', 'ffmpeg-broken');
    writeProgram(broken, 'error while loading shared libraries: libavcodec.so.59', 127);
    assert.match(
      probe(spec, broken, process.env).problem ?? '',
      /exited 127: error while loading shared libraries/,
    );
    assert.match(probe(spec, join(work, 'nope'), process.env).problem ?? '', /does not run \(ENOENT\)/);
  });
});

describe('provisionTools', () => {
  it('takes every tool from PATH when its version fits, and links it into .tools/bin', () => {
    const root = join(work, 'all-on-path');
    const bin = fakeToolsDir(root);
    const toolsDir = join(root, '.tools');
    const p = provisionTools({ toolsDir, env: { PATH: bin }, fetch: false });
    assert.deepEqual(p.missing, []);
    assert.deepEqual(
      p.found.map((f) => [f.name, f.source, f.version]),
      TOOLS.map((t) => [t.name, 'PATH', GOOD_VERSION[t.name]]),
    );
    for (const t of TOOLS) assert.equal(readlinkSync(join(toolsDir, 'bin', t.name)), join(bin, t.name));
    assert.match(toolTable(p), /^TOOL +VERSION +SOURCE +PATH\nredis-server +7\.2\.4 +PATH +\//);
    // the tests' PATH starts with .tools/bin
    assert.equal(envWithTools(p.binDir, { PATH: '/usr/bin' }).PATH, `${p.binDir}:/usr/bin`);
  });

  it('passes over a program outside the range for a later one on PATH, and says why when none fits', () => {
    const root = join(work, 'old-first');
    const old = fakeToolsDir(join(root, 'old'), { ...GOOD_VERSION, ffmpeg: '4.4.2' });
    const good = fakeToolsDir(join(root, 'good'));
    const first = provisionTools({
      toolsDir: join(root, '.tools'),
      env: { PATH: `${old}:${good}` },
      fetch: false,
    });
    assert.equal(first.found.find((f) => f.name === 'ffmpeg')?.path, join(good, 'ffmpeg'));
    const only = provisionTools({ toolsDir: join(root, '.tools'), env: { PATH: old }, fetch: false });
    assert.deepEqual(
      only.missing.map((m) => m.spec.name),
      ['ffmpeg'],
    );
    assert.match(only.missing[0]!.reasons[0]!, /is version 4\.4\.2, outside >=5\.1/);
    assert.equal(
      existsSync(join(root, '.tools', 'bin', 'ffmpeg')),
      false,
      'no stale link is left for a missing tool',
    );
  });

  it('uses the override variable, and never replaces a bad explicit choice with another program', () => {
    const root = join(work, 'override');
    const bin = fakeToolsDir(root);
    const chosen = join(root, 'opt', 'ffmpeg');
    writeProgram(chosen, VERSION_OUTPUT.ffmpeg!('7.0.2'));
    const p = provisionTools({
      toolsDir: join(root, '.tools'),
      env: { PATH: bin, FFMPEG_PATH: chosen },
      fetch: false,
    });
    assert.deepEqual(
      p.found.find((f) => f.name === 'ffmpeg'),
      { name: 'ffmpeg', path: chosen, version: '7.0.2', source: 'override' },
    );
    const bad = provisionTools({
      toolsDir: join(root, '.tools'),
      env: { PATH: bin, FFMPEG_PATH: join(root, 'missing-ffmpeg') },
      // even with fetching on: an explicit choice that fails is reported, not worked around
      fetch: true,
    });
    assert.deepEqual(
      bad.missing.map((m) => [m.spec.name, m.reasons]),
      [
        [
          'ffmpeg',
          [
            `FFMPEG_PATH=${join(root, 'missing-ffmpeg')}: ${join(root, 'missing-ffmpeg')} does not run (ENOENT)`,
          ],
        ],
      ],
    );
    const text = missingMessage(bad.missing, 'npm test', {
      env: { FFMPEG_PATH: join(root, 'missing-ffmpeg') },
    });
    assert.match(
      text,
      /FFMPEG_PATH is set: point it at a working ffmpeg \(>=5\.1\), or unset it so that npm test finds or fetches one\./,
    );
    assert.doesNotMatch(text, /Install them|No test was run/);
  });

  it('with nothing on PATH and no apt-get, reports every tool once with the reason and both install commands', () => {
    const root = join(work, 'bare');
    mkdirSync(root, { recursive: true });
    const p = provisionTools({ toolsDir: join(root, '.tools'), env: { PATH: join(root, 'empty') } });
    assert.deepEqual(
      p.missing.map((m) => m.spec.name),
      TOOLS.map((t) => t.name),
    );
    for (const m of p.missing) {
      assert.ok(m.reasons.includes(`no ${m.spec.name} on PATH`), m.spec.name);
      assert.ok(
        m.reasons.some((r) => /^cannot fetch: (apt-get is not on PATH|this is )/.test(r)),
        m.spec.name,
      );
    }
    const text = missingMessage(p.missing, 'npm test', { noTestRun: true, env: {} });
    assert.match(text, /^npm test: 8 programs the tests need are missing and could not be fetched:/);
    assert.match(
      text,
      /Debian\/Ubuntu: {2}sudo apt-get install redis-server ffmpeg prometheus shellcheck chromium curl\n/,
    );
    assert.match(
      text,
      /macOS: {10}brew install redis ffmpeg prometheus shellcheck curl && brew install --cask chromium\n/,
    );
    assert.match(text, /No test was run\.$/);
    for (const t of TOOLS) assert.ok(text.includes(`  ${t.name}`), t.name);
    assert.deepEqual(installCommands(p.missing.filter((m) => m.spec.name === 'promtool')), {
      debian: 'sudo apt-get install prometheus',
      macos: 'brew install prometheus',
    });
  });
});

/**
 * Stand-ins for apt-get and dpkg-deb. apt-get logs its argv; it "knows" packages only with the
 * private lists when FAKE_APT_EMPTY_LISTS is set; `download` of a 404 package fails the same way.
 * dpkg-deb -x unpacks what FAKE_DEBS/<name>.files lists.
 */
function fakeApt(root: string): { bin: string; log: string } {
  const bin = join(root, 'apt-bin');
  mkdirSync(bin, { recursive: true });
  const log = join(root, 'apt.log');
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh
echo "apt-get $*" >> '${log}'
private=no
case "$*" in *Dir::State::Lists=*) private=yes ;; esac
for a in "$@"; do last="$a"; done
case " $* " in
  *" update"*)
    echo "Fetched 9424 kB in 1s"; exit 0 ;;
  *" -s "*)
    if [ -n "$FAKE_APT_EMPTY_LISTS" ] && [ "$private" = no ]; then echo "E: Unable to locate package $last" >&2; exit 100; fi
    cat "$FAKE_DEBS/$last.closure"; exit 0 ;;
  *" download "*)
    if [ -n "$FAKE_APT_404" ] && [ "$private" = no ]; then touch stale-version.deb; echo "E: Failed to fetch http://deb.example/x.deb  404  Not Found" >&2; exit 100; fi
    seen=no
    for a in "$@"; do
      if [ "$seen" = yes ]; then n=\${a%%=*}; touch "$n.deb"; fi
      [ "$a" = download ] && seen=yes
    done
    exit 0 ;;
esac
echo "E: unexpected call" >&2; exit 1
`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(bin, 'dpkg-deb'),
    `#!/bin/sh
# dpkg-deb -x FILE DIR
name=$(basename "$2" .deb)
while IFS='|' read -r kind path content; do
  [ -z "$kind" ] && continue
  mkdir -p "$3/$(dirname "$path")"
  case "$kind" in
    file) printf '%s\\n' "$content" > "$3/$path" ;;
    exe) printf '#!/bin/sh\\necho "%s"\\necho "LD=$LD_LIBRARY_PATH"\\necho "AS=$(basename "$0")"\\n' "$content" > "$3/$path"; chmod +x "$3/$path" ;;
    link) ln -s "$content" "$3/$path" ;;
  esac
done < "$FAKE_DEBS/$name.files"
`,
    { mode: 0o755 },
  );
  return { bin, log };
}

describe('fetchDebianPackage (stand-in apt-get and dpkg-deb)', () => {
  function setup(name: string) {
    const root = join(work, name);
    const debs = join(root, 'debs');
    mkdirSync(debs, { recursive: true });
    const apt = fakeApt(root);
    writeFileSync(
      join(debs, 'faketool.closure'),
      [
        'NOTE: This is only a simulation!',
        'Inst libjs-huge (1.0 Debian:12/stable [all])',
        'Inst libfake1 [0.9-1] (1.0-2 Debian:12/stable [amd64])',
        'Inst faketool (2.3.4-1+deb12u1 Debian-Security:12/stable-security [amd64])',
        'Conf faketool (2.3.4-1+deb12u1 Debian-Security:12/stable-security [amd64])',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(debs, 'faketool.files'),
      [
        'exe|usr/bin/faketool-real|faketool version 2.3.4',
        'link|usr/bin/faketool|faketool-real',
        'file|usr/share/doc/faketool/copyright|GPL',
        'file|usr/share/man/man1/faketool.1|man',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(debs, 'libfake1.files'),
      [
        'file|usr/lib/x86_64-linux-gnu/libfake.so.1|ELF',
        'file|usr/lib/x86_64-linux-gnu/blas/libblas.so.3|ELF',
        '',
      ].join('\n'),
    );
    writeFileSync(join(debs, 'libjs-huge.files'), 'file|usr/share/javascript/huge.js|x\n');
    const env = { PATH: `${apt.bin}:/usr/bin:/bin`, FAKE_DEBS: debs };
    const toolsDir = join(root, '.tools');
    const source = { package: 'faketool', programs: { faketool: 'usr/bin/faketool' }, skip: ['libjs-*'] };
    return { root, apt, env, toolsDir, source };
  }

  it('downloads the closure less the skip list, unpacks it, drops docs, and wraps the program with its libraries', () => {
    const { apt, env, toolsDir, source } = setup('fetch-ok');
    const lines: string[] = [];
    const record = fetchDebianPackage(toolsDir, source, env, (l) => lines.push(l));
    assert.equal(record.version, '2.3.4-1+deb12u1');
    assert.deepEqual(record.unpacked, ['libfake1=1.0-2', 'faketool=2.3.4-1+deb12u1']);
    assert.deepEqual(record.skipped, ['libjs-huge=1.0']);
    assert.deepEqual(record.libDirs, ['usr/lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu/blas']);
    assert.deepEqual(readFetched(toolsDir, 'faketool'), record);
    const calls = readFileSync(apt.log, 'utf8').trim().split('\n');
    assert.deepEqual(calls, [
      'apt-get -s -qq install --no-install-recommends faketool',
      'apt-get -q download libfake1=1.0-2 faketool=2.3.4-1+deb12u1',
    ]);
    const pkgDir = join(toolsDir, 'debian', 'faketool');
    assert.equal(existsSync(join(pkgDir, 'root', 'usr', 'share', 'doc')), false);
    assert.equal(existsSync(join(pkgDir, 'root', 'usr', 'share', 'man')), false);
    assert.equal(existsSync(join(pkgDir, 'debs')), false, 'the downloaded .deb files are not kept');
    // the wrapper runs the program (through the link) with the unpacked libraries on LD_LIBRARY_PATH
    const run = spawnSync(join(pkgDir, 'bin', 'faketool'), [], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    assert.equal(run.status, 0, run.stderr);
    const [version, ld, as] = run.stdout.trim().split('\n');
    assert.equal(version, 'faketool version 2.3.4');
    // under its own name, through the package's link (redis-server is a link to redis-check-rdb,
    // which runs as the server only when started as redis-server)
    assert.equal(as, 'AS=faketool');
    assert.equal(
      ld,
      `LD=${pkgDir}/bin/../root/usr/lib/x86_64-linux-gnu:${pkgDir}/bin/../root/usr/lib/x86_64-linux-gnu/blas`,
    );
    // and keeps working through a link, as .tools/bin has it
    const link = join(toolsDir, 'bin', 'faketool');
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(pkgDir, 'bin', 'faketool'), link);
    assert.match(spawnSync(link, [], { encoding: 'utf8' }).stdout, /^faketool version 2\.3\.4\n/);
    assert.deepEqual(lines, ['fetching Debian faketool: 2 package(s) this machine lacks']);
    // nothing temporary is left beside it
    assert.deepEqual(
      spawnSync('ls', ['-A', join(toolsDir, 'debian')], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n'),
      ['faketool'],
    );
  });

  it('fetches private apt lists into .tools/apt when the system lists do not know the package', () => {
    const { apt, env, toolsDir, source } = setup('fetch-empty-lists');
    fetchDebianPackage(toolsDir, source, { ...env, FAKE_APT_EMPTY_LISTS: '1' }, () => undefined);
    const calls = readFileSync(apt.log, 'utf8').trim().split('\n');
    assert.equal(calls.length, 4);
    assert.equal(calls[0], 'apt-get -s -qq install --no-install-recommends faketool');
    const priv = `-o Dir::State::Lists=${join(toolsDir, 'apt', 'lists')} -o Dir::Cache=${join(toolsDir, 'apt', 'cache')} -o Debug::NoLocking=1 -o APT::Sandbox::User=root`;
    assert.equal(calls[1], `apt-get ${priv} -q update`);
    assert.equal(calls[2], `apt-get ${priv} -s -qq install --no-install-recommends faketool`);
    assert.equal(calls[3], `apt-get ${priv} -q download libfake1=1.0-2 faketool=2.3.4-1+deb12u1`);
    assert.ok(existsSync(join(toolsDir, 'apt', 'lists', 'partial')));
  });

  it('retries with fresh private lists when a download answers 404 (stale system lists)', () => {
    const { apt, env, toolsDir, source } = setup('fetch-404');
    // the failed try leaves stale-version.deb behind; were it unpacked, the stand-in dpkg-deb
    // would fail (it knows no such package) and so would the fetch
    fetchDebianPackage(toolsDir, source, { ...env, FAKE_APT_404: '1' }, () => undefined);
    const calls = readFileSync(apt.log, 'utf8').trim().split('\n');
    assert.deepEqual(
      calls.map((c) => c.replace(/ -o \S+/g, ' -o …')),
      [
        'apt-get -s -qq install --no-install-recommends faketool',
        'apt-get -q download libfake1=1.0-2 faketool=2.3.4-1+deb12u1',
        'apt-get -o … -o … -o … -o … -q update',
        'apt-get -o … -o … -o … -o … -s -qq install --no-install-recommends faketool',
        'apt-get -o … -o … -o … -o … -q download libfake1=1.0-2 faketool=2.3.4-1+deb12u1',
      ],
    );
  });

  it('fetches the package owning a link target dpkg lists as installed but whose file is gone', () => {
    // redis-server is a link to redis-check-rdb of redis-tools: a machine whose dpkg lists
    // redis-tools without its files failed with "has no usr/bin/redis-server".
    const { apt, env, toolsDir, source } = setup('fetch-dangling');
    const gone = '/usr/bin/mobius-test-gone-faketool-real';
    const debs = env.FAKE_DEBS;
    writeFileSync(join(debs, 'faketool.files'), `link|usr/bin/faketool|${gone}\n`);
    writeFileSync(join(debs, 'faketool-core.files'), `exe|${gone.slice(1)}|faketool-core 2.3.4\n`);
    writeFileSync(
      join(apt.bin, 'dpkg-query'),
      `#!/bin/sh\necho "dpkg-query $*" >> '${apt.log}'\n[ "$2" = '${gone}' ] && echo "faketool-core:amd64: $2" && exit 0\nexit 1\n`,
      { mode: 0o755 },
    );
    const lines: string[] = [];
    fetchDebianPackage(toolsDir, source, env, (l) => lines.push(l));
    assert.ok(
      lines.includes(`usr/bin/faketool links to ${gone}, which is missing here: fetched faketool-core`),
      lines.join('\n'),
    );
    const calls = readFileSync(apt.log, 'utf8').trim().split('\n');
    assert.deepEqual(calls.slice(-2), [`dpkg-query -S ${gone}`, 'apt-get -q download faketool-core']);
    const run = spawnSync(join(toolsDir, 'debian', 'faketool', 'bin', 'faketool'), [], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^faketool-core 2\.3\.4\nLD=.*\nAS=faketool\n$/);
  });

  it('a failed fetch keeps the copy that was there and leaves no temporary directory', () => {
    const { env, toolsDir, source } = setup('fetch-fails');
    // what a fetch killed mid-way leaves (a pid that no longer runs) is cleared by the next one
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    mkdirSync(join(toolsDir, 'debian', `.faketool.tmp-${dead}`, 'root'), { recursive: true });
    const first = fetchDebianPackage(toolsDir, source, env, () => undefined);
    assert.deepEqual(
      spawnSync('ls', ['-A', join(toolsDir, 'debian')], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n'),
      ['faketool'],
    );
    // now the package lacks the program: the fetch fails, the earlier copy stays whole
    assert.throws(
      () =>
        fetchDebianPackage(
          toolsDir,
          { ...source, programs: { faketool: 'usr/bin/not-there' } },
          env,
          () => undefined,
        ),
      /Debian faketool has no usr\/bin\/not-there/,
    );
    assert.deepEqual(readFetched(toolsDir, 'faketool'), first);
    assert.deepEqual(
      spawnSync('ls', ['-A', join(toolsDir, 'debian')], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n'),
      ['faketool'],
    );
  });

  it('says so when apt-get or dpkg-deb is not there', () => {
    const { toolsDir, source } = setup('fetch-no-apt');
    assert.throws(
      () => fetchDebianPackage(toolsDir, source, { PATH: join(work, 'nothing') }, () => undefined),
      /cannot fetch Debian packages: (apt-get is not on PATH \(not a Debian or Ubuntu machine\)|this is )/,
    );
  });
});

describe('runUnderLock (one fetch at a time per .tools/)', () => {
  it('waits for the process that holds the lock and does not repeat what it did', () => {
    const dir = join(work, 'lock');
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, '.fetch.lock');
    const marker = join(dir, 'fetched');
    // another process: takes the lock, "fetches" for a second, releases
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');fs.mkdirSync(${JSON.stringify(lock)});setTimeout(()=>{fs.writeFileSync(${JSON.stringify(marker)},'x');fs.rmdirSync(${JSON.stringify(lock)})},1000)`,
      ],
      { stdio: 'ignore' },
    );
    const until = Date.now() + 10_000;
    while (!existsSync(lock) && Date.now() < until)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    let worked = 0;
    runUnderLock(
      lock,
      () => existsSync(marker),
      () => void worked++,
      60_000,
    );
    assert.equal(worked, 0, 'the waiting process found the work done');
    assert.equal(existsSync(lock), false, 'the lock is released');
    runUnderLock(
      lock,
      () => false,
      () => void worked++,
      60_000,
    );
    assert.equal(worked, 1);
    holder.kill();
  });
});

describe('npm test without the tools', () => {
  it('prints one message naming every missing tool and exits 2 before running any test', () => {
    const root = join(work, 'runner');
    const bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    // only node on PATH: no tools, no apt-get, nothing fetched before
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'test', 'run.mjs'), 'integration/toolchain'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { PATH: bin, HOME: root, MOBIUS_TOOLS_DIR: join(root, '.tools') },
      timeout: 120_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /npm test: 8 programs the tests need are missing and could not be fetched:/);
    for (const t of TOOLS) assert.ok(r.stderr.includes(`  ${t.name}`), t.name);
    assert.match(r.stderr, /sudo apt-get install redis-server ffmpeg prometheus shellcheck chromium curl/);
    assert.match(
      r.stderr,
      /brew install redis ffmpeg prometheus shellcheck curl && brew install --cask chromium/,
    );
    assert.match(r.stderr, /No test was run\.\n$/);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /ℹ tests|# tests|TypeError|ENOENT\n\s+at /);
  });
});
