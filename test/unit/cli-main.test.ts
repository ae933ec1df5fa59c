import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../src/deploy/cli/main.js';
import { BufferStream } from '../../src/deploy/output/io.js';

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  const code = await main(argv, { io: { stdout, stderr, env } });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('main (in process)', () => {
  it('--help lists the global options, the commands, the exit codes and examples; exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const s of [
      '-n, --namespace',
      '-e, --env',
      '--context',
      '--kubeconfig',
      '-o, --output',
      '--no-color',
      '-q, --quiet',
      '-v, --verbose',
      'status',
      'verify',
      'Exit codes:',
      'Examples:',
    ]) {
      assert.ok(r.stdout.includes(s), s);
    }
  });
  it('no arguments prints the help and exits 0', async () => {
    const r = await run([]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: mobius-deploy/);
  });
  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
  it('usage errors exit 2 with a clear message and a pointer to --help', async () => {
    for (const argv of [
      ['bogus'],
      ['status', '--bogus'],
      ['status', '-o', 'xml'],
      ['status', '--warn-cpu', 'lots'],
      ['verify', '--timeout', 'soon'],
      ['status', 'extra-arg'],
    ]) {
      const r = await run(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^Error: /m, argv.join(' '));
      assert.match(r.stderr, /--help/, argv.join(' '));
    }
  });
  it('an invalid namespace is a usage error before any cluster access', async () => {
    const r = await run(['status', '-n', 'Not_Valid']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Invalid namespace "Not_Valid"/);
  });
  it('no kubeconfig anywhere: exit 2 saying how to provide one, no stack trace', async () => {
    const r = await run(['status', '-n', 'production'], { HOME: '/nonexistent-home' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Error: No kubeconfig found/);
    assert.match(r.stderr, /Hint: Pass --kubeconfig FILE/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
  it('-v adds the stack trace', async () => {
    const r = await run(['status', '-n', 'production', '-v'], { HOME: '/nonexistent-home' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\n\s+at /);
  });
});
