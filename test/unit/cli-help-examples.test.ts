/**
 * Every command and subcommand of the real program (buildProgram) has an Examples section in its
 * --help, and every example line parses with the real parser: the shell words of the line (as a
 * shell would split them, up to the first pipe, redirect or comment) go through commander with the
 * actions replaced by a stub that only resolves the global options (-n, -e: the environment file
 * must exist). An example that names an unknown command or option, leaves out a required option,
 * gives a bad value or a placeholder the shell cannot take (`<id>`) fails here, so examples cannot
 * rot. `--api-token-secret` names the Secret the manifests create.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Command, CommanderError } from 'commander';
import { resolveGlobalOptions } from '../../src/deploy/cli/global-options.js';
import { buildProgram, PACKAGE_ROOT } from '../../src/deploy/cli/main.js';
import { API_TOKEN_SECRET_NAME } from '../../src/deploy/manifests/labels.js';
import { BufferStream } from '../../src/deploy/output/io.js';
import { examplesOf, shellWords } from '../support/help-examples.js';

function allCommands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const out: { path: string[]; cmd: Command }[] = [];
  for (const sub of cmd.commands) {
    const p = [...path, sub.name()];
    out.push({ path: p, cmd: sub }, ...allCommands(sub, p));
  }
  return out;
}

function helpOf(path: string[]): string {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  const program = buildProgram({ stdout, stderr, env: {} });
  let cmd: Command = program;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    assert.ok(next, `no command ${path.join(' ')}`);
    cmd = next;
  }
  cmd.outputHelp();
  return stdout.text;
}

/** Parse `argv` with the real program, every action stubbed; resolves to the error, if any. */
async function parseOnly(argv: string[]): Promise<{ error?: string; ran?: string }> {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  const program = buildProgram({ stdout, stderr, env: {} });
  let ran: string | undefined;
  for (const { path, cmd } of allCommands(program)) {
    if (cmd.commands.length > 0) continue;
    cmd.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      await resolveGlobalOptions(self.optsWithGlobals(), { env: {}, rootDir: PACKAGE_ROOT });
      ran = path.join(' ');
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.helpDisplayed') return { ran: 'help' };
    return { error: `${(err as Error).message} ${stderr.text}`.trim() };
  }
  return { ran };
}

describe('--help examples', () => {
  const program = buildProgram({ stdout: new BufferStream(), stderr: new BufferStream(), env: {} });
  const every = [{ path: [] as string[] }, ...allCommands(program)];

  it('walks every command and subcommand (the registry is not empty)', () => {
    const names = every.map((c) => c.path.join(' '));
    for (const n of ['status', 'incident open', 'incident show', 'registry-secret rotate', 'access review']) {
      assert.ok(names.includes(n), n);
    }
  });

  for (const { path } of every) {
    const name = path.length > 0 ? path.join(' ') : '(program)';
    it(`${name}: has an Examples section whose every line parses`, async () => {
      const examples = examplesOf(helpOf(path));
      assert.ok(examples.length > 0, `mobius-deploy ${name} --help has no Examples section`);
      let mentionsSelf = false;
      for (const example of examples) {
        assert.doesNotMatch(example, /<[a-z-]+>/, `placeholder a shell cannot take in: ${example}`);
        let words = shellWords(example);
        // `read -rs VAR && export VAR`: how the docs have a token typed without shell history.
        if (words[0] === 'read' && words[1] === '-rs') continue;
        // `kubectl logs ... | mobius-deploy patterns -`: the CLI at the end of a pipe.
        const piped = example.indexOf('| mobius-deploy ');
        if (words[0] !== 'mobius-deploy' && piped > 0) words = shellWords(example.slice(piped + 2));
        assert.equal(words[0], 'mobius-deploy', `an example starts with mobius-deploy: ${example}`);
        const secretAt = words.indexOf('--api-token-secret');
        if (secretAt > 0) assert.equal(words[secretAt + 1], API_TOKEN_SECRET_NAME, example);
        const r = await parseOnly(words.slice(1));
        assert.equal(r.error, undefined, `example does not parse: ${example}\n${r.error}`);
        assert.ok(r.ran, `example runs no command: ${example}`);
        if (r.ran === path.join(' ') || (path.length > 0 && r.ran?.startsWith(path.join(' ')))) {
          mentionsSelf = true;
        }
      }
      if (path.length > 0) assert.ok(mentionsSelf, `no example of ${name} itself`);
    });
  }
});

describe('the example checker itself', () => {
  it('splits like a shell and stops at pipes, redirects and comments', () => {
    assert.deepEqual(shellWords(`A=1 mobius-deploy logs --grep 'job (failed)' -o json | jq .`), [
      'mobius-deploy',
      'logs',
      '--grep',
      'job (failed)',
      '-o',
      'json',
    ]);
    assert.deepEqual(shellWords('mobius-deploy x --s "a \\"b\\"" >> out # note'), [
      'mobius-deploy',
      'x',
      '--s',
      'a "b"',
    ]);
  });
  it('rejects an unknown option, a bad value, a missing required option and a missing environment', async () => {
    for (const argv of [
      ['status', '--bogus'],
      ['status', '--warn-memory', 'lots'],
      ['incident', 'open', '--level', '2'],
      ['status', '-e', 'no-such-environment'],
      ['bogus'],
    ]) {
      const r = await parseOnly(argv);
      assert.ok(r.error, argv.join(' '));
    }
    assert.equal((await parseOnly(['status', '-e', 'production'])).ran, 'status');
  });
});
