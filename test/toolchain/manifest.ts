/**
 * THE list of external programs the tests run, with the versions they need and where each comes
 * from when a machine does not have it. `npm test` (test/run.ts) and `npm run tools`
 * (test/toolchain/main.ts) read only this list; a test that needs another program adds it here.
 *
 * How a tool is found, first match wins (test/toolchain/resolve.ts):
 *   1. the override variable (for example FFMPEG_PATH=/opt/ffmpeg/bin/ffmpeg), when it is set;
 *   2. the first program of that name on PATH whose version is in range;
 *   3. a copy fetched earlier into the project's .tools/ directory (git-ignored);
 *   4. fetched now into .tools/ from the source below.
 * The tests then run with .tools/bin first on PATH, where every tool is linked (or wrapped), so a
 * test finds exactly the program this list chose by its plain name.
 *
 * Why every source is a Debian package, fetched without installing it (`apt-get download` of the
 * package and the dependencies this machine lacks, `dpkg-deb -x` into .tools/debian/<package>/):
 *   - no npm package holds a usable binary in its tarball: ffmpeg-static, shellcheck and
 *     redis-memory-server download from elsewhere in a postinstall script (which fails where only the
 *     registries can be reached); @ffmpeg-installer/linux-x64 holds ffmpeg 4.1, older than the 5.1
 *     the renderer needs (`-fps_mode`); @sparticuz/chromium needs Node 22;
 *   - the packages are signed by the archive and checked by apt, need no root to fetch and unpack,
 *     and are the very builds the container image installs (Dockerfile: Debian bookworm's ffmpeg),
 *     so the tests exercise what production runs;
 *   - one mechanism for every tool: one code path to test and to debug.
 * Versions are ranges, not exact Debian versions: Debian replaces a package's version on every
 * security update (Chromium monthly) and the old file leaves the archive, so an exact pin would stop
 * working within weeks. The range is what the tests need; a tool found on PATH outside it is not
 * used (and the Debian one is fetched instead).
 */

export interface ToolSpec {
  /** the command the tests run */
  name: string;
  /** what the tests use it for */
  purpose: string;
  /** accepted versions: ">=X.Y" or ">=X.Y <Z"; see version.ts */
  version: string;
  /** arguments that make it print its version (and exit 0) */
  versionArgs: string[];
  /** the first capture group is the version */
  versionPattern: RegExp;
  /** names to look for on PATH besides `name` (macOS and other distributions) */
  aliases?: string[];
  /** absolute paths to look at besides PATH (for example an app bundle on macOS) */
  extraPaths?: string[];
  /** environment variable that names the program explicitly */
  override: string;
  debian: {
    package: string;
    /** the program inside the unpacked package */
    path: string;
  };
  /** what a person installs system-wide: `sudo apt-get install <apt>`, `brew install [--cask] <brew>` */
  install: { apt: string; brew: string; brewCask?: boolean };
}

