/**
 * docs/CLI.md is generated from the CLI's own commander program and result types
 * (test/support/cli-docs.ts); this fails when the committed file differs from what the generator
 * produces now, so the reference cannot drift from the commands.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CLI_DOC_PATH,
  generateCliDocs,
  JSON_SHAPES,
  loadProgram,
  walkCommands,
} from '../support/cli-docs.js';

describe('docs/CLI.md', () => {
  it('is what `npm run docs:cli` generates from the current CLI', async () => {
    const expected = await generateCliDocs();
    let current = '';
    try {
      current = readFileSync(CLI_DOC_PATH, 'utf8');
    } catch {
      /* missing: reported below */
    }
    if (current !== expected) {
      const a = current.split('\n');
      const b = expected.split('\n');
      let line = 0;
      while (line < a.length && line < b.length && a[line] === b[line]) line++;
      assert.fail(
        `docs/CLI.md is out of date: run \`npm run docs:cli\` and commit the result.\n` +
          `First difference at line ${line + 1}:\n  committed: ${a[line] ?? '<end of file>'}\n  generated: ${b[line] ?? '<end of file>'}`,
      );
    }
  });

  it('documents every command, option and the exit codes', async () => {
    const text = readFileSync(CLI_DOC_PATH, 'utf8');
    const program = loadProgram();
    for (const { path, command } of walkCommands(program)) {
      assert.ok(text.includes(`\n## ${path}\n`), `docs/CLI.md has no section for "${path}"`);
      for (const o of command.options.filter((x) => !x.hidden))
        assert.ok(text.includes(o.flags.replace(/\|/g, '\\|')), `docs/CLI.md misses ${path} ${o.flags}`);
    }
    for (const code of [0, 1, 2, 3, 4, 5]) assert.match(text, new RegExp(`\\n\\| ${code} \\| \\w`));
  });

  it('names a JSON shape only for commands that exist', () => {
    const paths = new Set(walkCommands(loadProgram()).map((c) => c.path));
    for (const key of Object.keys(JSON_SHAPES)) assert.ok(paths.has(key.replace(/ --.*$/, '')), key);
  });
});
