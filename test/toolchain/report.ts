/** What `npm run tools` and `npm test` print about the toolchain: the table of tools and the one missing-tools message. */
import { renderTable } from '../../src/deploy/output/table.js';
import { displayPath } from '../../src/worker/shell-text.js';
import type { MissingTool, Provision } from './resolve.js';

/** One line per tool: name, version, where it came from, path (ends with a newline). */
export function toolTable(p: Provision): string {
  const rows: string[][] = [];
  for (const f of p.found) {
    rows.push([
      f.name,
      f.version,
      f.source,
      `${displayPath(f.path, process.cwd())}${f.from ? `  (${f.from})` : ''}`,
    ]);
  }
  for (const m of p.missing) rows.push([m.spec.name, `needs ${m.spec.version}`, 'MISSING', '-']);
  return renderTable(
    ['TOOL', 'VERSION', 'SOURCE', 'PATH'].map((header) => ({ header })),
    rows,
  );
}

/** The install commands for these tools, on Debian/Ubuntu and on macOS. */
export function installCommands(missing: MissingTool[]): { debian: string; macos: string } {
  const apt = [...new Set(missing.map((m) => m.spec.install.apt))];
  const formulae = [
    ...new Set(missing.filter((m) => !m.spec.install.brewCask).map((m) => m.spec.install.brew)),
  ];
  const casks = [...new Set(missing.filter((m) => m.spec.install.brewCask).map((m) => m.spec.install.brew))];
  const brew = [
    formulae.length ? `brew install ${formulae.join(' ')}` : '',
    casks.length ? `brew install --cask ${casks.join(' ')}` : '',
  ].filter(Boolean);
  return { debian: `sudo apt-get install ${apt.join(' ')}`, macos: brew.join(' && ') };
}

/**
 * The single message for tools that could be neither found nor fetched. `noTestRun` adds that no
 * test was run (npm test); `env` tells which override variables are set.
 */
export function missingMessage(
  missing: MissingTool[],
  command: string,
  opts: { noTestRun?: boolean; env?: NodeJS.ProcessEnv } = {},
): string {
  const n = missing.length;
  const lines = [
    `${command}: ${n} program${n === 1 ? '' : 's'} the tests need ${n === 1 ? 'is' : 'are'} missing and could not be fetched:`,
    '',
  ];
  const width = Math.max(...missing.map((m) => m.spec.name.length));
  const versionWidth = Math.max(...missing.map((m) => m.spec.version.length));
  for (const m of missing) {
    lines.push(`  ${m.spec.name.padEnd(width)}  ${m.spec.version.padEnd(versionWidth)}  ${m.spec.purpose}`);
    for (const r of m.reasons) {
      const [first, ...rest] = r.split('\n');
      lines.push(`  ${' '.repeat(width)}  - ${first}`);
      for (const more of rest) lines.push(`  ${' '.repeat(width)}    ${more}`);
    }
  }
  const env = opts.env ?? process.env;
  const overridden = missing.filter((m) => env[m.spec.override]?.trim());
  const toInstall = missing.filter((m) => !env[m.spec.override]?.trim());
  lines.push('');
  for (const m of overridden) {
    lines.push(
      `${m.spec.override} is set: point it at a working ${m.spec.name} (${m.spec.version}), or unset it so that ${command} finds or fetches one.`,
    );
  }
  if (toInstall.length > 0) {
    const cmd = installCommands(toInstall);
    const example = toInstall[0]!.spec;
    lines.push(
      'Install them, then run it again:',
      `  Debian/Ubuntu:  ${cmd.debian}`,
      `  macOS:          ${cmd.macos}`,
      `Or name a program explicitly, for example ${example.override}=/path/to/${example.name}`,
    );
  }
  lines.push(
    `The list and the versions: test/toolchain/manifest.ts.${opts.noTestRun ? ' No test was run.' : ''}`,
  );
  return lines.join('\n');
}