export const TOOLS: readonly ToolSpec[] = [
  {
    name: 'redis-server',
    purpose:
      'private Redis servers for the fault, worker and Sentinel tests (and the suite Redis when none answers)',
    // BullMQ 5+ needs Redis 6.2 (LMOVE, ZRANGESTORE, ...)
    version: '>=6.2',
    versionArgs: ['--version'],
    versionPattern: /v=(\d+\.\d+\.\d+)/,
    override: 'REDIS_SERVER_PATH',
    // usr/bin/redis-server is a link to redis-check-rdb from redis-tools (a dependency); the
    // binary runs as the server when it is started under the name redis-server
    debian: { package: 'redis-server', path: 'usr/bin/redis-server' },
    install: { apt: 'redis-server', brew: 'redis' },
  },
  {
    name: 'ffmpeg',
    purpose: 'format: mp4 renders (the worker spawns it)',
    // -fps_mode (variable frame rate, src/worker/render/video.ts) arrived in 5.1
    version: '>=5.1',
    versionArgs: ['-version'],
    versionPattern: /^ffmpeg version n?(\d+\.\d+(?:\.\d+)?)/,
    override: 'FFMPEG_PATH',
    debian: { package: 'ffmpeg', path: 'usr/bin/ffmpeg' },
    install: { apt: 'ffmpeg', brew: 'ffmpeg' },
  },
  {
    name: 'ffprobe',
    purpose: 'checks the codec, pixel format and duration of rendered mp4 files',
    version: '>=5.1',
    versionArgs: ['-version'],
    versionPattern: /^ffprobe version n?(\d+\.\d+(?:\.\d+)?)/,
    override: 'FFPROBE_PATH',
    debian: { package: 'ffmpeg', path: 'usr/bin/ffprobe' },
    install: { apt: 'ffmpeg', brew: 'ffmpeg' },
  },
  {
    name: 'promtool',
    purpose: '`promtool check rules` and `promtool test rules` on the alert rules',
    version: '>=2.42',
    versionArgs: ['--version'],
    versionPattern: /version (\d+\.\d+\.\d+)/,
    override: 'PROMTOOL_PATH',
    debian: { package: 'prometheus', path: 'usr/bin/promtool' },
    install: { apt: 'prometheus', brew: 'prometheus' },
  },
  {
    name: 'prometheus',
    purpose: 'a real Prometheus scraping a real worker for the monthly report',
    version: '>=2.42',
    versionArgs: ['--version'],
    versionPattern: /version (\d+\.\d+\.\d+)/,
    override: 'PROMETHEUS_PATH',
    debian: { package: 'prometheus', path: 'usr/bin/prometheus' },
    install: { apt: 'prometheus', brew: 'prometheus' },
  },
  {
    name: 'shellcheck',
    purpose: 'lints scripts/*.sh and the workflows’ bash run: blocks',
    version: '>=0.9',
    versionArgs: ['--version'],
    versionPattern: /^version: (\d+\.\d+\.\d+)/m,
    override: 'SHELLCHECK_PATH',
    debian: { package: 'shellcheck', path: 'usr/bin/shellcheck' },
    install: { apt: 'shellcheck', brew: 'shellcheck' },
  },
  {
    name: 'chromium',
    purpose: 'loads the HTML report headless (through playwright-core) and prints it to PDF',
    // playwright-core 1.5x speaks CDP to any Chromium of the last few years
    version: '>=120',
    versionArgs: ['--version'],
    versionPattern: /(?:Chromium|Google Chrome) (\d+\.\d+\.\d+\.\d+)/,
    aliases: ['chromium-browser', 'google-chrome'],
    extraPaths: [
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    ],
    override: 'CHROMIUM_PATH',
    // the browser itself, not Debian's /usr/bin/chromium launcher script (which reads /etc/chromium.d)
    debian: { package: 'chromium', path: 'usr/lib/chromium/chromium' },
    install: { apt: 'chromium', brew: 'chromium', brewCask: true },
  },
  {
    name: 'curl',
    purpose: 'runs the command `npm start` prints, as a user pastes it',
    version: '>=7.68',
    versionArgs: ['--version'],
    versionPattern: /^curl (\d+\.\d+\.\d+)/,
    override: 'CURL_PATH',
    debian: { package: 'curl', path: 'usr/bin/curl' },
    install: { apt: 'curl', brew: 'curl' },
  },
];

/**
 * Dependencies of a Debian package that are not unpacked, with why: only what the tests never load
 * (apt still resolves the rest of the closure). Names, or prefixes ending in "*".
 */
export const DEBIAN_SKIP: Readonly<Record<string, readonly string[]>> = {
  // the JavaScript of Prometheus's console templates (214 MiB unpacked, mostly time-zone data):
  // promtool and the server's HTTP API never load it
  prometheus: ['libjs-*', 'fonts-glyphicons-halflings', 'node-*'],
};

export function toolSpec(name: string): ToolSpec {
  const spec = TOOLS.find((t) => t.name === name);
  if (!spec) throw new Error(`no tool "${name}" in test/toolchain/manifest.ts`);
  return spec;
}
