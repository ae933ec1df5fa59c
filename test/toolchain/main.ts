/**
 * npm run tools: finds or fetches every program the tests need (test/toolchain/manifest.ts) and
 * lists what was found where.
 *   npm run tools                 find, fetch what is missing into .tools/, list
 *   npm run tools -- --check      find only: list, and exit 2 when something is missing
 *   npm run tools -- --json       the same as JSON, for scripts
 * Exit codes: 0 every tool is there; 2 something is missing (the message says how to install it).
 */
import { TOOLS_DIR } from './paths.js';
import { missingMessage, toolTable } from './report.js';
import { provisionTools } from './resolve.js';

const USAGE = `Usage: npm run tools [-- --check] [-- --json]

Finds every program the tests run (test/toolchain/manifest.ts) on PATH or in .tools/, fetches the
missing ones from Debian's packages into .tools/ (no root needed, nothing installed system-wide) and
lists what was found where. npm test does the same before it runs a test.

Options:
  --check   only look; do not fetch (exit 2 when a tool is missing)
  --json    print the result as JSON
  -h, --help`;

function main(argv: string[]): number {
  const known = new Set(['--check', '--json', '--help', '-h']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length) {
    process.stderr.write(`npm run tools: unknown option ${unknown[0]}\n\n${USAGE}\n`);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const json = argv.includes('--json');
  const result = provisionTools({
    toolsDir: TOOLS_DIR,
    fetch: !argv.includes('--check'),
    log: (line) => process.stderr.write(`tools: ${line}\n`),
  });
  if (json) {
    const out = {
      binDir: result.binDir,
      found: result.found,
      missing: result.missing.map((m) => ({
        name: m.spec.name,
        version: m.spec.version,
        reasons: m.reasons,
      })),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(toolTable(result));
    if (result.missing.length === 0) {
      process.stdout.write(
        `\nnpm test runs the tests with .tools/bin first on PATH. To use these by hand:\n  export PATH="${result.binDir}:$PATH"\n`,
      );
    } else {
      process.stderr.write(`\n${missingMessage(result.missing, 'npm run tools')}\n`);
    }
  }
  return result.missing.length === 0 ? 0 : 2;
}

process.exitCode = main(process.argv.slice(2));
