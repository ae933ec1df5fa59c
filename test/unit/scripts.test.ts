/**
 * The operator scripts in scripts/: every .sh has a .ps1 twin (and back) that calls the same
 * mobius-deploy command, both pass their arguments through and return the CLI's exit code, the
 * wrappers' comments say the same thing, and the .sh files are executable in git.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'scripts');
const names = readdirSync(DIR);
const base = (ext: string) =>
  names
    .filter((n) => n.endsWith(ext))
    .map((n) => n.slice(0, -ext.length))
    .sort();
const read = (name: string) => readFileSync(join(DIR, name), 'utf8').replace(/\r\n/g, '\n');

const WRAPPERS: Record<string, string> = {
  'verify-deployment': 'verify',
  'deploy-preview-worker': 'deploy',
  'build-and-push': 'build-push',
};

describe('scripts/', () => {
  test('the four scripts exist as .sh and .ps1 twins', () => {
    assert.deepEqual(base('.sh'), base('.ps1'));
    assert.deepEqual(base('.sh'), [...Object.keys(WRAPPERS), 'test-verification-scripts'].sort());
  });

  for (const [name, command] of Object.entries(WRAPPERS)) {
    test(`${name}: both twins run \`mobius-deploy ${command}\` with every argument and its exit code`, () => {
      const sh = read(`${name}.sh`);
      const ps1 = read(`${name}.ps1`);
      assert.match(sh, /^#!\/usr\/bin\/env bash\n/);
      assert.match(sh, /^set -euo pipefail$/m);
      assert.match(sh, new RegExp(`^exec node "\\$ROOT/cli/mobius-deploy\\.js" ${command} "\\$@"$`, 'm'));
      assert.match(
        ps1,
        new RegExp(
          `^& node \\(Join-Path \\$Root 'cli/mobius-deploy\\.js'\\) ${command} @args; exit \\$LASTEXITCODE$`,
          'm',
        ),
      );
      // Exactly one CLI invocation each.
      assert.equal(sh.match(/cli\/mobius-deploy\.js/g)?.length, 1);
      assert.equal(ps1.match(/cli\/mobius-deploy\.js/g)?.length, 1);
      // Line for line: the same comments, in the same order, and the same shape.
      const comments = (text: string, ext: string, other: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith('#') && !l.startsWith('#!'))
          .map((l) => l.replaceAll(`${name}.${ext}`, `${name}.X`).replace(`the .${other} twin`, 'the twin'));
      assert.deepEqual(comments(ps1, 'ps1', 'sh'), comments(sh, 'sh', 'ps1'));
      assert.equal(ps1.split('\n').length, sh.split('\n').length, 'same number of lines');
    });
  }

  test('test-verification-scripts: both twins run the same checks and end with "N passed, M failed"', () => {
    const sh = read('test-verification-scripts.sh');
    const ps1 = read('test-verification-scripts.ps1');
    const checks = (text: string, ext: string) =>
      [...text.matchAll(/^\s*(?:expect|Expect) (\d) '?"?([^'"]+)['"]/gm)].map(
        (m) => `${m[1]} ${m[2]!.replaceAll(`.${ext}`, '.X')}`,
      );
    const shChecks = checks(sh, 'sh');
    const psChecks = checks(ps1, 'ps1');
    assert.ok(psChecks.length >= 12, psChecks.join('\n'));
    // Every check of the PowerShell twin is in the shell script (which adds the stand-in docker ones).
    for (const c of psChecks) assert.ok(shChecks.includes(c), `${c} is not in the .sh twin`);
    assert.match(sh, /echo "\$PASSED passed, \$FAILED failed"/);
    assert.match(ps1, /Write-Output "\$\(\$script:Passed\) passed, \$\(\$script:Failed\) failed"/);
    assert.match(sh, /^trap cleanup EXIT$/m);
    assert.match(ps1, /\} finally \{\n\s+foreach \(\$process in \$script:Processes\) \{ Stop-Process/);
  });

  test('the .sh files are executable in git', () => {
    const r = spawnSync('git', ['ls-files', '-s', '--', 'scripts'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const modes = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const [mode, , , path] = l.split(/\s+/);
          return [path!, mode!] as const;
        }),
    );
    for (const sh of base('.sh')) assert.equal(modes.get(`scripts/${sh}.sh`), '100755', `scripts/${sh}.sh`);
  });
});
